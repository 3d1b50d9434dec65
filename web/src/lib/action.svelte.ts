import { errorMessage } from "./format";

/** A page's busy flag and last failure around the actions its buttons and loads run. */
export class Action {
  busy = $state(false);
  failure = $state<string | null>(null);
  #running = 0;
  #generation = 0;

  async run(action: () => Promise<void>) {
    this.#running++;
    this.busy = true;
    this.failure = null;
    try {
      await action();
    } catch (error) {
      this.failure = errorMessage(error);
    } finally {
      // Busy until the last of overlapping runs ends, not the first.
      this.busy = --this.#running > 0;
    }
  }

  /**
   * Loads, then applies the result only if no later `latest` call started meanwhile: when a filter
   * changes twice quickly, an older answer arriving last never overwrites the newer one.
   */
  async latest<T>(load: () => Promise<T>, apply: (value: T) => void) {
    const mine = ++this.#generation;
    const current = () => mine === this.#generation;
    await this.run(async () => {
      try {
        const value = await load();
        if (current()) apply(value);
      } catch (error) {
        if (current()) throw error;
      }
    });
  }
}
