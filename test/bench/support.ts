// Shared pieces of the benchmarks: the process under test, its backing services, and the tables.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createMigratedDatabase, hasBinary, startPostgresAndRedis, type Infra } from "../support/infra.js";
import { ok, tokenFor } from "../support/client.js";
import { createMember, registerOutbox } from "../support/mail.js";
import { startProcess, type Proc } from "../support/process.js";


const READY = /ready on (http:\/\/\S+) /;

export interface BenchEnv {
  infra: Infra | null;
  /** Starts an API process on a fresh, seeded database (real PostgreSQL when available), or on `env.DATABASE_URL`. */
  startApi(env?: Record<string, string>): Promise<Proc & { databaseUrl: string | null }>;
}

export async function benchEnv(): Promise<BenchEnv> {
  const infra = hasBinary("initdb") && hasBinary("redis-server") ? await startPostgresAndRedis() : null;
  return {
    infra,
    async startApi(env = {}) {
      const dataDir = mkdtempSync(join(tmpdir(), "bench-data-"));
      // Benches measure throughput, not the per-credential limits that would answer 429 to a load generator.
      const base: Record<string, string> = {
        PORT: "0",
        HOST: "127.0.0.1",
        SEED_DEMO: "true",
        MAIL_OUTBOX: join(dataDir, "outbox.jsonl"),
        RATE_LIMIT_TOKEN: "1000000000/1",
        RATE_LIMIT_INGESTION: "1000000000/1",
        // Stopped only once its figure is taken: no connections can be queued that a grace period would serve.
        SHUTDOWN_GRACE_MS: "0",
        ...env,
      };
      // A process scaled out beside another one is given that one's database.
      if (infra) base.DATABASE_URL = env.DATABASE_URL ?? (base.SEED_DEMO === "true" ? await seededCopy(infra.databaseUrl) : await createMigratedDatabase(infra.databaseUrl));
      else base.DATA_DIR = dataDir;
      const proc = await startProcess("server/main.ts", base, READY);
      proc.url = proc.url.replace("localhost", "127.0.0.1");
      registerOutbox(proc.url, base.MAIL_OUTBOX);
      return Object.assign(proc, { databaseUrl: base.DATABASE_URL ?? null });
    },
  };
}

let seeded: Promise<string> | null = null;

/**
 * A new database holding the demo workspace: a copy (CREATE DATABASE ... TEMPLATE) of one migrated
 * and seeded by an API process once per run, so no figure's start pays for the migrations and the
 * seed again. The demo is seeded relative to now; a run's minutes don't change what it shows.
 */
async function seededCopy(server: string): Promise<string> {
  seeded ??= (async () => {
    const url = await createMigratedDatabase(server);
    const seeder = await startProcess("server/main.ts", { DATABASE_URL: url, PORT: "0", HOST: "127.0.0.1", SEED_DEMO: "true", SHUTDOWN_GRACE_MS: "0" }, READY);
    await seeder.stop();
    return url;
  })();
  const template = new URL(await seeded).pathname.slice(1);
  const name = `t_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    // The seeder's connections may take a moment to leave after it exits; a template must have none.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        break;
      } catch (error) {
        if (attempt === 50 || !/being accessed by other users/.test(String(error))) throw error;
        await sleep(100);
      }
    }
  } finally {
    await admin.end();
  }
  return server.replace(/\/postgres$/, `/${name}`);
}

/**
 * Members of the demo workspace with a personal access token each, in the order of `emails`, made
 * as set-based SQL: through the API, each would cost two scrypt hashes (about 0.4 s of CPU each),
 * which would time the password hash instead of the figure.
 */
export async function membersWithTokens(databaseUrl: string, emails: string[], role: "employee" | "manager" = "employee"): Promise<string[]> {
  const tokens = emails.map(() => `sp_pat_${randomBytes(24).toString("base64url")}`);
  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  try {
    await sql.query(
      `WITH workspace AS (SELECT m."workspaceId" AS id FROM "Membership" m JOIN "User" u ON u.id = m."userId" WHERE u.email = 'owner@demo.test' LIMIT 1),
       people AS (SELECT gen_random_uuid() AS id, email, hash FROM unnest($1::text[], $2::text[]) AS p(email, hash)),
       users AS (INSERT INTO "User" (id, email, name, "passwordHash") SELECT id, email, 'Bench', 'none' FROM people),
       members AS (INSERT INTO "Membership" (id, "workspaceId", "userId", role) SELECT gen_random_uuid(), workspace.id, people.id, $3::"Role" FROM people, workspace)
       INSERT INTO "AccessToken" (id, kind, "workspaceId", "userId", name, "secretHash")
       SELECT gen_random_uuid(), 'personal', workspace.id, people.id, 'desktop', people.hash FROM people, workspace`,
      [emails, tokens.map((t) => createHash("sha256").update(t).digest("hex")), role],
    );
  } finally {
    await sql.end();
  }
  return tokens;
}

/**
 * New employees' personal access tokens, as the desktop app gets them: made in SQL when the bench
 * reaches the database, else (embedded) each created, signed in and given one through the API.
 */
export async function memberTokens(api: { url: string; databaseUrl: string | null }, emails: string[]): Promise<string[]> {
  if (api.databaseUrl) return membersWithTokens(api.databaseUrl, emails);
  const owner = await tokenFor(api.url, "owner@demo.test");
  const tokens: string[] = [];
  for (const email of emails) {
    await createMember(api.url, { token: owner }, { email, role: "EMPLOYEE", name: "Bench", password: "bench-password" });
    const res = await fetch(`${api.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: `mutation { signIn(input: { email: "${email}", password: "bench-password" }) { __typename } }` }) });
    const cookie = res.headers.get("set-cookie")!.split(";")[0];
    tokens.push((await ok(api.url, `mutation { createPersonalAccessToken(input: { name: "desktop" }) { ... on CreatedToken { secret } } }`, {}, { cookie })).createPersonalAccessToken.secret as string);
  }
  return tokens;
}

/** `npm run bench -- --quick`: every figure with shorter runs and smaller data, for day-to-day use. */
export const quick = process.argv.includes("--quick");

/** Seconds of CPU (user + system, all threads) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  return processTimes(readFileSync(`/proc/${pid}/stat`, "utf8")).own;
}

/** A /proc/<pid>/stat line's CPU seconds: the process's own, and its ended children's. */
function processTimes(stat: string) {
  const [utime, stime, cutime, cstime] = stat.slice(stat.lastIndexOf(")") + 2).split(" ").slice(11, 15).map(Number);
  return { own: (utime + stime) / CLOCK_TICKS, children: (cutime + cstime) / CLOCK_TICKS };
}

/**
 * Seconds of CPU the running processes named `command` have used, with their ended children's: a
 * PostgreSQL server's backends that have exited count in its postmaster.
 */
function cpuSecondsOfAll(command: string): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // it ended meanwhile
    }
    if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) !== command) continue;
    const times = processTimes(stat);
    total += times.own + times.children;
  }
  return total;
}

/** Seconds of CPU the machine has been busy so far, on all its cores and for every process, from /proc/stat. */
function machineCpuSeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

/**
 * The CPU spent from now on, in µs per unit of work: by the whole machine, by each process named in
 * `pids`, by PostgreSQL and Redis, and by this process, named `self` (the load, where it sends the
 * work). Two cores bound the machine's sum: at most 2,000,000 units a second over its µs per unit.
 */
export function cpuMeter(pids: Record<string, number>, self = "load") {
  const read = () => ({
    machine: machineCpuSeconds(),
    each: Object.values(pids).map(cpuSeconds),
    postgres: cpuSecondsOfAll("postgres"),
    redis: cpuSecondsOfAll("redis-server"),
    load: process.cpuUsage(),
  });
  const start = read();
  return (units: number) => {
    const end = read();
    const perUnit = (seconds: number) => Math.round((seconds * 1e6) / units);
    const load = process.cpuUsage(start.load);
    const parts = [
      ...Object.keys(pids).map((name, i) => `${name} ${perUnit(end.each[i] - start.each[i])}`),
      `PostgreSQL ${perUnit(end.postgres - start.postgres)}`,
      `Redis ${perUnit(end.redis - start.redis)}`,
      `${self} ${perUnit((load.user + load.system) / 1e6)}`,
    ];
    return `${perUnit(end.machine - start.machine)} (${parts.join(", ")})`;
  };
}
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export type Row = Record<string, string | number>;

export function printTable(title: string, rows: Row[]) {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (typeof v === "number" ? (Number.isInteger(v) ? v.toLocaleString("en") : v.toFixed(2)) : String(v ?? ""));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => "| " + values.map((v, i) => v.padEnd(widths[i])).join(" | ") + " |";
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of rows) console.log(line(columns.map((c) => cell(r[c]))));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Each client calls `step` over and over, all at once, for `seconds`; the sorted wall times of every
 * call, in ms. The API's figure and its baseline's are taken by this same loop.
 */
export async function loadLoop<T>(clients: T[], seconds: number, step: (client: T, i: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; Date.now() < until; i++) {
        const start = performance.now();
        await step(client, i);
        latencies.push(performance.now() - start);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

/** Sorted wall times of `rounds` sequential calls, in ms. */
export async function timeCalls(rounds: number, call: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

/**
 * Runs a test file whose run is the measurement (the authorization matrix, the bad-input suite): it
 * writes what it counted as JSON to the file named in `reportVariable`.
 */
export function suiteFigures<T>(file: string, reportVariable: string, env: Record<string, string> = {}, args: string[] = []): { figures: T; passed: boolean } {
  const dir = mkdtempSync(join(tmpdir(), "suite-figures-"));
  const report = join(dir, "figures.json");
  try {
    const run = spawnSync("npx", ["vitest", "run", file, ...args], {
      env: { ...process.env, ...env, [reportVariable]: report },
      stdio: ["ignore", "ignore", "inherit"],
    });
    return { figures: JSON.parse(readFileSync(report, "utf8")) as T, passed: run.status === 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
