import { errorMessage } from "./format";
import { ApiError, type FieldProblem } from "./graphql";
import { Newest } from "./newest";

/**
 * A page's busy flag and last failure around the actions its buttons and loads run. A form that
 * shows errors next to its fields names them (`fields`; `steps.*` stands for every item of a list):
 * problems with those paths are shown there (`problemFor`), not repeated in `failure`.
 */
export class Action {
  busy = $state(false);
  failure = $state<string | null>(null);
  problems = $state<FieldProblem[]>([]);
  /** What the last successful action changed, for a visible confirmation. */
  done = $state<string | null>(null);
  #running = 0;
  #newest = new Newest();

  constructor(private readonly fields: readonly string[] = []) {}

  /** The problem reported for a field, by its path without the `input` wrapper, e.g. "workingHours.end". */
  problemFor(field: string): string | undefined {
    return this.problems.find((p) => fieldOf(p) === field)?.message;
  }

  async run(action: () => Promise<unknown>, confirmation: string | null = null) {
    this.#running++;
    this.busy = true;
    this.failure = null;
    this.problems = [];
    this.done = null;
    try {
      await action();
      this.done = confirmation;
    } catch (error) {
      this.problems = error instanceof ApiError ? error.problems : [];
      const shownByField = this.problems.length > 0 && this.problems.every((p) => this.fields.some((f) => shownAt(f, fieldOf(p))));
      this.failure = shownByField ? null : errorMessage(error);
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
    const current = this.#newest.ask();
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

function shownAt(shown: string, field: string): boolean {
  return shown.endsWith(".*") ? field.startsWith(shown.slice(0, -1)) : shown === field;
}

function fieldOf(problem: FieldProblem): string {
  return problem.path.filter((part) => part !== "input").join(".");
}
