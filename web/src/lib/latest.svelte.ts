import { errorMessage } from "./format";
import { Newest } from "./newest";

/**
 * Something loaded again whenever what it depends on changes (a chart for the filters): only the
 * newest answer is shown, and a failure is kept to show next to it with Try again.
 */
export class Latest<T> {
  /** null while loading. */
  value = $state<T | null>(null);
  failure = $state<string | null>(null);
  #newest = new Newest();

  constructor(private readonly fetch: () => Promise<T>) {}

  /** Forgets what is shown (its inputs changed): it shows as loading until `load` answers. */
  clear() {
    this.value = null;
  }

  /** Loads it again; an answer that a later load superseded is dropped. */
  load = async () => {
    const current = this.#newest.ask();
    try {
      const value = await this.fetch();
      if (!current()) return;
      this.value = value;
      this.failure = null;
    } catch (error) {
      if (current()) this.failure = errorMessage(error);
    }
  };
}
