/**
 * Tickets for loads whose answers may arrive out of order: only the newest ticket is current, so an
 * older answer arriving late is dropped instead of overwriting a newer one.
 */
export class Newest {
  #latest = 0;

  /** A new load: every ticket handed out before it stops being current. */
  ask(): () => boolean {
    const mine = ++this.#latest;
    return () => mine === this.#latest;
  }

  /** A load that continues the current one (its next page): current until the next `ask`. */
  join(): () => boolean {
    const mine = this.#latest;
    return () => mine === this.#latest;
  }
}
