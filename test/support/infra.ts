// Real PostgreSQL and Redis for the test suites, started on loopback when their binaries exist.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, chmodSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { applyMigrations } from "../../prisma/migrations-engine.js";

export function hasBinary(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;

/** PostgreSQL refuses to run as root, so as root the cluster belongs to the postgres user. */
function pgCommand(command: string) {
  if (asRoot) execFileSync("su", ["postgres", "-c", command], { stdio: "pipe" });
  else execFileSync("sh", ["-c", command], { stdio: "pipe" });
}

export interface Infra {
  databaseUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

/** A PostgreSQL server of its own, which a fault test may stop and start again on the same port. */
export interface PostgresServer {
  /** The server's `postgres` database; `createMigratedDatabase` makes one per stack. */
  url: string;
  /** `immediate` is a crash: connections are cut, nothing is flushed politely. */
  stop(mode?: "fast" | "immediate"): void;
  start(): void;
  /** SIGSTOP to the server and every backend: connections stay open and nothing is answered, as when a host stalls. */
  freeze(): void;
  /** SIGCONT: it answers what it was sent meanwhile. */
  thaw(): void;
  destroy(): void;
}

/**
 * Stopping, the postmaster goes first, so it forks no backend the list would miss; resuming, it goes
 * last, so it forks no backend the list would miss either. A backend listed may still be gone by its
 * signal: resuming a cluster that already runs (a test's `finally` thaws again), the postmaster reaps
 * backends as they exit. A backend gone needs no signal.
 */
function signalCluster(pgData: string, signal: "SIGSTOP" | "SIGCONT") {
  const postmaster = Number(readFileSync(join(pgData, "postmaster.pid"), "utf8").split("\n")[0]);
  if (signal === "SIGSTOP") process.kill(postmaster, signal);
  const children = execFileSync("pgrep", ["-P", String(postmaster)], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const pid of children) signalIfRunning(Number(pid), signal);
  if (signal === "SIGCONT") process.kill(postmaster, signal);
}

function signalIfRunning(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * `durable` keeps PostgreSQL's crash safety (fsync, synchronous commit): a fault test that crashes the
 * server must not lose commits it acknowledged. The suite's shared server trades it for speed.
 */
export async function startPostgres(dir: string, durable = false): Promise<PostgresServer> {
  const pgData = join(dir, "pg");
  const port = await freePort();
  pgCommand(`initdb -D ${pgData} -A trust -U postgres --no-sync >/dev/null`);
  const fast = durable ? "" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
  const start = () =>
    pgCommand(`pg_ctl -D ${pgData} -l ${pgData}.log -w -o "-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 ${fast} -c max_connections=300" start >/dev/null`);
  const stop = (mode: "fast" | "immediate" = "fast") => pgCommand(`pg_ctl -D ${pgData} -m ${mode} -w stop >/dev/null`);
  start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop,
    start,
    freeze: () => signalCluster(pgData, "SIGSTOP"),
    thaw: () => signalCluster(pgData, "SIGCONT"),
    destroy() {
      try {
        signalCluster(pgData, "SIGCONT");
      } catch {
        /* not running */
      }
      try {
        stop("immediate");
      } catch {
        /* already gone */
      }
    },
  };
}

/** A Redis of its own; `persistent` keeps its data (append-only file) across a kill, as production Redis for queues does. */
export interface RedisServer {
  url: string;
  /** SIGKILL: the process dies at once, as in a crash. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing is answered, as when Redis stalls or the network drops packets. */
  freeze(): void;
  /** SIGCONT: it answers what it was sent meanwhile. */
  thaw(): void;
  destroy(): void;
}

export async function startRedis(dir: string, persistent = false): Promise<RedisServer> {
  const port = await freePort();
  const durability = persistent ? ["--appendonly", "yes", "--appendfsync", "always", "--dir", dir] : ["--appendonly", "no"];
  // Under a shifted clock (test/shifted-dates.sh) Redis starts without libfaketime: its allocator
  // deadlocks with it, and nothing reads Redis's clock (BullMQ takes its timestamps from Node).
  const { LD_PRELOAD: _faked, ...env } = process.env;
  let redis: ChildProcess | null = null;
  const start = async () => {
    redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...durability], { stdio: "ignore", env });
    await waitForPort(port);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      const child = redis!;
      if (child.exitCode !== null || child.signalCode) return;
      await new Promise((resolve) => (child.once("exit", resolve), child.kill("SIGKILL")));
    },
    start,
    freeze: () => void redis!.kill("SIGSTOP"),
    thaw: () => void redis!.kill("SIGCONT"),
    destroy: () => void redis?.kill("SIGTERM"),
  };
}

export async function startPostgresAndRedis(): Promise<Infra> {
  const dir = mkdtempSync(join(tmpdir(), "sessions-test-"));
  chmodSync(dir, 0o777);
  const postgres = await startPostgres(dir);
  await createMigratedDatabase(postgres.url, TEMPLATE);
  const redis = await startRedis(dir);
  return {
    databaseUrl: postgres.url,
    redisUrl: redis.url,
    async stop() {
      redis.destroy();
      postgres.destroy();
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitForPort(port: number, timeoutMs = 10_000) {
  const { connect } = await import("node:net");
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open`);
}

/**
 * The shared server's migrated database, made once: each stack's database is a copy of it, which
 * takes a fifth of the time of migrating (and spares loading the migration engine in every file).
 */
const TEMPLATE = "migrated_template";

/** A new, migrated database on a PostgreSQL server: a copy of its template where it has one. */
export async function createMigratedDatabase(server: string, name = `t_${Date.now()}_${Math.floor(Math.random() * 1e6)}`): Promise<string> {
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [TEMPLATE]);
  await admin.query(rowCount ? `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}` : `CREATE DATABASE ${name}`);
  await admin.end();
  const url = server.replace(/\/postgres$/, `/${name}`);
  if (!rowCount) await applyMigrations(url);
  return url;
}
