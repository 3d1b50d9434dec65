// User-session figures: end-to-end event ingestion (our format, and the Segment and PostHog SDKs')
// against a plain COPY, and the p99 of the session list and the activity page at 1M and 10M raw events.
import { spawn } from "node:child_process";
import { gzipSync } from "node:zlib";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../../prisma/generated/client.js";
import { ensurePartitions } from "../../schema/analytics/partitions.js";
import { monthStart } from "../../schema/analytics/rules.js";
import { ok, rowId, signIn } from "../support/client.js";
import { startProcess } from "../support/process.js";
import { cpuMeter, percentile, sleep, timeCalls, type BenchEnv, type Row } from "./support.js";

const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";

/**
 * A batch as a relay or server-side SDK sends it: the next 20 events of each of 50 users, each
 * user's events 15 s apart. Batch b serves user group b mod (users / 50).
 */
function batch(b: number, size: number, users: number, start: number) {
  const perUser = 20;
  const groupSize = size / perUser;
  const groups = users / groupSize;
  const [group, round] = [b % groups, Math.floor(b / groups)];
  return Array.from({ length: size }, (_, i) => {
    const user = group * groupSize + Math.floor(i / perUser);
    const step = round * perUser + (i % perUser);
    return {
      eventId: `ev-${b}-${i}`,
      userId: `user-${user}`,
      name: i % 3 ? "page_view" : "click",
      timestamp: new Date(start + step * 15_000).toISOString(),
      properties: { path: `/page/${i % 17}`, plan: "pro" },
      userAgent: BROWSER,
      environment: "production",
    };
  });
}

type BenchEvent = ReturnType<typeof batch>[number];

/** How a batch travels: our own format, and the Segment and PostHog SDKs' (PostHog's gzipped, as posthog-node sends it). */
interface Wire {
  label: string;
  path: string;
  headers(writeKey: string): Record<string, string>;
  body(events: BenchEvent[], writeKey: string): string | Uint8Array<ArrayBuffer>;
}

const WIRES: Wire[] = [
  {
    label: "POST /api/events",
    path: "/api/events",
    headers: (writeKey) => ({ authorization: `Bearer ${writeKey}`, "content-type": "application/json" }),
    body: (events) => JSON.stringify({ events }),
  },
  {
    label: "POST /v1/batch (Segment spec)",
    path: "/v1/batch",
    headers: (writeKey) => ({ authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`, "content-type": "application/json" }),
    body: (events) =>
      JSON.stringify({
        batch: events.map((e) => ({ type: "track", messageId: e.eventId, userId: e.userId, event: e.name, timestamp: e.timestamp, properties: e.properties, context: { userAgent: e.userAgent } })),
        sentAt: new Date().toISOString(),
      }),
  },
  {
    label: "POST /batch/ (PostHog, gzip)",
    path: "/batch/",
    headers: () => ({ "content-type": "application/json", "content-encoding": "gzip" }),
    body: (events, writeKey) =>
      new Uint8Array(
        gzipSync(
          JSON.stringify({
            api_key: writeKey,
            batch: events.map((e) => ({ uuid: e.eventId, distinct_id: e.userId, event: e.name, timestamp: e.timestamp, properties: { ...e.properties, $raw_user_agent: e.userAgent } })),
            sent_at: new Date().toISOString(),
          }),
        ),
      ),
  },
];

async function createApp(url: string, name: string) {
  const cookie = await signIn(url, "owner@demo.test");
  const created = await ok(url, `mutation($n: String!) { createAnalyticsApp(input: { name: $n }) { ... on AnalyticsAppWithKey { writeKey app { id } } } }`, { n: name }, { cookie });
  return { cookie, writeKey: created.createAnalyticsApp.writeKey as string, appId: rowId(created.createAnalyticsApp.app.id) };
}

/** COPY ... FROM STDIN through psql: the fastest way PostgreSQL takes rows. */
function copyIn(databaseUrl: string, sql: string, csv: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const psql = spawn("psql", [databaseUrl, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], { stdio: ["pipe", "ignore", "pipe"] });
    let error = "";
    psql.stderr.on("data", (d) => (error += d));
    psql.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`psql: ${error}`))));
    psql.stdin.end(csv);
  });
}

const csvField = (v: string) => `"${v.replace(/"/g, '""')}"`;

export async function eventIngestion(env: BenchEnv, batches = Number(process.env.BENCH_BATCHES ?? 200), size = 1000, senders = 8, users = 5000): Promise<Row[]> {
  if (!env.infra) return [{ note: "needs PostgreSQL and Redis (not the embedded default)" }];
  const redisUrl = `${env.infra.redisUrl}/1`;
  const api = await env.startApi({ REDIS_URL: redisUrl });
  const startWorker = () =>
    startProcess("worker/main.ts", { DATABASE_URL: api.databaseUrl!, REDIS_URL: redisUrl, WORKER_CONCURRENCY: process.env.BENCH_WORKER_CONCURRENCY ?? "4" }, /()Worker consuming jobs/);
  let worker = await startWorker();
  const sql = new pg.Client({ connectionString: api.databaseUrl! });
  await sql.connect();
  // Live traffic: the last ten minutes, so sessions stay open (their finalisation is half an hour away).
  const start = Date.now() - 10 * 60_000;
  const events = Array.from({ length: batches }, (_, b) => batch(b, size, users, start));
  const total = batches * size;

  const latencies: number[] = [];
  async function sendAll(wire: Wire, writeKey: string) {
    // Bodies are made before the clock starts, as an SDK makes them before it sends.
    const bodies = events.map((batchEvents) => wire.body(batchEvents, writeKey));
    const headers = wire.headers(writeKey);
    let next = 0;
    await Promise.all(
      Array.from({ length: senders }, async () => {
        while (next < batches) {
          const body = bodies[next++];
          const s = performance.now();
          const res = await fetch(`${api.url}${wire.path}`, { method: "POST", headers, body });
          if (res.status !== 202 && res.status !== 200) throw new Error(`ingestion failed: ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
          latencies.push(performance.now() - s);
        }
      }),
    );
  }
  /** Every event stored and counted in its session. */
  async function stored(appId: string) {
    for (;;) {
      const { rows } = await sql.query(`SELECT coalesce(sum("rawEventCount"), 0)::int AS n, count(*)::int AS s FROM "UserSession" WHERE "appId" = $1`, [appId]);
      if (rows[0].n >= total) return rows[0].s as number;
      await sleep(50);
    }
  }

  /** End to end: batches in over HTTP while the worker stores them. */
  async function endToEnd(wire: Wire) {
    const app = await createApp(api.url, `Bench ${wire.path}`);
    latencies.length = 0;
    const cpu = cpuMeter({ API: api.child.pid!, worker: worker.child.pid! });
    const t0 = performance.now();
    await sendAll(wire, app.writeKey);
    const acceptedSeconds = (performance.now() - t0) / 1000;
    const sessions = await stored(app.appId);
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    return { app, seconds, acceptedSeconds, sessions, cpu: cpu(total), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  }
  const runs = [];
  for (const wire of WIRES) runs.push({ wire, ...(await endToEnd(wire)) });
  const first = runs[0].app;

  // The worker's share alone: the same batches queued up first (for another app), then drained.
  await worker.stop();
  const second = await createApp(api.url, "Bench queued");
  await sendAll(WIRES[0], second.writeKey);
  worker = await startWorker();
  const drainCpu = cpuMeter({ worker: worker.child.pid! });
  const d0 = performance.now();
  await stored(second.appId);
  const drainSeconds = (performance.now() - d0) / 1000;
  const drainCpuPerEvent = drainCpu(total);

  // Baseline: the same rows, COPY'd straight into the same table (new event ids, so nothing conflicts).
  const csv = events
    .flatMap((batchEvents) => batchEvents.map((e) =>
      [first.appId, `copy-${e.eventId}`, e.userId, "true", e.name, e.timestamp, csvField(JSON.stringify(e.properties)), csvField(e.userAgent), e.environment, first.appId].join(",")))
    .join("\n");
  const copyCpu = cpuMeter({});
  const c0 = performance.now();
  await copyIn(api.databaseUrl!, `COPY "RawEvent" ("appId", "eventId", "userKey", "identified", "name", "timestamp", "properties", "userAgent", "environment", "sessionId") FROM STDIN WITH (FORMAT csv)`, csv);
  const copySeconds = (performance.now() - c0) / 1000;
  // psql's backend ends after psql, and its CPU counts once the server has reaped it.
  await sleep(500);
  const copyCpuPerEvent = copyCpu(total);
  // Idempotency is part of storing an event: its id goes into AnalyticsEventId too, so the baseline
  // that does the same writes copies the ids as well.
  const ids = events.flatMap((batchEvents) => batchEvents.map((e) => `${first.appId},copy-${e.eventId}`)).join("\n");
  const i0 = performance.now();
  await copyIn(api.databaseUrl!, `COPY "AnalyticsEventId" ("appId", "eventId") FROM STDIN WITH (FORMAT csv)`, ids);
  const sameWritesSeconds = copySeconds + (performance.now() - i0) / 1000;
  await sql.end();
  await worker.stop();
  await api.stop();
  const CPU = "CPU µs/event: machine (by process)";
  const shape = `${size}/batch of 50 users, ${senders} senders, ${users} users`;
  const ratio = (baselineSeconds: number, seconds: number) => Number((baselineSeconds / seconds).toFixed(2));
  return [
    { method: "COPY of the same rows into RawEvent (baseline)", events: total, "events/s": Math.round(total / copySeconds), ratio: 1, [CPU]: copyCpuPerEvent },
    { method: "COPY of the same rows into RawEvent and their ids into AnalyticsEventId (same writes)", events: total, "events/s": Math.round(total / sameWritesSeconds), ratio: ratio(copySeconds, sameWritesSeconds) },
    ...runs.map((run) => ({
      method: `${run.wire.label} -> queue -> stored + sessions (${shape})`,
      events: total,
      "events/s": Math.round(total / run.seconds),
      ratio: ratio(copySeconds, run.seconds),
      goal: ratio(copySeconds, run.seconds) >= 0.5 ? "≥ 0.5× COPY: met" : "≥ 0.5× COPY: MISSED",
      "ratio to same writes": ratio(sameWritesSeconds, run.seconds),
      "accepted/s": Math.round(total / run.acceptedSeconds),
      sessions: run.sessions,
      [CPU]: run.cpu,
      "p50 batch ms": Math.round(run.p50),
      "p99 batch ms": Math.round(run.p99),
    })),
    { method: "the worker alone, draining the same batches queued", events: total, "events/s": Math.round(total / drainSeconds), ratio: ratio(copySeconds, drainSeconds), "ratio to same writes": ratio(sameWritesSeconds, drainSeconds), [CPU]: drainCpuPerEvent },
  ];
}

/**
 * Sessions of `eventsPerSession` raw events each, made in the database (generate_series), arriving at
 * a steady 50,000 sessions (1,000,000 raw events) per 30 days: a bigger dataset is a longer history,
 * spread over more monthly partitions, as an app's data grows. Each session has a flow outcome and
 * two business events for the activity page; its businessEventCount varies (0 to 11) for the list's filter.
 */
async function seedSessions(databaseUrl: string, workspaceId: string, appId: string, rawEvents: number, eventsPerSession: number) {
  const sessions = Math.round(rawEvents / eventsPerSession);
  const days = Math.round((30 * sessions) / 50_000);
  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  // Rows made in bulk, as a migration would: triggers (the activity counts' bookkeeping row by row,
  // foreign keys) are off while they go in, and the activity counts are made once at the end.
  await sql.query("SET session_replication_role = replica");
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
  await ensurePartitions(db, Array.from({ length: Math.ceil(days / 28) + 1 }, (_, m) => monthStart(new Date(), -m)));
  await db.$disconnect();
  const { rows: [flow] } = await sql.query(`INSERT INTO "FlowDefinition" (id, "appId", name, steps) VALUES (gen_random_uuid(), $1, 'Checkout', '{Viewed Cart,Paid}') RETURNING id`, [appId]);
  await sql.query(
    `INSERT INTO "UserSession" (id, "workspaceId", "appId", "userKey", identified, "startedAt", "lastEventAt", "durationSeconds", "rawEventCount",
                                "businessEventCount", "isBot", "isDev", "isInternal", "flowOutcomes", "finalizedAt")
     SELECT gen_random_uuid(), $1, $2, 'user-' || (g % 8000), true, s, s + d * interval '1 second', d, $4, g % 12,
            g % 50 = 0, g % 30 = 0, false,
            CASE g % 4 WHEN 0 THEN '{completed}'::text[] WHEN 1 THEN '{dropped_off}' WHEN 2 THEN '{mistakes}' ELSE '{completed}' END, now()
     FROM generate_series(1, $3) g
     CROSS JOIN LATERAL (SELECT now() - $5 * interval '1 day' + g * ($5 * interval '1 day' / $3) - interval '1 hour' AS s, (g::bigint * 7919 % 3600)::int AS d) x`,
    [workspaceId, appId, sessions, eventsPerSession, days],
  );
  await sql.query(
    `INSERT INTO "FlowOutcome" (id, "sessionId", "flowId", outcome, "lastStep", "startedAt", "endedAt")
     SELECT gen_random_uuid(), id, $2, "flowOutcomes"[1]::"FlowOutcomeKind", CASE WHEN "flowOutcomes"[1] = 'dropped_off' THEN 'Viewed Cart' ELSE 'Paid' END, "startedAt", "lastEventAt"
     FROM "UserSession" WHERE "appId" = $1`,
    [appId, flow.id],
  );
  await sql.query(
    `INSERT INTO "SessionBusinessEvent" (id, "sessionId", position, name, description, "occurredAt", "rawEventId")
     SELECT gen_random_uuid(), s.id, k, CASE k WHEN 1 THEN 'Viewed Cart' ELSE 'Paid' END, '', s."startedAt", s.id || ':' || k
     FROM "UserSession" s CROSS JOIN generate_series(1, 2) k WHERE s."appId" = $1`,
    [appId],
  );
  await sql.query(
    `INSERT INTO "RawEvent" ("appId", "eventId", "userKey", identified, name, "timestamp", properties, "sessionId")
     SELECT $1, s.id || ':' || k, s."userKey", true, CASE k % 3 WHEN 0 THEN 'click' ELSE 'page_view' END,
            s."startedAt" + (k * s."durationSeconds" / $2) * interval '1 second', '{"path": "/home"}', s.id
     FROM "UserSession" s CROSS JOIN generate_series(0, $2 - 1) k WHERE s."appId" = $1`,
    [appId, eventsPerSession],
  );
  await sql.query(`INSERT INTO "AnalyticsEventId" ("appId", "eventId") SELECT "appId", "eventId" FROM "RawEvent" WHERE "appId" = $1`, [appId]);
  await sql.query(
    `INSERT INTO "SessionSummary" ("sessionId", source, "inputHash", title, tldr, narrative)
     SELECT id, 'deterministic', md5(id::text), 'Visit with ' || "rawEventCount" || ' raw events', 'Active', 'The session lasted.' FROM "UserSession" WHERE "appId" = $1`,
    [appId],
  );
  await sql.query("SET session_replication_role = DEFAULT");
  await sql.query("SELECT activity_rebuild($1)", [workspaceId]);
  // Vacuumed as well as analysed: an app's tables that grew over months have been vacuumed along the
  // way, and the autovacuum that a bulk load of millions of rows sets off would otherwise run for
  // minutes alongside the timed queries.
  await sql.query("VACUUM ANALYZE");
  const { rows: [count] } = await sql.query(
    `SELECT (SELECT count(*) FROM "RawEvent")::int AS events, (SELECT count(*) FROM "UserSession")::int AS sessions,
            (SELECT count(*) FROM pg_inherits WHERE inhparent = '"RawEvent"'::regclass)::int AS partitions`,
  );
  await sql.end();
  return count as { events: number; sessions: number; partitions: number };
}

const LIST = `query($f: UserSessionFilter, $s: UserSessionSort, $after: String) { userSessions(filter: $f, sort: $s, first: 50, after: $after) {
  edges { cursor node { id userId title durationSeconds businessEventCount startedAt flowOutcomes { outcome flowName } } } pageInfo { endCursor hasNextPage } } }`;

/** The User Activity page's one query, as web/src/lib/activity.ts asks it. */
const ACTIVITY = `query($input: UserActivityInput!) { userActivity(input: $input) { ... on UserActivity {
  activeUsers averageDailyActiveUsers sessions medianDurationSeconds
  days { date activeUsers weeklyActiveUsers monthlyActiveUsers sessions medianDurationSeconds }
  flows { name app { name } total { started completed mistakes droppedOff completionRate mistakesRate dropOffRate }
          days { date counts { started completionRate mistakesRate dropOffRate } } mostDroppedAtStep dropOffSteps { step sessions } }
  topBusinessEvents { name count } } } }`;

/** The p99 goal of the list and the activity page, in ms: the same at every size. */
const GOAL_MS = 100;

/** The list and the activity page at each count of raw events in `sizes`. */
export async function sessionList(env: BenchEnv, sizes: number[], eventsPerSession: number, rounds: number): Promise<Row[]> {
  if (!env.infra) return [{ note: "needs PostgreSQL (not the embedded default)" }];
  const rows: Row[] = [];
  for (const size of sizes) rows.push(...(await sessionListAt(env, size, eventsPerSession, rounds)));
  return rows;
}

async function sessionListAt(env: BenchEnv, rawEvents: number, eventsPerSession: number, rounds: number): Promise<Row[]> {
  const api = await env.startApi();
  const { cookie, appId } = await createApp(api.url, "Bench");
  const workspaceId = rowId((await ok(api.url, `{ viewer { workspace { id } } }`, {}, { cookie })).viewer.workspace.id);
  const seeded0 = performance.now();
  const counts = await seedSessions(api.databaseUrl!, workspaceId, appId, rawEvents, eventsPerSession);
  const seedSeconds = (performance.now() - seeded0) / 1000;
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const week = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const activity = (from: number, to: number) => ({ input: { from: day(from), to: day(to) } });
  const cases: [string, string, Record<string, unknown>][] = [
    ["list: newest first, no filter", LIST, {}],
    ["list: last 7 days, no bots/dev, 1-30 min", LIST, { f: { startedFrom: week, excludeBots: true, excludeDev: true, minDurationSeconds: 60, maxDurationSeconds: 1800 } }],
    ["list: user id search", LIST, { f: { userIdSearch: "user-42" } }],
    ["list: dropped off, by last event", LIST, { f: { flowOutcome: "DROPPED_OFF" }, s: "LAST_EVENT_AT" }],
    ["list: 5-8 business events, no bots", LIST, { f: { minBusinessEvents: 5, maxBusinessEvents: 8, excludeBots: true } }],
    ["activity: last 7 days", ACTIVITY, activity(6, 0)],
    ["activity: last 30 days", ACTIVITY, activity(29, 0)],
  ];
  const page2 = (await ok(api.url, LIST, {}, { cookie })).userSessions.pageInfo.endCursor;
  cases.splice(5, 0, ["list: second page (cursor)", LIST, { after: page2 }]);
  // Baseline: the cheapest authenticated query, to tell the list's cost from the request's.
  const all: [string, string, Record<string, unknown>][] = [["viewer (baseline)", `{ viewer { workspace { id } } }`, {}], ...cases];
  const rows: Row[] = [];
  let baseP50 = 0;
  for (const [name, query, variables] of all) {
    await ok(api.url, query, variables, { cookie }); // warm-up
    const latencies = await timeCalls(rounds, () => ok(api.url, query, variables, { cookie }));
    const [p50, p99] = [percentile(latencies, 50), percentile(latencies, 99)];
    if (!baseP50) baseP50 = p50;
    rows.push({
      query: name,
      "raw events": counts.events,
      sessions: counts.sessions,
      partitions: counts.partitions,
      "p50 ms": Number(p50.toFixed(1)),
      "p99 ms": Number(p99.toFixed(1)),
      "ratio p50": Number((p50 / baseP50).toFixed(2)),
      goal: name.includes(":") ? (p99 < GOAL_MS ? `< ${GOAL_MS} ms: met` : `< ${GOAL_MS} ms: MISSED`) : "",
    });
  }
  rows.push({ query: `(${counts.events.toLocaleString("en")} raw events made in ${seedSeconds.toFixed(1)} s)` });
  await api.stop();
  return rows;
}
