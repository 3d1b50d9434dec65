// Work-session figures: heartbeat ingestion through the batch endpoint (against the same rows
// written straight into the table), ActivityWatch import
// throughput, and the Sessions page queries.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { DateTime } from "luxon";
import pg from "pg";
import { eventsFromExport } from "../../schema/work/activitywatch.js";
import { activityWatchExport, eventCount } from "../support/activitywatch-export.js";
import { ok, rowId, tokenFor } from "../support/client.js";
import { startProcess, type Proc } from "../support/process.js";
import type { WindowData } from "../../schema/work/rules.js";
import { cpuMeter, memberTokens, membersWithTokens, percentile, timeCalls, type BenchEnv, type Row } from "./support.js";

const execFileAsync = promisify(execFile);

/** Heartbeats every 5 s switching between three windows now and then, as a desktop app sends them. */
export function heartbeats(prefix: string, start: number, count: number) {
  const apps = [{ app: "Code", title: "main.ts" }, { app: "Chromium", title: "Docs", url: "https://example.org" }, { app: "Slack", title: "general" }];
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    type: "window",
    timestamp: new Date(start + i * 5000).toISOString(),
    duration: 5,
    pulsetime: 60,
    data: apps[Math.floor(i / 40) % apps.length] as WindowData,
  }));
}

/**
 * `employees` desktop apps at once, each sending `batches` batches of heartbeats in order, through
 * /api/work/events; the baseline is the same heartbeats merged by the same rule and written as the
 * same activity rows straight into the real table, one set-based statement per batch, in a process
 * of its own (test/bench/baselines/heartbeats-direct.ts) on the same database. A third row sends the
 * same batches to a server that only receives and parses them (heartbeats-received.ts): the most
 * any HTTP path could reach, shown against the same baseline.
 */
export async function heartbeatIngestion(env: BenchEnv, employees = 10, batches = 10, batchSize = 500): Promise<Row[]> {
  if (!env.infra) return [{ note: "needs PostgreSQL (not the embedded default)" }];
  const api = await env.startApi();
  const tokens = await membersWithTokens(api.databaseUrl!, Array.from({ length: employees }, (_, e) => `desk${e}@bench.test`));
  // Far enough back that the last batch ends before now: the API refuses heartbeats from the future
  // (each batch spans 500 × 5 s), and the baseline would store them.
  const dayStart = Date.now() - Math.max(20 * 3600_000, (batches + 2) * batchSize * 5000);
  // Bodies are made before the clock starts, as the desktop app makes a batch before it sends it.
  const body = (prefix: string, start: number) => JSON.stringify({ events: heartbeats(prefix, start, batchSize) });
  const bodies = tokens.map((_, e) => Array.from({ length: batches }, (_, b) => body(`e${e}b${b}`, dayStart + b * batchSize * 5000)));
  // Not timed: each employee's batch just before the measured ones. It warms what a running API has
  // warm (compiled code, the credential cache, pooled connections) and opens the session the
  // measured batches extend, as a desktop app's batches do all day; the baseline does the same.
  const warmUp = tokens.map((_, e) => [body(`e${e}w`, dayStart - batchSize * 5000)]);
  await sendBatches(api, tokens, warmUp, batchSize, "API");
  const sent = await sendBatches(api, tokens, bodies, batchSize, "API");
  const total = employees * batches * batchSize;
  const { workspaceId, rows } = await activityRows(api.databaseUrl!);
  const direct = async (ids: boolean) => {
    const args = JSON.stringify({ databaseUrl: api.databaseUrl, workspaceId, employees, batches, batchSize, dayStart, ids });
    const { stdout } = await execFileAsync(process.execPath, ["--import", "tsx", "test/bench/baselines/heartbeats-direct.ts", args]);
    return JSON.parse(stdout) as { seconds: number; rows: number; cpu: string; latencies: number[] };
  };
  const base = await direct(false);
  const sameWrites = await direct(true);
  await api.stop();
  const floor = await startProcess("test/bench/baselines/heartbeats-received.ts", {}, /ready on (http:\/\/\S+) /);
  await sendBatches(floor, tokens, warmUp, batchSize, "reader");
  const received = await sendBatches(floor, tokens, bodies, batchSize, "reader");
  await floor.stop();
  const row = (method: string, s: number, activityRows: number | string, cpu: string, latencies: number[]): Row => {
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      method,
      heartbeats: total,
      "activity rows": activityRows,
      "heartbeats/s": Math.round(total / s),
      "p50 batch ms": Math.round(percentile(sorted, 50)),
      "p99 batch ms": Math.round(percentile(sorted, 99)),
      "CPU µs/heartbeat: machine (by process)": cpu,
      "÷ baseline": Number((base.seconds / s).toFixed(2)),
    };
  };
  const ratio = base.seconds / sent.seconds;
  return [
    row("same heartbeats merged by the same rule, rows upserted with one statement per batch through pg (baseline, own process)", base.seconds, base.rows, base.cpu, base.latencies),
    {
      ...row("the same, and each batch's event ids stored as the API stores them (same writes, own process)", sameWrites.seconds, sameWrites.rows, sameWrites.cpu, sameWrites.latencies),
      "÷ same writes": 1,
    },
    {
      ...row(`POST /api/work/events (${employees} employees at once, ${batchSize}/batch)`, sent.seconds, rows, sent.cpu, sent.latencies),
      "÷ same writes": Number((sameWrites.seconds / sent.seconds).toFixed(2)),
      goal: "≥ 0.5× baseline",
      "goal met": String(ratio >= 0.5),
    },
    row("the same batches only received and parsed by the API's reader and parser, nothing stored (bare node:http, own process)", received.seconds, "none", received.cpu, received.latencies),
  ];
}

/** Each employee's batches in order, all employees at once, to `target` (named `name`); the CPU each heartbeat cost and the batches' times. */
async function sendBatches(target: Proc, tokens: string[], bodies: string[][], batchSize: number, name: string) {
  const latencies: number[] = [];
  const meter = cpuMeter({ [name]: target.child.pid! });
  const started = performance.now();
  await Promise.all(
    tokens.map(async (token, e) => {
      for (const body of bodies[e]) {
        const t0 = performance.now();
        const res = await fetch(`${target.url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body });
        if (res.status !== 200) throw new Error(`ingestion failed: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, cpu: meter(bodies.flat().length * batchSize), latencies };
}

/** The bench's desktop employees' workspace and how many activity rows their heartbeats became. */
async function activityRows(databaseUrl: string): Promise<{ workspaceId: string; rows: number }> {
  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  const { rows: [found] } = await sql.query(
    `SELECT min(s."workspaceId"::text) AS "workspaceId", count(*)::int AS rows FROM "WorkActivity" a
     JOIN "WorkSession" s ON s.id = a."sessionId" JOIN "User" u ON u.id = s."userId" WHERE u.email LIKE 'desk%@bench.test'`,
  );
  await sql.end();
  return found;
}

/** A month of 200 employees (~8,000 sessions with AFK periods) on the Sessions page. */
export async function sessionsPage(env: BenchEnv, employees = 200, perEmployee = 40, rounds = 40): Promise<Row[]> {
  if (!env.infra) return [{ note: "needs PostgreSQL (not the embedded default)" }];
  const api = await env.startApi();
  const lisa = await tokenFor(api.url, "lisa@demo.test");
  const workspaceId = (await ok(api.url, `{ viewer { workspace { id } } }`, {}, { token: lisa })).viewer.workspace.id;
  const id = rowId(workspaceId);
  const sql = new pg.Client({ connectionString: api.databaseUrl! });
  await sql.connect();
  await sql.query(
    `WITH users AS (
       INSERT INTO "User" (id, email, name, "passwordHash") SELECT gen_random_uuid(), 'w' || g || '@bench.test', 'Worker ' || g, 'x' FROM generate_series(1, $2) g RETURNING id),
     members AS (INSERT INTO "Membership" (id, "workspaceId", "userId", role) SELECT gen_random_uuid(), $1, id, 'employee' FROM users RETURNING "userId"),
     sessions AS (
       INSERT INTO "WorkSession" (id, "workspaceId", "userId", "startedAt", "endedAt", "lastActivityAt", "endReason", "updatedAt")
       SELECT gen_random_uuid(), $1, m."userId", s, s + interval '4 hours', s + interval '4 hours', 'app_closed', now()
       FROM members m CROSS JOIN generate_series(0, $3 - 1) k
       CROSS JOIN LATERAL (SELECT timestamptz '2026-10-01 07:00+02' + (k / 2) * interval '1 day' + (k % 2) * interval '5 hours' AS s) t
       RETURNING id, "startedAt")
     INSERT INTO "AfkPeriod" (id, "sessionId", "startedAt", "endedAt", reason)
     SELECT gen_random_uuid(), id, "startedAt" + interval '1 hour', "startedAt" + interval '80 minutes', 'break' FROM sessions`,
    [id, employees, perEmployee],
  );
  await sql.query("ANALYZE");
  const { rows: [count] } = await sql.query(`SELECT count(*)::int AS n FROM "WorkSession" WHERE "workspaceId" = $1`, [id]);
  // Baseline: just reading the month's sessions and AFK rows straight from PostgreSQL, no API.
  const baseline = await timeCalls(rounds, () =>
    sql.query(`SELECT s.*, a.* FROM "WorkSession" s LEFT JOIN "AfkPeriod" a ON a."sessionId" = s.id WHERE s."workspaceId" = $1`, [id]),
  );
  await sql.end();
  const queries = {
    "sessions list, group by off (first 50)": `{ workSessions(from: "2026-10-01", to: "2026-10-31", first: 50) { nodes { id startedAt endedAt manual notes netSeconds afkSeconds breakSeconds meetingSeconds lunchSeconds callSeconds employee { name } } } }`,
    "group by employee (summary of all)": `{ workSummary(from: "2026-10-01", to: "2026-10-31") { employee { name } sessionCount netSeconds afkSeconds firstArrival lastDeparture } }`,
    "chart: each day's totals (workDays)": `{ workDays(from: "2026-10-01", to: "2026-10-31") { date netSeconds afkSeconds breakSeconds } }`,
  };
  const row = (name: string, sorted: number[]): Row => ({
    query: name,
    sessions: count.n,
    employees,
    "p50 ms": Math.round(percentile(sorted, 50)),
    "p99 ms": Math.round(percentile(sorted, 99)),
    "p50 / baseline": percentile(sorted, 50) / percentile(baseline, 50),
  });
  const rows: Row[] = [row("baseline: SELECT the month's sessions + AFK (no API)", baseline)];
  for (const [name, query] of Object.entries(queries)) {
    await ok(api.url, query, {}, { token: lisa });
    rows.push(row(name, await timeCalls(rounds, () => ok(api.url, query, {}, { token: lisa }))));
  }
  await api.stop();
  return rows;
}

/**
 * A month-sized ActivityWatch export (two hosts, browser tabs) imported end to end, each round by a
 * new employee; the baseline is the same export read and transformed in process, with no database.
 */
export async function importThroughput(env: BenchEnv, rounds = 3): Promise<Row[]> {
  const api = await env.startApi();
  const from = DateTime.now().setZone("Europe/Berlin").minus({ months: 1 }).startOf("month");
  const exported = activityWatchExport({ from, days: from.daysInMonth!, seed: 42 });
  const body = JSON.stringify(exported);
  const events = eventCount(exported);
  const inProcess = await timeCalls(rounds, async () => eventsFromExport(JSON.parse(body), 15 * 60_000));
  const tokens = await memberTokens(api, Array.from({ length: rounds }, (_, r) => `import${r}@bench.test`));
  let round = 0;
  const endToEnd = await timeCalls(rounds, async () => {
    const res = await fetch(`${api.url}/api/work/import`, { method: "POST", headers: { authorization: `Bearer ${tokens[round++]}`, "content-type": "application/json" }, body });
    if (res.status !== 200) throw new Error(`import failed: ${res.status} ${await res.text()}`);
  });
  await api.stop();
  const row = (method: string, sorted: number[]): Row => ({
    method,
    "export events": events,
    "MB": Number((body.length / 1e6).toFixed(1)),
    "p50 s": Number((percentile(sorted, 50) / 1000).toFixed(2)),
    "events per second": Math.round(events / (percentile(sorted, 50) / 1000)),
  });
  return [row("read + transform in process, no database (baseline)", inProcess), row("POST /api/work/import, end to end", endToEnd)];
}
