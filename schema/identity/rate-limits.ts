// Brute force and floods are stopped before they cost a password hash or a database write. One
// counter store for all API processes (Redis) when there is one, else this process's memory.
import type { Redis } from "ioredis";
import type pg from "pg";
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { AppError } from "../common/errors.js";

export interface RateLimit {
  points: number;
  seconds: number;
}

export interface RateLimitSettings {
  /** Failed sign-ins and password reset requests from one client address. */
  signInPerAddress: RateLimit;
  /** Failed sign-ins to one account from one address: an attacker elsewhere can't lock its owner out. */
  signInPerAccount: RateLimit;
  /** Requests made with one credential (browser session, personal token, API key), WebSocket operations included. */
  tokenUse: RateLimit;
  /** Event batches per analytics write key and per token on the desktop endpoint. */
  ingestion: RateLimit;
}

export type LimitKind = keyof RateLimitSettings;
const LIMIT_KINDS: LimitKind[] = ["signInPerAddress", "signInPerAccount", "tokenUse", "ingestion"];
/** Password guesses: while Redis is away, counted where every API process counts them alike. */
const GUESSES: ReadonlySet<LimitKind> = new Set(["signInPerAddress", "signInPerAccount"]);

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  signInPerAddress: { points: 50, seconds: 900 },
  signInPerAccount: { points: 10, seconds: 900 },
  tokenUse: { points: 1200, seconds: 60 },
  ingestion: { points: 600, seconds: 60 },
};

/** "points/seconds", e.g. "10/900"; anything else is a configuration mistake worth stopping for. */
export function parseRateLimit(value: string | undefined, fallback: RateLimit): RateLimit {
  if (!value) return fallback;
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!match || !Number(match[1]) || !Number(match[2])) throw new Error(`Rate limit "${value}" must read points/seconds, e.g. 10/900`);
  return { points: Number(match[1]), seconds: Number(match[2]) };
}

export class RateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super("RATE_LIMITED", `Too many requests; try again in ${retryAfterSeconds} s`);
  }
}

function refusal(res: RateLimiterRes) {
  return new RateLimitedError(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
}

/** Password checks one client address may have running at once in a process (two: a shared office address). */
const PASSWORD_CHECKS_PER_ADDRESS = 2;
/** Beyond this many waiting behind them, an address's sign-ins are refused at once. */
const PASSWORD_CHECKS_WAITING = 20;

export class RateLimits {
  private readonly shared: Record<LimitKind, RateLimiterAbstract> | null;
  private readonly watch: { readonly up: boolean } | null;
  /**
   * The counts kept without Redis: the limits when there is none (one process), and while Redis
   * doesn't answer. Scaled out, password guesses are kept in PostgreSQL then, so N processes don't
   * hand a guesser N budgets; the other kinds, on every request, in this process's memory.
   */
  private readonly own: Record<LimitKind, RateLimiterAbstract>;
  /** Password checks running and waiting, per client address, in this process. */
  private readonly checking = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(
    readonly settings: RateLimitSettings,
    redis: { client: Redis; watch: { readonly up: boolean }; pool: pg.Pool } | null,
  ) {
    const options = (kind: LimitKind) => ({ keyPrefix: `ratelimit:${kind}`, points: settings[kind].points, duration: settings[kind].seconds });
    const each = (make: (kind: LimitKind) => RateLimiterAbstract) =>
      Object.fromEntries(LIMIT_KINDS.map((kind) => [kind, make(kind)])) as Record<LimitKind, RateLimiterAbstract>;
    this.own = each((kind) =>
      redis && GUESSES.has(kind)
        ? new RateLimiterPostgres({ ...options(kind), storeClient: redis.pool, storeType: "pool", tableName: "RateLimitCount", tableCreated: true })
        : new RateLimiterMemory(options(kind)),
    );
    this.shared = redis && each((kind) => new RateLimiterRedis({ ...options(kind), storeClient: redis.client, rejectIfRedisNotReady: true }));
    this.watch = redis?.watch ?? null;
  }

  /**
   * Runs `use` on Redis's count, or on the one kept without it while Redis is away or stalled: limits
   * stay in force instead of every request waiting for Redis. A command that fails (out when Redis
   * stopped answering) falls back the same way. `shared` says which ran.
   */
  private async count<T>(kind: LimitKind, use: (limiter: RateLimiterAbstract) => Promise<T>): Promise<{ value: T; shared: boolean }> {
    if (this.shared && this.watch?.up) {
      try {
        return { value: await use(this.shared[kind]), shared: true };
      } catch (error) {
        if (error instanceof RateLimiterRes) throw error; // spent: an answer, not a failure
      }
    }
    return { value: await use(this.own[kind]), shared: false };
  }

  /**
   * Refuses when Redis's count and what was counted without it while Redis couldn't, still in its
   * window, have together spent the limit: the latter isn't in Redis's count, and without it an
   * outage would hand every key a fresh budget. `counted` includes this use when `counting`.
   */
  private async refuseWithOwnCount(kind: LimitKind, key: string, counted: RateLimiterRes | null, counting: boolean) {
    const own = await this.own[kind].get(key);
    if (!own) return;
    const spent = (counted?.consumedPoints ?? 0) + own.consumedPoints;
    if (counting ? spent > this.settings[kind].points : spent >= this.settings[kind].points) throw refusal(own);
  }

  /** Counts one use; throws RateLimitedError once the limit is spent. */
  async consume(kind: LimitKind, key: string): Promise<void> {
    try {
      const { value, shared } = await this.count(kind, (limiter) => limiter.consume(key));
      if (shared) await this.refuseWithOwnCount(kind, key, value, true);
    } catch (error) {
      throw error instanceof RateLimiterRes ? refusal(error) : error;
    }
  }

  /** Throws when the limit is already spent, without counting this attempt. */
  async check(kind: LimitKind, key: string): Promise<void> {
    const { value, shared } = await this.count(kind, (limiter) => limiter.get(key));
    if (value && value.consumedPoints >= this.settings[kind].points) throw refusal(value);
    if (shared) await this.refuseWithOwnCount(kind, key, value, false);
  }

  /** Counts a failure after the fact (the attempt itself was already answered). */
  async penalise(kind: LimitKind, key: string): Promise<void> {
    await this.count(kind, (limiter) => limiter.penalty(key, 1));
  }

  /** Gives back one counted use (an attempt counted up front that turned out not to count). */
  async reward(kind: LimitKind, key: string): Promise<void> {
    await this.count(kind, (limiter) => limiter.reward(key, 1));
  }

  /** Clears the key's count, what was counted without Redis included. */
  async reset(kind: LimitKind, key: string): Promise<void> {
    const { shared } = await this.count(kind, (limiter) => limiter.delete(key));
    if (shared) await this.own[kind].delete(key);
  }

  /**
   * Runs a password check for `address`, at most two at once from it, the rest waiting their turn:
   * each is a deliberately slow scrypt, and a burst from one address would otherwise fill the
   * hashing threads ahead of every other user's sign-in. `check` counts its attempt once its turn
   * comes, so a queue built up early can't spend more guesses than the budget.
   */
  async passwordCheck<T>(address: string, check: () => Promise<T>): Promise<T> {
    const slot = this.checking.get(address) ?? { running: 0, waiting: [] };
    this.checking.set(address, slot);
    if (slot.running < PASSWORD_CHECKS_PER_ADDRESS) slot.running++;
    else if (slot.waiting.length >= PASSWORD_CHECKS_WAITING) throw new RateLimitedError(1);
    else await new Promise<void>((resolve) => slot.waiting.push(resolve)); // handed a running slot
    try {
      return await check();
    } finally {
      const next = slot.waiting.shift();
      if (next) next();
      else if (--slot.running === 0) this.checking.delete(address);
    }
  }
}
