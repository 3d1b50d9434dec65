import { DEFAULT_RATE_LIMITS, parseRateLimit, type RateLimitSettings } from "../schema/identity/rate-limits.js";
import { parseScreenshotQuota, type ScreenshotQuota } from "../schema/work/screenshots.js";

/**
 * How long a Redis command on a request's way may go unanswered before it fails (a local Redis answers
 * in well under a millisecond): Redis may stall with its connections open, and a command already sent
 * when it died waits for it to come back.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;

/** Everything the processes read from the environment, in one place. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  /** Extra origins allowed to open cookie-authenticated WebSockets (the serving host is always allowed). */
  allowedOrigins: string[];
  maxBodyBytes: number;
  maxSubscriptionsPerSocket: number;
  /** How often every WebSocket is pinged: one that hasn't answered the previous ping by the next is dropped. */
  wsPingMs: number;
  liveTickMs: number;
  /** On SIGTERM, how long to keep serving (healthz says 503) before the listener closes. */
  shutdownGraceMs: number;
  seedDemo: boolean;
  /** How many proxies in front of the API to believe about X-Forwarded-For / -Proto (0: none). */
  trustProxy: number;
  /** The web client's address, for links in invitation and password reset mails. */
  publicUrl: string;
  /** With a path, mails are appended there as JSON lines instead of going to the log. */
  mailOutbox: string | null;
  rateLimits: RateLimitSettings;
  /**
   * How long a worker's hold on a running job lasts unless renewed: a worker that dies mid-job is
   * noticed, and its job given to another, after about this long.
   */
  jobLockMs: number;
  /** What one member's desktop app may upload as screenshots in 24 hours, so a runaway app can't fill the disk. */
  screenshotQuota: ScreenshotQuota;
  /** The Bearer token Prometheus sends to /metrics; without one there is no /metrics. */
  metricsToken: string | null;
  /** Session summaries by a model behind an OpenAI-compatible API; deterministic ones when unset. */
  llmSummaries: { url: string; apiKey: string; model: string; timeoutMs: number } | null;
}

/** A timer's interval: a typo must stop the process, not run the timer every millisecond. */
function interval(name: string, value: string | undefined, fallback: number) {
  if (!value) return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1) throw new Error(`${name} must be a whole number of milliseconds above 0, not "${value}"`);
  return ms;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: Number(env.PORT ?? 4000),
    host: env.HOST ?? "0.0.0.0",
    dataDir: env.DATA_DIR ?? ".data",
    databaseUrl: env.DATABASE_URL || null,
    redisUrl: env.REDIS_URL || null,
    allowedOrigins: (env.ALLOWED_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean),
    maxBodyBytes: Number(env.MAX_BODY_BYTES ?? 1_000_000),
    maxSubscriptionsPerSocket: Number(env.MAX_SUBSCRIPTIONS_PER_SOCKET ?? 20),
    wsPingMs: interval("WS_PING_MS", env.WS_PING_MS, 12_000),
    liveTickMs: interval("LIVE_TICK_MS", env.LIVE_TICK_MS, 1000),
    shutdownGraceMs: Number(env.SHUTDOWN_GRACE_MS ?? 1000),
    // The embedded default seeds a demo workspace on first run; on PostgreSQL only when asked to.
    seedDemo: env.SEED_DEMO ? env.SEED_DEMO === "true" : !env.DATABASE_URL,
    trustProxy: env.TRUST_PROXY === "true" ? 1 : Number(env.TRUST_PROXY || 0),
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT ?? 4000}`).replace(/\/$/, ""),
    mailOutbox: env.MAIL_OUTBOX || null,
    metricsToken: env.METRICS_TOKEN || null,
    jobLockMs: interval("JOB_LOCK_MS", env.JOB_LOCK_MS, 30_000),
    screenshotQuota: parseScreenshotQuota(env.SCREENSHOT_QUOTA),
    rateLimits: {
      signInPerAddress: parseRateLimit(env.RATE_LIMIT_SIGN_IN_PER_ADDRESS, DEFAULT_RATE_LIMITS.signInPerAddress),
      signInPerAccount: parseRateLimit(env.RATE_LIMIT_SIGN_IN_PER_ACCOUNT, DEFAULT_RATE_LIMITS.signInPerAccount),
      tokenUse: parseRateLimit(env.RATE_LIMIT_TOKEN, DEFAULT_RATE_LIMITS.tokenUse),
      ingestion: parseRateLimit(env.RATE_LIMIT_INGESTION, DEFAULT_RATE_LIMITS.ingestion),
    },
    llmSummaries: env.SUMMARY_LLM_URL
      ? {
          url: env.SUMMARY_LLM_URL,
          apiKey: env.SUMMARY_LLM_API_KEY ?? "",
          model: env.SUMMARY_LLM_MODEL ?? "gpt-4o-mini",
          timeoutMs: Number(env.SUMMARY_LLM_TIMEOUT_MS ?? 20_000),
        }
      : null,
  };
}
