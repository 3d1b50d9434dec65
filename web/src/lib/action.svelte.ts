import { errorMessage } from "./format";

/** A page's busy flag and last failure around the actions its buttons run, one at a time. */
export class Action {
  busy = $state(false);
  failure = $state<string | null>(null);

  async run(action: () => Promise<void>) {
    this.busy = true;
    this.failure = null;
    try {
      await action();
    } catch (error) {
      this.failure = errorMessage(error);
    } finally {
      this.busy = false;
    }
  }
}
