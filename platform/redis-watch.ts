import type { Redis } from "ioredis";

/** How often the watch pings, and how long a PING may go unanswered before Redis counts as stalled. */
const PING_EVERY_MS = 250;
const STALLED_MS = 500;

/**
 * Whether Redis answers right now. Connected is not enough: Redis may stall with its connections
 * open, and a command sent then waits for its timeout. So a PING goes out every quarter second, and
 * while one has gone unanswered for half a second, callers that can do without Redis (credential
 * stamps, rate limits, /healthz and ingestion) don't send it anything.
 */
export class RedisWatch {
  private answering = true;
  private pingSentAt: number | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly redis: Redis) {
    this.timer = setInterval(() => this.check(), PING_EVERY_MS);
    this.timer.unref();
  }

  get up(): boolean {
    return this.redis.status === "ready" && this.answering;
  }

  private check() {
    if (this.pingSentAt !== null) {
      if (Date.now() - this.pingSentAt > STALLED_MS) this.answering = false;
      return;
    }
    this.pingSentAt = Date.now();
    this.redis
      .ping()
      .then(() => (this.answering = true), () => {})
      .finally(() => (this.pingSentAt = null));
  }

  stop() {
    clearInterval(this.timer);
  }
}
