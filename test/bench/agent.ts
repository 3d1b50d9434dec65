// Agent-session figures: beat flips under concurrent users, and month-end invoicing at volume.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../../prisma/generated/client.js";
import type { Services } from "../../schema/common/context.js";
import { GENERATE, jobs } from "../../schema/billing/jobs.js";
import { monthPeriod } from "../../schema/billing/rules.js";
import { ok, tokenFor } from "../support/client.js";
import { createMigratedDatabase } from "../support/infra.js";
import { cpuSeconds, memberTokens, percentile, type BenchEnv, type Row } from "./support.js";

const execFileAsync = promisify(execFile);

/**
 * 50 users, each flipping beats across two sessions of their own through the API, against the same
 * flips as agent_flip_beat calls through `pg` (the baseline: its own process, the same people,
 * sessions and order), so the ratio is the API's throughput over the database work alone.
 */
export async function beatFlips(env: BenchEnv, userCount = 50, seconds = 10): Promise<Row[]> {
  const api = await env.startApi();
  const url = api.url;
  const owner = await tokenFor(url, "owner@demo.test");
  const project = (await ok(url, `{ projects(search: "Acme") { nodes { id } } }`, {}, { token: owner })).projects.nodes[0].id;
  const start = `mutation($p: ID!) { startAgentSession(input: { projectId: $p, description: "bench" }) { ... on AgentSession { id } } }`;
  const startOne = async (token: string) => (await ok(url, start, { p: project }, { token })).startAgentSession.id as string;
  // Each user's two sessions, one after the other (its second start demotes the first); users side by side.
  const users = await memberTokens(api, Array.from({ length: userCount }, (_, u) => `flipper${u}@bench.test`));
  const people = await Promise.all(users.map(async (token) => ({ token, sessions: [await startOne(token), await startOne(token)] })));
  const rows: Row[] = [
    api.databaseUrl
      ? { operation: "agent_flip_beat through pg (baseline, own process)", users: userCount, ...(await directFlips(api.databaseUrl, seconds)) }
      : { operation: "baseline: needs PostgreSQL (not the embedded default)" },
  ];
  // The same users and load clients asking a small query first: what any authenticated request costs here, now.
  await throughApi(url, people, 1, true); // warm-up: JIT, pools, caches
  const query = await measured(api, () => throughApi(url, people, seconds, true));
  rows.push({
    operation: "{ viewer { role user { name } } } through the API (same users and clients)",
    users: userCount,
    "requests/s": Math.round(query.latencies.length / seconds),
    "p50 ms": percentile(query.latencies, 50),
    "p99 ms": percentile(query.latencies, 99),
    "API CPU µs/request": query.cpuMicros,
    failed: query.failed,
  });
  await throughApi(url, people, 1); // warm-up
  const transactionsBefore = api.databaseUrl ? await transactions(api.databaseUrl) : 0;
  const { latencies, failed, cpuMicros } = await measured(api, () => throughApi(url, people, seconds));
  const transactionsPerFlip = api.databaseUrl ? ((await transactions(api.databaseUrl)) - transactionsBefore) / latencies.length : null;
  const rate = Math.round(latencies.length / seconds);
  const p99 = percentile(latencies, 99);
  const baseline = rows[0]["flips/s"] as number | undefined;
  rows.push({
    operation: "setBeat through the API",
    users: userCount,
    "flips/s": rate,
    "p50 ms": percentile(latencies, 50),
    "p99 ms": p99,
    "API CPU µs/request": cpuMicros,
    ...(transactionsPerFlip === null ? {} : { "DB transactions/flip": Number(transactionsPerFlip.toFixed(2)) }),
    failed,
    ...(baseline ? { "÷ baseline": Number((rate / baseline).toFixed(2)) } : {}),
    goal: "≥ 1,000 flips/s, p99 < 100 ms",
    "goal met": String(rate >= 1000 && p99 < 100),
  });
  await api.stop();
  return rows;
}

/** Processes flipping through the API: enough to spread making requests over both cores. */
const LOAD_CLIENTS = 2;

/**
 * The users' flips (or `viewer` queries) through the API from load clients of their own
 * (flip-client.ts), each user over its own connection; every request's wall time, sorted, and how
 * many didn't succeed.
 */
async function throughApi(url: string, people: { token: string; sessions: string[] }[], seconds: number, viewer = false) {
  const shares = Array.from({ length: LOAD_CLIENTS }, (_, c) => people.filter((_, i) => i % LOAD_CLIENTS === c));
  const runs = await Promise.all(
    shares.map(async (users) => {
      const { stdout } = await execFileAsync(process.execPath, ["--import", "tsx", "test/bench/flip-client.ts", JSON.stringify({ url, seconds, viewer, users })], {
        maxBuffer: 256 * 1024 * 1024,
      });
      return JSON.parse(stdout) as { latencies: number[]; failed: number };
    }),
  );
  return { latencies: runs.flatMap((r) => r.latencies).sort((a, b) => a - b), failed: runs.reduce((n, r) => n + r.failed, 0) };
}

/** A load run, with the API process's CPU (every thread, from /proc) per request it answered. */
async function measured(api: { child: { pid?: number } }, run: () => Promise<{ latencies: number[]; failed: number }>) {
  const before = cpuSeconds(api.child.pid!);
  const result = await run();
  return { ...result, cpuMicros: Math.round(((cpuSeconds(api.child.pid!) - before) * 1e6) / result.latencies.length) };
}

/**
 * Transactions committed or rolled back in the database so far. A statement outside a transaction is
 * one, so per flip this counts its round trips (a multi-statement transaction would count once).
 * Backends report their counts when idle, at most once a second: hence the wait.
 */
async function transactions(databaseUrl: string): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  const { rows: [row] } = await sql.query(`SELECT (xact_commit + xact_rollback)::int AS n FROM pg_stat_database WHERE datname = current_database()`);
  await sql.end();
  return row.n;
}

/** The bench's flippers and their two open sessions, flipped by the baseline process. */
async function directFlips(databaseUrl: string, seconds: number): Promise<Row> {
  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  const { rows: people } = await sql.query(
    `SELECT s."workspaceId", s."userId", array_agg(s.id ORDER BY s."startedAt") AS sessions
     FROM "AgentSession" s JOIN "User" u ON u.id = s."userId"
     WHERE u.email LIKE 'flipper%@bench.test' AND s."endedAt" IS NULL GROUP BY 1, 2`,
  );
  await sql.end();
  const args = JSON.stringify({ databaseUrl, seconds, people });
  const { stdout } = await execFileAsync(process.execPath, ["--import", "tsx", "test/bench/baselines/flip-direct.ts", args]);
  const { flips, p50, p99 } = JSON.parse(stdout) as { flips: number; p50: number; p99: number };
  return { "flips/s": Math.round(flips / seconds), "p50 ms": p50, "p99 ms": p99 };
}

/**
 * 1,000 clients, 100,000 entries last month: the month-end job against the same writes as one
 * hand-written set-based statement, run in its own process and rolled back, on the same data; the
 * median of `rounds` wall times each.
 */
export async function monthEnd(env: BenchEnv, clients = 1000, entries = 100_000, rounds = 3): Promise<Row[]> {
  if (!env.infra) return [{ note: "needs PostgreSQL (not the embedded default)" }];
  const url = await createMigratedDatabase(env.infra.databaseUrl);
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  const { rows: [ws] } = await sql.query(`INSERT INTO "Workspace" (id, name, "timeZone") VALUES (gen_random_uuid(), 'Bench', 'Europe/Berlin') RETURNING id, "timeZone"`);
  const { rows: [user] } = await sql.query(`INSERT INTO "User" (id, email, name, "passwordHash") VALUES (gen_random_uuid(), 'bench@bench.test', 'Bench', 'x') RETURNING id`);
  await sql.query(
    `INSERT INTO "Client" (id, "workspaceId", name) SELECT gen_random_uuid(), $1, 'Client ' || g FROM generate_series(1, $2) g`,
    [ws.id, clients],
  );
  await sql.query(
    `INSERT INTO "Project" (id, "workspaceId", "clientId", name, "hourlyRate", currency)
     SELECT gen_random_uuid(), $1, c.id, c.name || ' project', 5000 + (row_number() OVER ()) % 7000, 'EUR' FROM "Client" c WHERE c."workspaceId" = $1`,
    [ws.id],
  );
  await sql.query(
    `INSERT INTO "TimeEntry" (id, "workspaceId", "userId", "projectId", description, source, "startedAt", "endedAt", "durationSeconds")
     SELECT gen_random_uuid(), $1, $2, p.id, 'Work ' || g, 'manual', s, s + make_interval(secs => d), d
     FROM generate_series(1, $3) g
     JOIN LATERAL (SELECT id FROM "Project" WHERE "workspaceId" = $1 OFFSET (g % $4) LIMIT 1) p ON true
     CROSS JOIN LATERAL (SELECT timestamptz '2026-10-01 08:00+02' + make_interval(mins => (g * 7) % (29 * 24 * 60)) AS s, 300 + (g * 13) % 7000 AS d) t`,
    [ws.id, user.id, entries, clients],
  );
  const month = "2026-10";
  const period = monthPeriod(month, ws.timeZone);
  const args = JSON.stringify({ databaseUrl: url, workspaceId: ws.id, timeZone: ws.timeZone, period });
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 5 }) });
  const job = jobs.find((j) => j.name === GENERATE)!;

  // Vacuumed before each run, so neither pays for hint bits on fresh rows, nor the job for the dead rows
  // the rolled-back baseline leaves. Alternating rounds, medians: one run on a shared machine says little.
  const baselineRuns: { ms: number; invoices: number; lines: number; amount: string }[] = [];
  const jobRuns: { ms: number; invoices: number; lines: number; amount: string }[] = [];
  for (let round = 0; round < rounds; round++) {
    await sql.query(`VACUUM ANALYZE`);
    const { stdout } = await execFileAsync(process.execPath, ["--import", "tsx", "test/bench/invoicing-baseline.ts", args]);
    baselineRuns.push(JSON.parse(stdout));
    await sql.query(`VACUUM ANALYZE`);
    const jobStart = performance.now();
    await job.process({ workspaceId: ws.id, month }, { db } as unknown as Services);
    const ms = performance.now() - jobStart;
    const { rows: [made] } = await sql.query(
      `SELECT (SELECT count(*) FROM "Invoice")::int AS invoices, count(*)::int AS lines, sum("amountCents")::text AS amount FROM "InvoiceLine"`,
    );
    jobRuns.push({ ms, ...made });
    // Back to nothing billed for the next round.
    await sql.query(`BEGIN; DELETE FROM "InvoiceLine"; DELETE FROM "Invoice"; UPDATE "Workspace" SET "nextInvoiceNumber" = 1; COMMIT`);
  }
  await db.$disconnect();
  await sql.end();
  const median = <T extends { ms: number }>(runs: T[]) => [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)];
  const baseline = median(baselineRuns);
  const made = median(jobRuns);
  const jobMs = made.ms;
  const ratio = jobMs / baseline.ms;
  return [
    {
      method: "one set-based SQL statement, the same writes, rolled back (baseline, own process)",
      invoices: baseline.invoices,
      entries: baseline.lines,
      "wall ms": Math.round(baseline.ms),
      "all runs ms": baselineRuns.map((r) => Math.round(r.ms)).join(" "),
      ratio: 1,
    },
    {
      method: "month-end job (billing.generate)",
      invoices: made.invoices,
      entries: made.lines,
      "wall ms": Math.round(jobMs),
      "all runs ms": jobRuns.map((r) => Math.round(r.ms)).join(" "),
      ratio: Number(ratio.toFixed(2)),
      goal: "≤ 1.2× and < 3,000 ms",
      "goal met": String(ratio <= 1.2 && jobMs < 3000),
      "amounts match": String(jobRuns.every((r) => r.amount === baseline.amount && r.lines === baseline.lines && r.invoices === baseline.invoices)),
    },
  ];
}
