import { errorMessage } from "./format";
import { ApiError, type FieldProblem } from "./graphql";

/**
 * A page's busy flag and last failure around the actions its buttons run, one at a time. A form
 * that shows errors next to its fields names them (`fields`): problems with those paths are shown
 * there (`problemFor`), not repeated in `failure`.
 */
export class Action {
  busy = $state(false);
  failure = $state<string | null>(null);
  problems = $state<FieldProblem[]>([]);
  /** What the last successful action changed, for a visible confirmation. */
  done = $state<string | null>(null);

  constructor(private readonly fields: readonly string[] = []) {}

  /** The problem reported for a field, by its path without the `input` wrapper, e.g. "workingHours.end". */
  problemFor(field: string): string | undefined {
    return this.problems.find((p) => fieldOf(p) === field)?.message;
  }

  async run(action: () => Promise<void>, confirmation: string | null = null) {
    this.busy = true;
    this.failure = null;
    this.problems = [];
    this.done = null;
    try {
      await action();
      this.done = confirmation;
    } catch (error) {
      this.problems = error instanceof ApiError ? error.problems : [];
      const shownByField = this.problems.length > 0 && this.problems.every((p) => this.fields.includes(fieldOf(p)));
      this.failure = shownByField ? null : errorMessage(error);
    } finally {
      this.busy = false;
    }
  }
}

function fieldOf(problem: FieldProblem): string {
  return problem.path.filter((part) => part !== "input").join(".");
}
