// What /healthz reports and what ingestion asks before accepting events: whether PostgreSQL and
// Redis answer right now, as their watches see it (platform/watch.ts). The embedded database has no
// watch: it is pinged through its one connection, the answer cached for a moment so a busy balancer or
// ingestion burst costs one ping.
import type pg from "pg";
import { withTimeout, type Watch } from "../platform/watch.js";

const CACHE_MS = 500;
const PING_TIMEOUT_MS = 1000;

export interface HealthReport {
  ok: boolean;
  database: "up" | "down";
  redis: "up" | "down" | "not used";
}

export class Health {
  private databaseUp: { value: Promise<boolean>; at: number } | null = null;

  constructor(
    private readonly pool: pg.Pool,
    /** Watching PostgreSQL from a connection of its own; none for the embedded database, which can't stall. */
    private readonly databaseWatch: Watch | null,
    private readonly redis: Watch | null,
  ) {}

  /** Whether PostgreSQL answers a query within a second. */
  database(): Promise<boolean> {
    if (this.databaseWatch) return Promise.resolve(this.databaseWatch.up);
    if (this.databaseUp && Date.now() - this.databaseUp.at < CACHE_MS) return this.databaseUp.value;
    const value = withTimeout(this.pool.query("SELECT 1").then(() => true), PING_TIMEOUT_MS).catch(() => false);
    this.databaseUp = { value, at: Date.now() };
    return value;
  }

  /** Whether Redis answers (true when none is used): while it doesn't, a queued write would wait for it. */
  redisUp(): boolean {
    return !this.redis || this.redis.up;
  }

  /** `serving` is false while the process drains on SIGTERM. */
  async report(serving: boolean): Promise<HealthReport> {
    const database = (await this.database()) ? "up" : "down";
    const redis = !this.redis ? "not used" : this.redisUp() ? "up" : "down";
    return { ok: serving && database === "up" && redis !== "down", database, redis };
  }
}
