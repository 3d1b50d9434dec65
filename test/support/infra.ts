// Real PostgreSQL and Redis for the test suites, started on loopback when their binaries exist.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
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

export async function startPostgresAndRedis(): Promise<Infra> {
  const dir = mkdtempSync(join(tmpdir(), "sessions-test-"));
  chmodSync(dir, 0o777);
  const pgData = join(dir, "pg");
  const pgPort = await freePort();
  pgCommand(`initdb -D ${pgData} -A trust -U postgres --no-sync >/dev/null`);
  pgCommand(
    `pg_ctl -D ${pgData} -l ${pgData}.log -w -o "-p ${pgPort} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null`,
  );
  const redisPort = await freePort();
  // Under a shifted clock (test/shifted-dates.sh) Redis starts without libfaketime: its allocator
  // deadlocks with it, and nothing reads Redis's clock (BullMQ takes its timestamps from Node).
  const { LD_PRELOAD: _faked, ...env } = process.env;
  const redis: ChildProcess = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
    env,
  });
  await waitForPort(redisPort);
  return {
    databaseUrl: `postgresql://postgres@127.0.0.1:${pgPort}/postgres`,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    async stop() {
      redis.kill("SIGTERM");
      try {
        pgCommand(`pg_ctl -D ${pgData} -m immediate stop >/dev/null`);
      } catch {
        /* already gone */
      }
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

/** A new, migrated database on the suite's PostgreSQL server. */
export async function createMigratedDatabase(server: string): Promise<string> {
  const name = `t_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = server.replace(/\/postgres$/, `/${name}`);
  await applyMigrations(url);
  return url;
}

