// Heartbeat baseline: the database work the heartbeat figure comes down to, in its own process. The
// same heartbeats (same employees, batches and order), merged by the same rule as the API's
// (`mergeHeartbeat`), and the resulting activity rows written into the real "WorkActivity" table,
// with its primary key, index, foreign key and check, as one set-based statement per batch: new rows
// inserted, the row the previous batch left open extended. What the API costs above this is ours.
// Arguments: one JSON object { databaseUrl, workspaceId, employees, batches, batchSize, dayStart }.
// Prints { seconds, rows, cpuSeconds, latencies } as JSON (latencies: sorted batch wall times, ms).
import { randomUUID } from "node:crypto";
import pg from "pg";
import { mergeHeartbeat, type ActivitySpan } from "../../../schema/work/rules.js";
import { cpuSeconds } from "../support.js";
import { heartbeats } from "../work.js";

interface Args {
  databaseUrl: string;
  workspaceId: string;
  employees: number;
  batches: number;
  batchSize: number;
  dayStart: number;
}

const { databaseUrl, workspaceId, employees, batches, batchSize, dayStart } = JSON.parse(process.argv[2]) as Args;
// The API's pool size, so neither side waits on connections the other has.
const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });

/** One open work session per employee (new people, so nothing overlaps the API's sessions), as the rows' parent. */
async function sessions(): Promise<string[]> {
  const { rows } = await pool.query(
    `WITH users AS (
       INSERT INTO "User" (id, email, name, "passwordHash")
       SELECT gen_random_uuid(), 'direct-desk' || g || '@bench.test', 'Bench', 'none' FROM generate_series(1, $2::int) g RETURNING id)
     INSERT INTO "WorkSession" (id, "workspaceId", "userId", "startedAt", "lastActivityAt", "updatedAt")
     SELECT gen_random_uuid(), $1::uuid, id, $3::timestamptz, $3::timestamptz, now() FROM users RETURNING id`,
    [workspaceId, employees, new Date(dayStart)],
  );
  return rows.map((r) => r.id as string);
}

const UPSERT = `
  INSERT INTO "WorkActivity" (id, "sessionId", app, title, url, "startedAt", "endedAt")
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
  ON CONFLICT (id) DO UPDATE SET "endedAt" = EXCLUDED."endedAt"`;

type Row = ActivitySpan & { id: string };

/** One employee's batches in order; the last row stays in memory, as the one the next batch may extend. */
async function employee(e: number, sessionId: string, latencies: number[]): Promise<number> {
  let last: Row | null = null;
  let written = 0;
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    const touched = new Map<string, Row>();
    for (const beat of heartbeats(`e${e}b${b}`, dayStart + b * batchSize * 5000, batchSize)) {
      const { merged, span } = mergeHeartbeat(last, { timestamp: new Date(beat.timestamp), duration: beat.duration, data: beat.data }, beat.pulsetime);
      last = { ...span, id: merged && last ? last.id : randomUUID() };
      if (!merged) written++;
      touched.set(last.id, last);
    }
    const rows = [...touched.values()];
    await pool.query(UPSERT, [
      rows.map((r) => r.id),
      rows.map(() => sessionId),
      rows.map((r) => r.data.app),
      rows.map((r) => r.data.title),
      rows.map((r) => r.data.url ?? null),
      rows.map((r) => r.start),
      rows.map((r) => r.end),
    ]);
    latencies.push(performance.now() - t0);
  }
  return written;
}

const sessionIds = await sessions();
const latencies: number[] = [];
const cpuBefore = cpuSeconds(process.pid);
const started = performance.now();
const written = await Promise.all(sessionIds.map((id, e) => employee(e, id, latencies)));
const seconds = (performance.now() - started) / 1000;
const cpu = cpuSeconds(process.pid) - cpuBefore;
await pool.end();
console.log(JSON.stringify({ seconds, rows: written.reduce((a, b) => a + b, 0), cpuSeconds: cpu, latencies: latencies.sort((a, b) => a - b) }));
