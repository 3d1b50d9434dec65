// What /healthz reports and what ingestion asks before accepting events: whether PostgreSQL and
// Redis answer right now. Cached for a moment so a busy balancer or ingestion burst costs one ping.
import type pg from "pg";
import type { Redis } from "ioredis";

const CACHE_MS = 500;
const PING_TIMEOUT_MS = 1000;

export interface HealthReport {
  ok: boolean;
  database: "up" | "down";
  redis: "up" | "down" | "not used";
}

export class Health {
  private readonly answers = new Map<"database" | "redis", { value: Promise<boolean>; at: number }>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly redis: Redis | null,
  ) {}

  /** Whether PostgreSQL answers a query within a second. */
  database(): Promise<boolean> {
    return this.answer("database", () => this.pool.query("SELECT 1"));
  }

  /**
   * Whether Redis is connected and answers a PING within a second (true when none is used): while it
   * doesn't, a queued write would wait for it. Connected is not enough: Redis may stall with its
   * connections open.
   */
  redisUp(): Promise<boolean> {
    if (!this.redis) return Promise.resolve(true);
    if (this.redis.status !== "ready") return Promise.resolve(false);
    return this.answer("redis", () => this.redis!.ping());
  }

  /** `serving` is false while the process drains on SIGTERM. */
  async report(serving: boolean): Promise<HealthReport> {
    const [database, redis] = await Promise.all([this.database(), this.redisUp()]);
    const redisState = !this.redis ? "not used" : redis ? "up" : "down";
    return { ok: serving && database && redisState !== "down", database: database ? "up" : "down", redis: redisState };
  }

  /** The answer to `ping`, kept for a moment. */
  private answer(store: "database" | "redis", ping: () => Promise<unknown>): Promise<boolean> {
    const last = this.answers.get(store);
    if (last && Date.now() - last.at < CACHE_MS) return last.value;
    const value = withTimeout(ping().then(() => true), PING_TIMEOUT_MS).catch(() => false);
    this.answers.set(store, { value, at: Date.now() });
    return value;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
