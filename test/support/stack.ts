// Starts the real API (and worker) processes against the suite's PostgreSQL and Redis, or embedded.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { createMigratedDatabase } from "./infra.js";
import { registerOutbox } from "./mail.js";
import { startProcess, type Proc } from "./process.js";

let redisDb = 0;

export interface Stack {
  /** API base URLs, e.g. http://127.0.0.1:PORT */
  urls: string[];
  apis: Proc[];
  worker: Proc | null;
  databaseUrl: string | null;
  redisUrl: string | null;
  env: Record<string, string>;
  startApi(extraEnv?: Record<string, string>): Promise<Proc>;
  /** Another worker process, e.g. after one was killed. */
  startWorker(): Promise<Proc>;
  stop(): Promise<void>;
}

/** A fresh database with the demo workspace, and `instances` API processes sharing it. */
export async function startStack(
  options: { instances?: number; worker?: boolean; env?: Record<string, string>; servers?: { databaseUrl: string; redisUrl: string } | "embedded" } = {},
): Promise<Stack> {
  // Fault tests bring servers of their own to stop and restart; "embedded" runs the embedded default
  // even where the suite has PostgreSQL and Redis; everyone else shares the suite's.
  const servers = options.servers === "embedded" ? { databaseUrl: "", redisUrl: "" } : options.servers;
  const serverUrl = servers?.databaseUrl ?? inject("databaseUrl");
  const redisBase = servers?.redisUrl ?? inject("redisUrl");
  // Cheap password hashes: members and sign-ins are every test's set-up, not what it measures. No
  // grace period for connections still in the kernel's backlog when a stack stops: a test sends none.
  const env: Record<string, string> = {
    PORT: "0",
    HOST: "127.0.0.1",
    LIVE_TICK_MS: "1000",
    TEST_CHEAP_PASSWORD_HASHES: "1",
    SHUTDOWN_GRACE_MS: "0",
    ...options.env,
  };
  let databaseUrl: string | null = null;
  let redisUrl: string | null = null;
  // Files (screenshots) go to a throwaway folder; without PostgreSQL the embedded database too.
  const dataDir = mkdtempSync(join(tmpdir(), "sessions-data-"));
  env.DATA_DIR = dataDir;
  // Invitation and reset links go to a file the tests read (support/mail.ts).
  env.MAIL_OUTBOX = join(dataDir, "outbox.jsonl");
  if (serverUrl) {
    databaseUrl = await createMigratedDatabase(serverUrl);
    redisUrl = `${redisBase}/${redisDb++ % 16}`;
    const { Redis } = await import("ioredis");
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    Object.assign(env, { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, SEED_DEMO: "true" });
  }
  const apis: Proc[] = [];
  const startApi = async (extraEnv: Record<string, string> = {}) => {
    const proc = await startProcess("server/main.ts", { ...env, ...extraEnv }, /ready on (http:\/\/\S+) /);
    proc.url = proc.url.replace("localhost", "127.0.0.1");
    registerOutbox(proc.url, env.MAIL_OUTBOX);
    apis.push(proc);
    return proc;
  };
  // One after another: the first seeds the demo workspace.
  for (let i = 0; i < (options.instances ?? 1); i++) await startApi(i === 0 ? {} : { SEED_DEMO: "false" });
  const workers: Proc[] = [];
  const startWorker = async () => {
    const proc = await startProcess("worker/main.ts", env, /()Worker consuming jobs/);
    workers.push(proc);
    return proc;
  };
  const worker = options.worker && redisUrl ? await startWorker() : null;
  return {
    get urls() {
      return apis.map((a) => a.url);
    },
    apis,
    worker,
    databaseUrl,
    redisUrl,
    env,
    startApi,
    startWorker,
    async stop() {
      await Promise.all([...apis, ...workers].map((p) => p.stop()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
