/**
 * An async iterator that holds only the newest value: a consumer that stops reading costs one
 * reference, never a growing queue. Used for state (not event) streams, where older values are moot.
 */
export class LatestOnly<T> implements AsyncIterableIterator<T> {
  private latest: { value: T } | null = null;
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private done = false;

  constructor(private readonly onClose?: () => void) {}

  push(value: T) {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
    } else {
      this.latest = { value };
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.latest) {
      const { value } = this.latest;
      this.latest = null;
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The producer is finished: a value still held is delivered, then the stream ends. */
  end() {
    if (this.done) return;
    this.done = true;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
  }

  /** The consumer is finished (graphql-ws calls this when the client goes away). */
  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true;
      this.latest = null;
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
      this.closed();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Called once, when the consumer finishes; a subclass may answer it without a closure of its own. */
  protected closed() {
    this.onClose?.();
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
