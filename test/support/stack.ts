// Starts the real API (and worker) processes against the suite's PostgreSQL and Redis, or embedded.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { createMigratedDatabase } from "./database.js";

const ROOT = new URL("../..", import.meta.url).pathname;
let redisDb = 0;

export interface Proc {
  url: string;
  child: ChildProcess;
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function startProcess(script: string, env: Record<string, string>, readyPattern: RegExp): Promise<Proc> {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${output.join("")}`)), 60_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      if (process.env.TEST_VERBOSE) process.stderr.write(text);
      const match = readyPattern.exec(output.join(""));
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1] ?? "",
          child,
          output,
          stop: (signal = "SIGTERM") =>
            new Promise((done) => {
              if (child.exitCode !== null) return done(child.exitCode);
              child.once("exit", (code) => done(code));
              child.kill(signal);
            }),
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${output.join("")}`));
    });
  });
}

export interface Stack {
  /** API base URLs, e.g. http://127.0.0.1:PORT */
  urls: string[];
  apis: Proc[];
  worker: Proc | null;
  databaseUrl: string | null;
  redisUrl: string | null;
  env: Record<string, string>;
  startApi(extraEnv?: Record<string, string>): Promise<Proc>;
  stop(): Promise<void>;
}

/** A fresh database with the demo workspace, and `instances` API processes sharing it. */
export async function startStack(options: { instances?: number; worker?: boolean; env?: Record<string, string> } = {}): Promise<Stack> {
  const serverUrl = inject("databaseUrl");
  const redisBase = inject("redisUrl");
  const env: Record<string, string> = { PORT: "0", HOST: "127.0.0.1", LIVE_TICK_MS: "1000", ...options.env };
  let databaseUrl: string | null = null;
  let redisUrl: string | null = null;
  let dataDir: string | null = null;
  if (serverUrl) {
    databaseUrl = await createMigratedDatabase(serverUrl);
    redisUrl = `${redisBase}/${redisDb++ % 16}`;
    const { Redis } = await import("ioredis");
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    Object.assign(env, { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, SEED_DEMO: "true" });
  } else {
    dataDir = mkdtempSync(join(tmpdir(), "sessions-data-"));
    env.DATA_DIR = dataDir;
  }
  const apis: Proc[] = [];
  const startApi = async (extraEnv: Record<string, string> = {}) => {
    const proc = await startProcess("server/main.ts", { ...env, ...extraEnv }, /ready on (http:\/\/\S+) /);
    proc.url = proc.url.replace("localhost", "127.0.0.1");
    apis.push(proc);
    return proc;
  };
  // One after another: the first seeds the demo workspace.
  for (let i = 0; i < (options.instances ?? 1); i++) await startApi(i === 0 ? {} : { SEED_DEMO: "false" });
  const worker = options.worker && redisUrl ? await startProcess("worker/main.ts", env, /()Worker consuming jobs/) : null;
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
    async stop() {
      await Promise.all([...apis.map((a) => a.stop()), worker?.stop()]);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
