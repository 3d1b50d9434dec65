import { received, secondsAfter } from "./clock.svelte";
import type { TimerEntryFragment } from "./generated/graphql";
import { gql, graphql, unwrap } from "./graphql";

export type TimerEntry = TimerEntryFragment;

graphql(`fragment TimerEntry on TimeEntry { id description startedAt serverTime project { id name } }`);

/**
 * Your running timer, shared by the header and the pages that change it indirectly (starting or
 * focusing an agent session stops the timer; starting the timer idles the active session).
 */
class TimerState {
  running = $state<TimerEntry | null>(null);
  loaded = $state(false);
  /** Bumped after the timer starts, so session views know their active beat may have dropped to idle. */
  starts = $state(0);

  private track(entry: TimerEntry | null) {
    // Measured on the server's clock: a device whose clock is off still shows the right time.
    this.running = entry && received(entry);
    this.loaded = true;
  }

  async refresh() {
    const data = await gql(graphql(`query RunningTimer { runningTimer { ...TimerEntry } }`));
    if (data.runningTimer?.id !== this.running?.id || !this.loaded) this.track(data.runningTimer);
  }

  /**
   * Starts your timer. The API stops and saves one already running: the answer is that one, as this
   * client last knew it, so the page can say so.
   */
  async start(description: string, projectId: string | null): Promise<TimerEntry | null> {
    const stopped = this.running;
    const { startTimer } = await gql(
      graphql(`
        mutation StartTimer($description: String, $projectId: ID) {
          startTimer(input: { description: $description, projectId: $projectId }) { __typename ...Failure ...Problems ...TimerEntry }
        }
      `),
      { description, projectId },
    );
    this.track(unwrap(startTimer, "TimeEntry"));
    this.starts++;
    return stopped;
  }

  async stop() {
    const { stopTimer } = await gql(graphql(`mutation StopTimer { stopTimer { __typename ...Failure } }`));
    // NOT_FOUND: it was already stopped elsewhere (another tab, a session start); either way it's not running.
    if (stopTimer.__typename !== "NotFoundError") unwrap(stopTimer, "TimeEntry");
    this.track(null);
  }

  secondsAt(now: number) {
    return this.running ? secondsAfter(this.running.startedAt, now) : 0;
  }
}

export const timer = new TimerState();

/** What a timer is called on the page: its description, else its project, else just "Timer". */
export function timerTitle(entry: TimerEntry): string {
  return entry.description || entry.project?.name || "Timer";
}
