import { encodeGlobalID } from "@pothos/plugin-relay";
import { Prisma, type User } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import type { Context } from "../common/context.js";
import { ValidationError } from "../common/errors.js";
import { YEAR_MONTH } from "../common/input-limits.js";
import { UserRef } from "../identity/types.js";
import { dailyTotals, reportCsv, type EmployeeSummary, type Totals } from "./reports.js";
import { dateRange, daysBetween } from "../common/time.js";
import type { AfkReason } from "./rules.js";
import { employeeScope } from "./service.js";
import { requirePermission, rowsSql } from "../common/policy.js";
import { readInOneSnapshot } from "../common/transactions.js";

/** The sessions of a date range (workspace time zone) the viewer may see: everyone's or one employee's. */
/** Reports are read a day, week, month or year at a time; longer ranges only cost (and overflow sums). */
const MAX_RANGE_DAYS = 366;

async function rangeScope(ctx: Context, from: string, to: string, employeeId: string | undefined) {
  if (to < from) throw ValidationError.field("to", "Must not be before from");
  if (daysBetween(from, to) >= MAX_RANGE_DAYS) throw ValidationError.field("to", `The range may span at most ${MAX_RANGE_DAYS} days`);
  const workspace = await ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.viewer!.workspaceId } });
  const range = dateRange(from, to, workspace.timeZone);
  const userId = (await employeeScope(ctx, employeeId)) ?? null;
  const inRange = Prisma.sql`${rowsSql(ctx.viewer, "workSession", "s")} AND (${userId}::uuid IS NULL OR s."userId" = ${userId}::uuid)
      AND s."startedAt" < ${range.end} AND (s."endedAt" IS NULL OR s."endedAt" > ${range.start})`;
  return { workspace, range, inRange };
}

/** Every session of the range (or one employee's) with its AFK periods. */
export async function sessionsInRange(ctx: Context, from: string, to: string, employeeId: string | undefined) {
  const { workspace, range, inRange } = await rangeScope(ctx, from, to, employeeId);
  // Plain rows, two statements: for a month of a whole team this is several times faster than
  // loading the sessions through the ORM, and reports read nothing else. One snapshot: a session
  // stopped between the two would otherwise be read as running, with its closing AFK period.
  const [rows, afk] = await readInOneSnapshot<
    [{ id: string; userId: string; startedAt: Date; endedAt: Date | null; manual: boolean }, { sessionId: string; startedAt: Date; endedAt: Date | null; reason: AfkReason | null }]
  >(ctx, [
    Prisma.sql`SELECT s.id, s."userId", s."startedAt", s."endedAt", s.manual FROM "WorkSession" s WHERE ${inRange}`,
    Prisma.sql`
      SELECT a."sessionId", a."startedAt", a."endedAt", a.reason::text AS reason
      FROM "AfkPeriod" a JOIN "WorkSession" s ON s.id = a."sessionId" WHERE ${inRange}`,
  ]);
  const bySession = new Map<string, typeof afk>();
  for (const a of afk) {
    const list = bySession.get(a.sessionId);
    if (list) list.push(a);
    else bySession.set(a.sessionId, [a]);
  }
  const sessions = rows.map((r) => ({ ...r, afkPeriods: bySession.get(r.id) ?? [] }));
  return { workspace, range, sessions };
}

/**
 * Group by employee, summed by the database: a month of a whole team is thousands of sessions, and
 * shipping them to be summed here cost more than the 100 ms a page may take. Same rules as
 * `sessionTotals` (rules.ts), which the API tests hold it to: each session clipped to the range,
 * AFK clipped to the session and overlapping AFK counted once, whole seconds per part.
 */
async function employeeSummaries(ctx: Context, from: string, to: string, employeeId: string | undefined): Promise<EmployeeSummary[]> {
  const { range, inRange } = await rangeScope(ctx, from, to, employeeId);
  const now = new Date();
  const secondsOf = (a: Prisma.Sql, b: Prisma.Sql) => Prisma.sql`FLOOR(EXTRACT(EPOCH FROM ${b} - ${a}))::int`;
  const reason = (r: AfkReason) => Prisma.sql`COALESCE(SUM(secs) FILTER (WHERE reason = ${r}::"AfkReason"), 0)::int`;
  return ctx.db.$queryRaw<EmployeeSummary[]>`
    WITH r AS (
      -- An open session is read at its last whole second (as each session's own serverTime is), so
      -- its part is exact there and the page can count on from it without losing a fraction.
      SELECT s.*, CASE WHEN s."endedAt" IS NULL AND s."startedAt" < ${now}::timestamptz
                       THEN ${now}::timestamptz - (EXTRACT(EPOCH FROM ${now}::timestamptz - s."startedAt") % 1) * INTERVAL '1 second'
                       ELSE ${now}::timestamptz END AS read_at
      FROM "WorkSession" s WHERE ${inRange}
    ), s AS (
      SELECT r.id, r."userId", r.manual, r."startedAt", r."endedAt", r.read_at,
             GREATEST(r."startedAt", ${range.start}) AS a, LEAST(COALESCE(r."endedAt", r.read_at), ${range.end}) AS b
      FROM r
    ), afk AS (
      -- Each AFK period from where the earlier ones of its session stop covering: overlaps count once.
      SELECT x."sessionId", x.reason, x.b,
             GREATEST(x.a, MAX(x.b) OVER (PARTITION BY x."sessionId" ORDER BY x.a, x."startedAt", x.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS a
      FROM (SELECT ap.id, ap."sessionId", ap.reason, ap."startedAt", GREATEST(ap."startedAt", s.a) AS a, LEAST(COALESCE(ap."endedAt", s.b), s.b) AS b
            FROM "AfkPeriod" ap JOIN s ON s.id = ap."sessionId") x
      WHERE x.a < x.b
    ), p AS (
      SELECT "sessionId", COALESCE(SUM(secs) FILTER (WHERE reason IS DISTINCT FROM 'work'), 0)::int AS afk,
             ${reason("break")} AS "break", ${reason("meeting")} AS meeting,
             ${reason("lunch")} AS lunch, ${reason("call")} AS call, ${reason("work")} AS worked
      FROM (SELECT "sessionId", reason, ${secondsOf(Prisma.sql`a`, Prisma.sql`b`)} AS secs FROM afk WHERE b > a) parts
      GROUP BY "sessionId"
    ), per_session AS (
      SELECT s."userId", s.manual, s."startedAt", s."endedAt", s.read_at, GREATEST(0, ${secondsOf(Prisma.sql`s.a`, Prisma.sql`s.b`)}) AS total,
             COALESCE(p.afk, 0) AS afk, COALESCE(p."break", 0) AS "break", COALESCE(p.meeting, 0) AS meeting,
             COALESCE(p.lunch, 0) AS lunch, COALESCE(p.call, 0) AS call, COALESCE(p.worked, 0) AS worked
      FROM s LEFT JOIN p ON p."sessionId" = s.id
    )
    SELECT "userId", COUNT(*)::int AS "sessionCount", SUM(total)::int AS "totalSeconds",
           SUM(GREATEST(0, total - afk))::int AS "netSeconds", SUM(afk)::int AS "afkSeconds",
           SUM("break")::int AS "breakSeconds", SUM(meeting)::int AS "meetingSeconds", SUM(lunch)::int AS "lunchSeconds", SUM(call)::int AS "callSeconds",
           SUM(worked)::int AS "countedAsWorkSeconds",
           COALESCE(SUM(GREATEST(0, total - afk)) FILTER (WHERE manual), 0)::int AS "manualSeconds",
           MIN(read_at) AS "serverTime", MIN("startedAt") AS "firstArrival", CASE WHEN BOOL_OR("endedAt" IS NULL) THEN NULL ELSE MAX("endedAt") END AS "lastDeparture"
    FROM per_session GROUP BY "userId"`;
}

const totalsFields = ["net", "afk", "break", "meeting", "lunch", "call", "countedAsWork", "manual"] as const;

const SummaryRef = builder.objectRef<EmployeeSummary & { user: User }>("EmployeeWorkSummary").implement({
  description: "One employee's time within the range (Group by employee).",
  fields: (t) => ({
    employee: t.field({ type: UserRef, resolve: (s) => s.user }),
    sessionCount: t.exposeInt("sessionCount"),
    ...Object.fromEntries(totalsFields.map((k) => [`${k}Seconds`, t.exposeInt(`${k}Seconds`)])),
    firstArrival: t.expose("firstArrival", { type: "DateTime", nullable: true }),
    lastDeparture: t.expose("lastDeparture", { type: "DateTime", nullable: true, description: "Null while a session is open." }),
    serverTime: t.expose("serverTime", { type: "DateTime", description: "When these totals were computed: an open session's net time counts on from here." }),
  }),
});

builder.queryField("workSummary", (t) =>
  t.field({
    type: [SummaryRef],
    description: `Per employee: time within the date range (workspace time zone, at most ${MAX_RANGE_DAYS} days), first arrival, last departure, AFK.`,
    authScopes: { permission: "work.read" },
    args: { from: t.arg({ type: "LocalDate" }), to: t.arg({ type: "LocalDate" }), employeeId: t.arg.globalID({ for: UserRef, required: false }) },
    resolve: async (_r, args, ctx) => {
      const summaries = await employeeSummaries(ctx, args.from, args.to, args.employeeId?.id);
      const users = new Map((await ctx.db.user.findMany({ where: { id: { in: summaries.map((s) => s.userId) } } })).map((u) => [u.id, u]));
      return summaries.map((s) => ({ ...s, user: users.get(s.userId)! })).sort((a, b) => a.user.name.localeCompare(b.user.name));
    },
  }),
);

const DayRef = builder.objectRef<Totals & { date: string }>("WorkDay").implement({
  fields: (t) => ({
    date: t.expose("date", { type: "LocalDate" }),
    ...Object.fromEntries(totalsFields.map((k) => [`${k}Seconds`, t.exposeInt(`${k}Seconds`)])),
  }),
});

builder.queryField("workDays", (t) =>
  t.field({
    type: [DayRef],
    description: `Each day's totals within the date range (workspace time zone), summed over everyone the viewer may see or one employee: the Sessions page's chart. Only days with work; at most ${MAX_RANGE_DAYS} days.`,
    authScopes: { permission: "work.read" },
    args: { from: t.arg({ type: "LocalDate" }), to: t.arg({ type: "LocalDate" }), employeeId: t.arg.globalID({ for: UserRef, required: false }) },
    resolve: async (_r, args, ctx) => {
      const { workspace, range, sessions } = await sessionsInRange(ctx, args.from, args.to, args.employeeId?.id);
      return dailyTotals(sessions, range, workspace.timeZone, new Date()).days;
    },
  }),
);

const MonthlyRef = builder.objectRef<ReturnType<typeof dailyTotals> & { month: string; userId: string }>("WorkMonthlyReport").implement({
  description: "An employee's month: each day's totals (a session across midnight counts on both days), summing exactly to the month.",
  fields: (t) => ({
    month: t.exposeString("month"),
    employee: t.field({ type: UserRef, resolve: (r, _a, ctx) => ctx.db.user.findUniqueOrThrow({ where: { id: r.userId } }) }),
    days: t.field({ type: [DayRef], resolve: (r) => r.days }),
    daysWorked: t.exposeInt("daysWorked"),
    ...Object.fromEntries(totalsFields.map((k) => [`${k}Seconds`, t.int({ resolve: (r) => r.total[`${k}Seconds`] })])),
    csvUrl: t.string({ resolve: (r) => `/api/work/report.csv?month=${r.month}&employee=${encodeURIComponent(encodeGlobalID("User", r.userId))}` }),
  }),
});

export async function monthlyReport(ctx: Context, month: string, employeeId: string | undefined) {
  requirePermission(ctx.viewer, "work.read");
  if (!YEAR_MONTH.test(month)) throw ValidationError.field("month", "Use YYYY-MM, a year between 1900 and 9999");
  const userId = (await employeeScope(ctx, employeeId)) ?? ctx.viewer!.userId;
  const last = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).getUTCDate();
  const { workspace, range, sessions } = await sessionsInRange(ctx, `${month}-01`, `${month}-${String(last).padStart(2, "0")}`, userId);
  return { month, userId, ...dailyTotals(sessions, range, workspace.timeZone, new Date()) };
}

/** The monthly report as a CSV download: a file name with the employee's name, and its text. */
export async function monthlyReportCsv(ctx: Context, month: string, employeeId: string | undefined) {
  const report = await monthlyReport(ctx, month, employeeId);
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: report.userId } });
  return { fileName: `work-${report.month}-${user.name.replace(/[^\w-]+/g, "_")}.csv`, csv: reportCsv(user.name, report) };
}

builder.queryField("workMonthlyReport", (t) =>
  t.field({
    type: MonthlyRef,
    description: "Monthly report per employee (yours unless you may see the team).",
    authScopes: { permission: "work.read" },
    args: { month: t.arg.string({ description: "YYYY-MM" }), employeeId: t.arg.globalID({ for: UserRef, required: false }) },
    resolve: (_r, args, ctx) => monthlyReport(ctx, args.month, args.employeeId?.id),
  }),
);
