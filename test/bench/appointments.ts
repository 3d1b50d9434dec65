// Client-session figures: the month view of the calendar at 20 staff and 10,000 sessions with
// custom field values, with and without a custom-field filter, against direct SQL of the same rows.
import pg from "pg";
import { ok, rowId, tokenFor } from "../support/client.js";
import { percentile, timeCalls, type BenchEnv, type Row } from "./support.js";

const CALENDAR = `query($f: AppointmentFilter) { appointmentCalendar(view: MONTH, date: "2026-11-01", filter: $f) {
  ... on AppointmentCalendar { truncated appointments { id name startsAt endsAt status client { name } staff { name } } } } }`;

/** 10,000 sessions over a year (about 830 in a month) for 20 staff and 200 clients. */
export async function calendarMonth(env: BenchEnv, sessions = Number(process.env.BENCH_SESSIONS ?? 10_000), staff = 20, rounds = 100): Promise<Row[]> {
  if (!env.infra) return [{ note: "needs PostgreSQL (not the embedded default)" }];
  const api = await env.startApi();
  const owner = await tokenFor(api.url, "owner@demo.test");
  const field = `mutation { createFieldDefinition(input: { target: PRE_SESSION, key: "mood", type: SELECT, definition: { label: "Mood", filterable: true, validation: { options: ["good", "ok", "bad"] } } }) { __typename } }`;
  await ok(api.url, field, {}, { token: owner });
  const workspaceId = rowId((await ok(api.url, `{ viewer { workspace { id } } }`, {}, { token: owner })).viewer.workspace.id);
  const sql = new pg.Client({ connectionString: api.databaseUrl! });
  await sql.connect();
  await sql.query(
    `WITH users AS (
       INSERT INTO "User" (id, email, name, "passwordHash") SELECT gen_random_uuid(), 'therapist' || g || '@bench.test', 'Therapist ' || g, 'x' FROM generate_series(1, $2) g RETURNING id),
     members AS (INSERT INTO "Membership" (id, "workspaceId", "userId", role) SELECT gen_random_uuid(), $1, id, 'staff' FROM users RETURNING "userId"),
     staff AS (SELECT "userId", row_number() OVER () - 1 AS n FROM members),
     clients AS (INSERT INTO "Client" (id, "workspaceId", name) SELECT gen_random_uuid(), $1, 'Client ' || g FROM generate_series(1, 200) g RETURNING id),
     numbered AS (SELECT id, row_number() OVER () - 1 AS n FROM clients)
     INSERT INTO "Appointment" (id, "workspaceId", "clientId", "staffId", name, "startsAt", "durationMinutes", "endsAt", status, "fieldValues", "updatedAt")
     SELECT gen_random_uuid(), $1, c.id, s."userId", 'Session ' || i, t.at, 50, t.at + make_interval(mins => 50),
            (CASE WHEN i % 10 = 0 THEN 'cancelled' ELSE 'completed' END)::"AppointmentStatus",
            jsonb_build_object('mood', (ARRAY['good', 'ok', 'bad'])[i % 3 + 1], 'reason', 'Reason ' || i, 'vitals', jsonb_build_array(jsonb_build_object('pulse', 60 + i % 30))),
            now()
     FROM generate_series(0, $3 - 1) i
     JOIN staff s ON s.n = i % $2
     JOIN numbered c ON c.n = i % 200
     CROSS JOIN LATERAL (SELECT timestamptz '2026-01-05 08:00 Europe/Berlin' + (i / $2 % 365) * interval '1 day' + (i % 8) * interval '1 hour' AS at) t`,
    [workspaceId, staff, sessions],
  );
  await sql.query("ANALYZE");
  const { rows: [month] } = await sql.query(
    `SELECT count(*)::int AS n FROM "Appointment" WHERE "workspaceId" = $1 AND "startsAt" < '2026-12-01 00:00 Europe/Berlin' AND "endsAt" > '2026-11-01 00:00 Europe/Berlin'`,
    [workspaceId],
  );
  const direct = (filter: string) => () =>
    sql.query(
      `SELECT a.id, a.name, a."startsAt", a."endsAt", a.status, c.name AS client, u.name AS staff FROM "Appointment" a
       JOIN "Client" c ON c.id = a."clientId" JOIN "User" u ON u.id = a."staffId"
       WHERE a."workspaceId" = $1 AND a."startsAt" < '2026-12-01 00:00 Europe/Berlin' AND a."endsAt" > '2026-11-01 00:00 Europe/Berlin' ${filter}
       ORDER BY a."startsAt", a.id`,
      [workspaceId],
    );
  const api_ = (filter?: object) => () => ok(api.url, CALENDAR, { f: filter }, { token: owner });
  const cases: [string, () => Promise<unknown>, number][] = [
    ["direct SQL, month (baseline)", direct(""), month.n],
    ["appointmentCalendar month view", api_(), month.n],
    ["direct SQL, month, mood = good (baseline)", direct(`AND a."fieldValues" @> '{"mood":"good"}'`), 0],
    ["appointmentCalendar month view, mood = good", api_({ fields: [{ key: "mood", value: "good" }] }), 0],
  ];
  const rows: Row[] = [];
  let baseline = 1;
  for (const [name, run] of cases) {
    await run(); // warm-up
    const latencies = await timeCalls(rounds, run);
    const p99 = percentile(latencies, 99);
    if (name.includes("baseline")) baseline = p99;
    rows.push({ query: name, sessions, "in view": month.n, "p50 ms": Number(percentile(latencies, 50).toFixed(1)), "p99 ms": Number(p99.toFixed(1)), "p99 ratio": Number((p99 / baseline).toFixed(2)) });
  }
  const filtered = (await api_({ fields: [{ key: "mood", value: "good" }] })()) as { appointmentCalendar: { appointments: unknown[] } };
  rows[2]["in view"] = rows[3]["in view"] = filtered.appointmentCalendar.appointments.length;
  await sql.end();
  await api.stop();
  return rows;
}
