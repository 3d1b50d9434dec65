/**
 * performance.now(), refreshed once a second (or every `intervalMs`): one interval drives every
 * counter on a page. Call while a component initialises; the interval stops with the component.
 */
export function useClock(intervalMs = 1000) {
  let now = $state(performance.now());
  let interval: ReturnType<typeof setInterval> | undefined;

  /** Restarts the ticks now, so counters based on data that just arrived flip exactly on their seconds. */
  function restart() {
    clearInterval(interval);
    now = performance.now();
    interval = setInterval(() => (now = performance.now()), intervalMs);
  }

  $effect(() => {
    restart();
    return () => clearInterval(interval);
  });

  return {
    get now() {
      return now;
    },
    restart,
  };
}

/** Milliseconds since the epoch by the monotonic clock: a wall-clock adjustment can't move it back. */
export function clientNow(at = performance.now()) {
  return performance.timeOrigin + at;
}

/**
 * The server's clock as seen from here. Each payload's serverTime gives an offset (arrival minus
 * serverTime: the clocks' difference plus that payload's delay in transit); the smallest seen is
 * kept. It only ever shrinks, so a counter read through it only ever moves forward.
 */
export class ServerClock {
  private offset = Infinity;

  observe(serverTime: string, receivedAt: number) {
    this.offset = Math.min(this.offset, receivedAt - Date.parse(serverTime));
  }

  /** The server's time at the client instant `at` (a clientNow() value). */
  at(at: number) {
    return Number.isFinite(this.offset) ? at - this.offset : at;
  }
}

/** A live counter at server time `serverNow`: accumulatedSeconds plus, while ticking, the whole seconds since its serverTime. */
export function liveSeconds(s: { ticking: boolean; accumulatedSeconds: number; serverTime: string }, serverNow: number) {
  return s.ticking ? s.accumulatedSeconds + Math.max(0, Math.floor((serverNow - Date.parse(s.serverTime)) / 1000)) : s.accumulatedSeconds;
}

/** Whole seconds since `since` (a performance.now() value), never negative. */
export function secondsSince(since: number, now: number) {
  return Math.max(0, Math.floor((now - since) / 1000));
}
