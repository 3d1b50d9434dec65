import { PrismaPg } from "@prisma/adapter-pg";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub } from "graphql-yoga";
import { Redis } from "ioredis";
import { PrismaClient } from "../prisma/generated/client.js";
import type { Services } from "../schema/common/context.js";
import type { PubSub } from "../schema/common/pubsub.js";
import { LiveHubs } from "../schema/live/hub.js";
import { useLlmSummaries } from "../schema/analytics/summariser.js";
import { BullJobs } from "../worker/bullmq.js";
import { EmbeddedJobs } from "../worker/embedded.js";
import { fileMailSender, logMailSender } from "../schema/identity/mail.js";
import { RateLimits } from "../schema/identity/rate-limits.js";
import type { Config } from "./config.js";
import { startEmbeddedPostgres } from "./db/embedded.js";
import { applyMigrations } from "../prisma/migrations-engine.js";

export interface Runtime extends Services {
  /** The embedded runner when there is no Redis: this process runs the jobs. */
  embeddedJobs: EmbeddedJobs | null;
  close(): Promise<void>;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Events carry Dates; through Redis they travel as JSON, so instants are revived on arrival. */
function reviveDates(_key: string, value: unknown) {
  return typeof value === "string" && ISO_INSTANT.test(value) ? new Date(value) : value;
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
  const db = new PrismaClient({
    // PGlite is a single session: statements of concurrent connections would interleave mid-query
    // (pglite-socket only keeps transactions together), so embedded mode uses one connection.
    adapter: new PrismaPg({ connectionString, max: stopEmbedded ? 1 : 20 }),
    // Transactions queue on per-user and per-workspace locks (and, embedded, on PGlite's single
    // session), so a burst may wait its turn longer than Prisma's 2 s default before it starts.
    transactionOptions: { maxWait: 15_000, timeout: 20_000 },
  });

  let pubsub: PubSub;
  let redisClients: Redis[] = [];
  if (config.redisUrl) {
    redisClients = [new Redis(config.redisUrl), new Redis(config.redisUrl)];
    const eventTarget = createRedisEventTarget({
      publishClient: redisClients[0],
      subscribeClient: redisClients[1],
      serializer: { stringify: JSON.stringify, parse: (text) => JSON.parse(text, reviveDates) },
    });
    pubsub = createPubSub({ eventTarget }) as PubSub;
  } else {
    pubsub = createPubSub() as PubSub;
  }

  const bullJobs = config.redisUrl ? new BullJobs(config.redisUrl) : null;
  const embeddedJobs = bullJobs ? null : new EmbeddedJobs(db);
  const live = new LiveHubs(db, pubsub, config.liveTickMs);
  const mail = { sender: config.mailOutbox ? fileMailSender(config.mailOutbox) : logMailSender, publicUrl: config.publicUrl };
  // The publishing connection also answers ordinary commands, so the limits share it.
  const limits = new RateLimits(config.rateLimits, redisClients[0] ?? null);

  return {
    db,
    pubsub,
    jobs: (bullJobs ?? embeddedJobs)!,
    live,
    mail,
    limits,
    embeddedJobs,
    async close() {
      live.stop();
      await embeddedJobs?.stop();
      await bullJobs?.close();
      await db.$disconnect();
      for (const r of redisClients) r.disconnect();
      await stopEmbedded?.();
    },
  };
}
