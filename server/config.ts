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
  liveTickMs: number;
  /** On SIGTERM, how long to keep serving (healthz says 503) before the listener closes. */
  shutdownGraceMs: number;
  seedDemo: boolean;
  /** Session summaries by a model behind an OpenAI-compatible API; deterministic ones when unset. */
  llmSummaries: { url: string; apiKey: string; model: string; timeoutMs: number } | null;
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
    liveTickMs: Number(env.LIVE_TICK_MS ?? 1000),
    shutdownGraceMs: Number(env.SHUTDOWN_GRACE_MS ?? 1000),
    // The embedded default seeds a demo workspace on first run; on PostgreSQL only when asked to.
    seedDemo: env.SEED_DEMO ? env.SEED_DEMO === "true" : !env.DATABASE_URL,
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
