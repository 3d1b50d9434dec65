import { received, secondsAfter } from "./clock.svelte";
import { ERROR_FIELDS, gql, PROBLEM_FIELDS, unwrap } from "./graphql";

export interface TimerEntry {
  id: string;
  description: string;
  startedAt: string;
  serverTime: string;
  project: { id: string; name: string } | null;
}

const ENTRY = "id description startedAt serverTime project { id name }";

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
    const data = await gql<{ runningTimer: TimerEntry | null }>(`query RunningTimer { runningTimer { ${ENTRY} } }`);
    if (data.runningTimer?.id !== this.running?.id || !this.loaded) this.track(data.runningTimer);
  }

  async start(description: string, projectId: string | null) {
    const { startTimer } = await gql<{ startTimer: { __typename: string } }>(
      `mutation StartTimer($description: String, $projectId: ID) {
        startTimer(input: { description: $description, projectId: $projectId }) { ${ERROR_FIELDS} ${PROBLEM_FIELDS} ... on TimeEntry { ${ENTRY} } }
      }`,
      { description, projectId },
    );
    this.track(unwrap<TimerEntry>(startTimer, "TimeEntry"));
    this.starts++;
  }

  async stop() {
    const { stopTimer } = await gql<{ stopTimer: { __typename: string } }>(`mutation StopTimer { stopTimer { ${ERROR_FIELDS} } }`);
    // NOT_FOUND: it was already stopped elsewhere (another tab, a session start); either way it's not running.
    if (stopTimer.__typename !== "NotFoundError") unwrap(stopTimer, "TimeEntry");
    this.track(null);
  }

  secondsAt(now: number) {
    return this.running ? secondsAfter(this.running.startedAt, now) : 0;
  }
}

export const timer = new TimerState();
