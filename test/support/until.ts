// Work done by background jobs (queued ingestion, finalisation) shows up some time after the request:
// tests poll for it rather than sleep a guessed time.

/** Reads until `done` holds or the time is up, and returns the last value read (the caller asserts on it). */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}
