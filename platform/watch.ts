import type { Redis } from "ioredis";
import pg from "pg";

/** How often a watch pings its store. */
const PING_EVERY_MS = 250;

/**
 * Whether a backing store answers right now. Connected is not enough: a store may stall with its
 * connections open (a stopped process, a host frozen, packets dropped), and a command sent then waits
 * for an answer that doesn't come. So a ping goes out every quarter second, and while one has gone
 * unanswered for longer than the store's limit, or has failed, the store counts as down.
 */
export class Watch {
  private answering = true;
  private pingSentAt: number | null = null;
  private unansweredChecks = 0;
  private readonly whenStalled = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: { ping(): Promise<unknown>; stalledMs: number; connected?(): boolean; close?(): void },
  ) {
    this.timer = setInterval(() => this.check(), PING_EVERY_MS);
    this.timer.unref();
  }

  get up(): boolean {
    return (this.store.connected?.() ?? true) && this.answering;
  }

  /**
   * The store answered something else: it is up, and the ping in flight counts from now. Without this,
   * after a stall the statements it held would be answered before the ping sent meanwhile, and what
   * their requests asked next would be refused.
   */
  answered() {
    this.answering = true;
    if (this.pingSentAt !== null) this.pingSentAt = Date.now();
  }

  /** Calls `listener` once, when the store is next found stalled or failing; the function returned cancels it. */
  onceStalled(listener: () => void): () => void {
    this.whenStalled.add(listener);
    return () => this.whenStalled.delete(listener);
  }

  private stalled() {
    if (!this.answering) return;
    this.answering = false;
    const listeners = [...this.whenStalled];
    this.whenStalled.clear();
    for (const listener of listeners) listener();
  }

  private check() {
    if (this.pingSentAt !== null) {
      // Counted in checks as well as in time: when this process's event loop was held up, the answer
      // may be waiting unread behind this timer, and the loop reads it before the next check.
      this.unansweredChecks++;
      if (Date.now() - this.pingSentAt > this.store.stalledMs && this.unansweredChecks >= 2) this.stalled();
      return;
    }
    this.unansweredChecks = 0;
    this.pingSentAt = Date.now();
    this.store
      .ping()
      .then(
        () => (this.answering = true),
        () => this.stalled(),
      )
      .finally(() => (this.pingSentAt = null));
  }

  stop() {
    clearInterval(this.timer);
    this.store.close?.();
  }
}

/**
 * While Redis doesn't answer for half a second, callers that can do without it (credential stamps,
 * rate limits, /healthz and ingestion) don't send it anything.
 */
export function watchRedis(redis: Redis): Watch {
  return new Watch({ ping: () => redis.ping(), stalledMs: 500, connected: () => redis.status === "ready" });
}

/**
 * While PostgreSQL doesn't answer for three seconds, the API refuses new statements (see
 * server/unavailable.ts). Three, not Redis's half second: being down here refuses requests, and on a
 * machine loaded past its cores (a test suite's, in one run) an idle API's ping went unanswered for
 * over a second while the server was fine. The pings go over a connection of their own: through the
 * pool they would queue behind its statements, and each one sent while the server stalls would hold
 * a pooled connection until it answers.
 */
export function watchDatabase(connectionString: string): Watch {
  let client: pg.Client | null = null;
  const drop = (which: pg.Client | null) => {
    if (client === which) client = null;
    void which?.end().catch(() => {});
  };
  return new Watch({
    stalledMs: 3000,
    close: () => drop(client),
    async ping() {
      let used = client;
      try {
        if (!used) {
          const fresh = (used = client = new pg.Client({ connectionString, application_name: "sessions health watch" }));
          // A connection lost between pings is dropped at once, so the next ping opens another
          // rather than failing on it: a server that answers isn't counted down for a closed socket.
          fresh.on("error", () => drop(fresh));
          await fresh.connect();
        }
        await used.query("SELECT 1");
      } catch (error) {
        drop(used);
        throw error;
      }
    },
  });
}

/** `promise`, or a rejection with `message` once `ms` have passed (what it does goes on regardless). */
export function withTimeout<T>(promise: Promise<T>, ms: number, message = "timed out"): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
