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
import { loadLoop, memberTokens, percentile, type BenchEnv, type Row } from "./support.js";

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
  const users: string[] = [];
  const sessions = new Map<string, string[]>();
  for (const token of await memberTokens(api, Array.from({ length: userCount }, (_, u) => `flipper${u}@bench.test`))) {
    const start = `mutation($p: ID!) { startAgentSession(input: { projectId: $p, description: "bench" }) { ... on AgentSession { id } } }`;
    sessions.set(token, [(await ok(url, start, { p: project }, { token })).startAgentSession.id, (await ok(url, start, { p: project }, { token })).startAgentSession.id]);
    users.push(token);
  }
  const rows: Row[] = [
    api.databaseUrl
      ? { operation: "agent_flip_beat through pg (baseline, own process)", users: userCount, ...(await directFlips(api.databaseUrl, seconds)) }
      : { operation: "baseline: needs PostgreSQL (not the embedded default)" },
  ];
  const kinds = ["ACTIVE", "AGENT", "IDLE"];
  const flip = `mutation($s: ID!, $k: BeatKind!) { setBeat(input: { sessionId: $s, kind: $k }) { __typename } }`;
  const latencies = await loadLoop(users, seconds, (token, i) => ok(url, flip, { s: sessions.get(token)![i % 2], k: kinds[i % 3] }, { token }));
  const rate = Math.round(latencies.length / seconds);
  const p99 = percentile(latencies, 99);
  const baseline = rows[0]["flips/s"] as number | undefined;
  rows.push({
    operation: "setBeat through the API",
    users: userCount,
    "flips/s": rate,
    "p50 ms": percentile(latencies, 50),
    "p99 ms": p99,
    ...(baseline ? { "÷ baseline": Number((rate / baseline).toFixed(2)) } : {}),
    goal: "≥ 1,000 flips/s, p99 < 100 ms",
    "goal met": String(rate >= 1000 && p99 < 100),
  });
  await api.stop();
  return rows;
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
    await sql.query(`BEGIN; UPDATE "TimeEntry" SET "invoiceId" = NULL; DELETE FROM "InvoiceLine"; DELETE FROM "Invoice"; UPDATE "Workspace" SET "nextInvoiceNumber" = 1; COMMIT`);
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
