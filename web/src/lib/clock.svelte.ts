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

/**
 * The app's one server clock: every payload with a serverTime, over HTTP or WebSocket, tightens
 * it, and every ticking counter reads it, so no page counts from when its data happened to arrive.
 */
export const serverClock = new ServerClock();

/** Notes a payload's serverTime; returns it with its arrival (performance.now()), which tells fresher copies apart. */
export function received<T extends { serverTime: string }>(payload: T, receivedAt = performance.now()): T & { receivedAt: number } {
  serverClock.observe(payload.serverTime, clientNow(receivedAt));
  return { ...payload, receivedAt };
}

/** The server's time (epoch ms) at the page clock's `now` (a performance.now() value). */
export function serverNow(now: number) {
  return serverClock.at(clientNow(now));
}

/**
 * Whole seconds from the server instant `since` to `now` on the server's clock: what a counter
 * exact at `since` has gained, `accumulatedSeconds + (clientNow − serverTime − clockOffset)`.
 */
export function secondsAfter(since: string, now: number) {
  return Math.max(0, Math.floor((serverNow(now) - Date.parse(since)) / 1000));
}

/** A live counter at the page clock's `now`: accumulatedSeconds plus, while ticking, the whole seconds since its serverTime. */
export function liveSeconds(s: { ticking: boolean; accumulatedSeconds: number; serverTime: string }, now: number) {
  return s.ticking ? s.accumulatedSeconds + secondsAfter(s.serverTime, now) : s.accumulatedSeconds;
}
