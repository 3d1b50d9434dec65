/**
 * performance.now(), refreshed once a second: one interval drives every counter on a page.
 * Call while a component initialises; the interval stops with the component.
 */
export function useClock() {
  let now = $state(performance.now());
  let interval: ReturnType<typeof setInterval> | undefined;

  /** Restarts the ticks now, so counters based on data that just arrived flip exactly on their seconds. */
  function restart() {
    clearInterval(interval);
    now = performance.now();
    interval = setInterval(() => (now = performance.now()), 1000);
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

/** Whole seconds since `since` (a performance.now() value), never negative. */
export function secondsSince(since: number, now: number) {
  return Math.max(0, Math.floor((now - since) / 1000));
}
