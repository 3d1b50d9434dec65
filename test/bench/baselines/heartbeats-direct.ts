// Heartbeat baseline: the database work the heartbeat figure comes down to, in its own process. The
// same heartbeats (same employees, batches and order), merged by the same rule as the API's
// (`mergeHeartbeat`), and the resulting activity rows written into the real "WorkActivity" table,
// with its primary key, index, foreign key and check, as one set-based statement per batch: new rows
// inserted, the row the previous batch left open extended. What the API costs above this is ours.
// Each employee's warm-up batch, just before the measured ones, goes first and is not timed, as on
// the API's side. With `ids`, each batch's event ids are also stored as the API stores them (its
// idempotency rows), before its rows: the same writes as the API's.
// Arguments: one JSON object { databaseUrl, workspaceId, employees, batches, batchSize, dayStart, ids }.
// Prints { seconds, rows, cpu, latencies } as JSON (cpu: the machine's CPU per heartbeat by process,
// as cpuMeter says it; latencies: sorted batch wall times, ms).
import { randomUUID } from "node:crypto";
import pg from "pg";
import { mergeHeartbeat, type ActivitySpan } from "../../../schema/work/rules.js";
import { cpuMeter } from "../support.js";
import { heartbeats } from "../work.js";

interface Args {
  databaseUrl: string;
  workspaceId: string;
  employees: number;
  batches: number;
  batchSize: number;
  dayStart: number;
  ids: boolean;
}

const { databaseUrl, workspaceId, employees, batches, batchSize, dayStart, ids } = JSON.parse(process.argv[2]) as Args;
// The API's pool size, so neither side waits on connections the other has.
const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });

/** One open work session per employee (new people, so nothing overlaps the API's sessions), as the rows' parent. */
async function sessions(): Promise<{ id: string; userId: string }[]> {
  const { rows } = await pool.query(
    `WITH users AS (
       INSERT INTO "User" (id, email, name, "passwordHash")
       SELECT gen_random_uuid(), 'direct-desk' || $4 || g || '@bench.test', 'Bench', 'none' FROM generate_series(1, $2::int) g RETURNING id)
     INSERT INTO "WorkSession" (id, "workspaceId", "userId", "startedAt", "lastActivityAt", "updatedAt")
     SELECT gen_random_uuid(), $1::uuid, id, $3::timestamptz, $3::timestamptz, now() FROM users RETURNING id, "userId"`,
    [workspaceId, employees, new Date(dayStart), ids ? "-ids-" : "-"],
  );
  return rows;
}

const STORE_IDS = `
  INSERT INTO "IngestedWorkEvent" ("workspaceId", "userId", "clientEventId")
  SELECT $1::uuid, $2::uuid, id FROM unnest($3::text[]) AS id ON CONFLICT DO NOTHING`;

const UPSERT = `
  INSERT INTO "WorkActivity" (id, "sessionId", app, title, url, "startedAt", "endedAt")
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
  ON CONFLICT (id) DO UPDATE SET "endedAt" = EXCLUDED."endedAt"`;

type Row = ActivitySpan & { id: string };

/** One employee's session, and the last row, which the next batch may extend. */
interface Employee {
  sessionId: string;
  userId: string;
  last: Row | null;
  written: number;
}

/** One batch of an employee's heartbeats merged and written; returns its wall time in ms. */
async function send(employee: Employee, prefix: string, start: number): Promise<number> {
  const t0 = performance.now();
  const touched = new Map<string, Row>();
  const beats = heartbeats(prefix, start, batchSize);
  if (ids) await pool.query(STORE_IDS, [workspaceId, employee.userId, beats.map((b) => b.id)]);
  for (const beat of beats) {
    const { merged, span } = mergeHeartbeat(employee.last, { timestamp: new Date(beat.timestamp), duration: beat.duration, data: beat.data }, beat.pulsetime);
    employee.last = { ...span, id: merged && employee.last ? employee.last.id : randomUUID() };
    if (!merged) employee.written++;
    touched.set(employee.last.id, employee.last);
  }
  const rows = [...touched.values()];
  await pool.query(UPSERT, [
    rows.map((r) => r.id),
    rows.map(() => employee.sessionId),
    rows.map((r) => r.data.app),
    rows.map((r) => r.data.title),
    rows.map((r) => r.data.url ?? null),
    rows.map((r) => r.start),
    rows.map((r) => r.end),
  ]);
  return performance.now() - t0;
}

const desks: Employee[] = (await sessions()).map((s) => ({ sessionId: s.id, userId: s.userId, last: null, written: 0 }));
// Warm-up, as the API's side has: each employee's batch just before the measured ones, not timed.
await Promise.all(desks.map((employee, e) => send(employee, `e${e}w`, dayStart - batchSize * 5000)));
const latencies: number[] = [];
const meter = cpuMeter({}, "baseline");
const started = performance.now();
await Promise.all(
  desks.map(async (employee, e) => {
    for (let b = 0; b < batches; b++) latencies.push(await send(employee, `e${e}b${b}`, dayStart + b * batchSize * 5000));
  }),
);
const seconds = (performance.now() - started) / 1000;
const perHeartbeat = meter(employees * batches * batchSize);
await pool.end();
console.log(JSON.stringify({ seconds, rows: desks.reduce((sum, e) => sum + e.written, 0), cpu: perHeartbeat, latencies: latencies.sort((a, b) => a - b) }));
