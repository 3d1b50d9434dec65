import { PrismaPg } from "@prisma/adapter-pg";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub } from "graphql-yoga";
import { Redis } from "ioredis";
import pg from "pg";
import { PrismaClient } from "../prisma/generated/client.js";
import type { Services } from "../schema/common/context.js";
import type { PubSub } from "../schema/common/pubsub.js";
import { JobCatalog } from "../schema/common/jobs.js";
import { jobs as allJobs } from "../schema/jobs.js";
import { LiveHubs } from "../schema/live/hub.js";
import { liveSources } from "../schema/live-sources.js";
import { useLlmSummaries } from "../schema/analytics/summariser.js";
import { BullJobs } from "./jobs/bullmq.js";
import { EmbeddedJobs } from "./jobs/embedded.js";
import { fileMailSender, logMailSender } from "../schema/identity/mail.js";
import { RateLimits } from "../schema/identity/rate-limits.js";
import { CredentialStamps } from "../schema/identity/stamps.js";
import { watchRedis, type Watch } from "./watch.js";
import { REDIS_COMMAND_TIMEOUT_MS, type Config } from "./config.js";
import { log } from "../schema/common/log.js";
import { startEmbeddedPostgres } from "./db/embedded.js";
import { applyMigrations } from "../prisma/migrations-engine.js";

export interface Runtime extends Services {
  /** The hubs themselves, not just their subscriptions: the server has them catch up after an outage. */
  readonly live: LiveHubs;
  /** Every domain's jobs, by name: what the runners enqueue and process. */
  jobCatalog: JobCatalog;
  /** The embedded runner when there is no Redis: this process runs the jobs. */
  embeddedJobs: EmbeddedJobs | null;
  /** Whether Redis answers, when there is Redis. */
  redisWatch: Watch | null;
  /** Jobs by state: waiting, active, delayed, failed. */
  jobCounts: () => Promise<Record<string, number>>;
  /** Called each time the pub/sub connection to Redis comes back after being lost. */
  whenPubSubResumed(listener: () => void): void;
  close(): Promise<void>;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Events carry Dates; through Redis they travel as JSON, so instants are revived on arrival. */
function reviveDates(_key: string, value: unknown) {
  return typeof value === "string" && ISO_INSTANT.test(value) ? new Date(value) : value;
}

/**
 * A publish Redis never took (away longer than ioredis's 20 retries, about 10 s) is logged, not left
 * to reject unhandled, which would end the process: listeners catch up on reconnect anyway.
 */
function publishing(client: Redis): Redis {
  const publish = client.publish.bind(client);
  client.publish = ((channel: string, message: string) =>
    publish(channel, message).catch((error: Error) => {
      log.warn({ err: error.message, channel }, "announcement dropped while Redis is away; listeners catch up on reconnect");
      return 0;
    })) as Redis["publish"];
  return client;
}

/**
 * ioredis reconnects and re-subscribes by itself, but messages published while the connection was
 * down are gone: listeners catch up from the database when it is back.
 */
function watchReconnects(subscriber: Redis, onResumed: () => void) {
  let lost = false;
  subscriber.on("close", () => {
    if (!lost) log.warn("Redis pub/sub connection lost; reconnecting");
    lost = true;
  });
  subscriber.on("ready", () => {
    if (!lost) return;
    lost = false;
    log.info("Redis pub/sub connection back; refreshing credentials and live boards");
    // ioredis re-subscribes right after "ready"; a ping answered after that means the channels
    // listen again, so nothing published from here on is missed by the catch-up.
    setImmediate(() => void subscriber.ping().then(onResumed, onResumed));
  });
  // Reconnection is ioredis's job; an error event without a listener would end the process.
  subscriber.on("error", () => {});
}

/**
 * JIT compilation and parallel workers are for long analytical statements: both start when a plan's
 * estimated cost passes a threshold, and the activity page's statements pass it, their estimates
 * inflated by unrolling per-day counts. Compiling took longer (~180 ms) than the whole statement;
 * starting two workers for a few thousand rows took 8-30 ms where the statement alone takes 3, and on
 * a busy API the workers take cores from other requests. Every statement here has someone waiting on
 * it, so both are off for this service's sessions: set as each connection opens, before the pool
 * hands it out, rather than as startup options, which poolers such as PgBouncer refuse. PGlite has
 * neither.
 */
async function forInteractiveUse(client: pg.ClientBase) {
  await client.query("SET jit = off; SET max_parallel_workers_per_gather = 0").catch((error: Error) => log.warn({ err: error.message }, "could not turn JIT and parallel workers off"));
}

/** The connections every statement of this process goes through. */
export function openPool(connectionString: string, embedded: boolean): pg.Pool {
  // PGlite is a single session: statements of concurrent connections would interleave mid-query
  // (pglite-socket only keeps transactions together), so embedded mode uses one connection.
  const pool = new pg.Pool({ connectionString, max: embedded ? 1 : 20, onConnect: embedded ? undefined : forInteractiveUse });
  // A restarting server drops idle connections; the pool replaces them, nothing to crash over.
  pool.on("error", (error) => log.warn({ err: error.message }, "idle PostgreSQL connection lost"));
  return pool;
}

/** PostgreSQL (or embedded PGlite, migrated on start) plus Redis (or in-memory) pub/sub and jobs. */
export async function openRuntime(config: Config): Promise<Runtime> {
  useLlmSummaries(config.llmSummaries);
  let connectionString = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!connectionString) {
    const embedded = await startEmbeddedPostgres(config.dataDir);
    connectionString = embedded.connectionString;
    stopEmbedded = embedded.stop;
    await applyMigrations(connectionString);
  }
  const pool = openPool(connectionString, stopEmbedded !== null);
  const db = new PrismaClient({
    adapter: new PrismaPg(pool, { disposeExternalPool: true }),
    // Transactions queue on per-user and per-workspace locks (and, embedded, on PGlite's single
    // session), so a burst may wait its turn longer than Prisma's 2 s default before it starts.
    transactionOptions: { maxWait: 15_000, timeout: 20_000 },
    // Error texts are never shown to clients (see maskError) and the log keeps the code and message;
    // the default "colorless" format costs ~20 µs of CPU per query, even for queries that succeed.
    errorFormat: "minimal",
  });

  let pubsub: PubSub;
  let redisClients: Redis[] = [];
  const resumed = new Set<() => void>();
  if (config.redisUrl) {
    // When a command times out, its users fall back: rate limits count in the process, stamps trust
    // nothing cached, and an announcement stays sent, arriving when Redis answers again.
    // Commands sent in one turn of the event loop leave in one write (auto-pipelining): each request's
    // rate-limit count and stamps read, across the requests in flight (an eighth less CPU a small
    // query). Only one such pipeline is out at a time, so commands behind one that Redis doesn't
    // answer wait for it: the timeout bounds that too. The limiters define their Lua command before
    // any command is sent (RateLimits, below): one defined after a pipeline formed would be missing
    // from it (ioredis issue 1931).
    const commands = { commandTimeout: REDIS_COMMAND_TIMEOUT_MS, enableAutoPipelining: true };
    // The subscribing connection waits for Redis however long it is away: a subscription asked for
    // meanwhile (a board opened, a process just started) is sent once it is back. ioredis's default
    // gives up after 20 retries (about 10 s), and the event target leaves that rejection unhandled,
    // which ended the process.
    redisClients = [publishing(new Redis(config.redisUrl, commands)), new Redis(config.redisUrl, { maxRetriesPerRequest: null })];
    watchReconnects(redisClients[1], () => resumed.forEach((listener) => listener()));
    const eventTarget = createRedisEventTarget({
      publishClient: redisClients[0],
      subscribeClient: redisClients[1],
      serializer: { stringify: JSON.stringify, parse: (text) => JSON.parse(text, reviveDates) },
    });
    pubsub = createPubSub({ eventTarget }) as PubSub;
  } else {
    pubsub = createPubSub() as PubSub;
  }

  const jobCatalog = new JobCatalog(allJobs);
  const bullJobs = config.redisUrl ? new BullJobs(config.redisUrl, jobCatalog) : null;
  const embeddedJobs = bullJobs ? null : new EmbeddedJobs(db, jobCatalog);
  const live = new LiveHubs(db, pubsub, liveSources, config.liveTickMs);
  const mail = { sender: config.mailOutbox ? fileMailSender(config.mailOutbox) : logMailSender, publicUrl: config.publicUrl };
  // The publishing connection also answers ordinary commands, so the limits share it.
  const watch = redisClients[0] ? watchRedis(redisClients[0]) : null;
  const limits = new RateLimits(config.rateLimits, watch && { client: redisClients[0], watch, pool });

  return {
    db,
    pubsub,
    jobs: (bullJobs ?? embeddedJobs)!,
    live,
    mail,
    limits,
    credentialStamps: watch && new CredentialStamps(redisClients[0], watch),
    jobCatalog,
    embeddedJobs,
    pool,
    redisWatch: watch,
    jobCounts: () => (bullJobs ?? embeddedJobs)!.counts(),
    whenPubSubResumed: (listener) => resumed.add(listener),
    async close() {
      live.stop();
      watch?.stop();
      await embeddedJobs?.stop();
      await bullJobs?.close();
      await db.$disconnect();
      for (const r of redisClients) r.disconnect();
      await stopEmbedded?.();
    },
  };
}
