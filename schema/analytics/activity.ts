// User Activity: how many people use the apps, how often and how long, how the flows go and which
// business events happen, per day of a date range in the workspace's time zone. Everything is
// counted by the database: a range of a busy app is far too many sessions to ship here and count.
import { Prisma, type AnalyticsApp } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { DropOffStepRef } from "./preview.js";
import type { Context } from "../common/context.js";
import { ValidationError } from "../common/errors.js";
import { workspaceOfViewer } from "../identity/service.js";
import { rowsSql, rowsWhere } from "../common/policy.js";
import { readInOneSnapshot } from "../common/transactions.js";
import { addDays, dateRange, daysBetween } from "../common/time.js";
import { AnalyticsAppRef } from "./apps.js";
import { activeUserCounts, activityRangeProblems, daysOfMonths, monthsOfRange, share, ACTIVITY_MAX_DAYS, TOP_BUSINESS_EVENTS } from "./rules.js";

interface UserCounts {
  activeUsers: number;
  weeklyActiveUsers: number;
  monthlyActiveUsers: number;
}

type Day = UserCounts & { date: string; sessions: number; medianDurationSeconds: number | null };

interface FlowCounts {
  started: number;
  completed: number;
  mistakes: number;
  droppedOff: number;
}

type FlowDay = FlowCounts & { date: string };

interface FlowActivity {
  flowId: string;
  name: string;
  app: AnalyticsApp;
  total: FlowCounts;
  days: FlowDay[];
  dropOffSteps: { step: string; sessions: number }[];
}

interface Activity {
  from: string;
  to: string;
  timeZone: string;
  activeUsers: number;
  sessions: number;
  medianDurationSeconds: number | null;
  days: Day[];
  flows: FlowActivity[];
  topBusinessEvents: { name: string; count: number }[];
}

type Filter = { appId?: string; excludeBots: boolean; excludeDev: boolean };

/** The viewer's sessions of the filter, as an SQL condition on `s` (without the date range). */
function sessionsSql(ctx: Context, f: Filter) {
  return Prisma.sql`${rowsSql(ctx.viewer, "userSession", "s")}
    AND (${f.appId ?? null}::uuid IS NULL OR s."appId" = ${f.appId ?? null}::uuid)
    AND (NOT ${f.excludeBots} OR NOT s."isBot")
    AND (NOT ${f.excludeDev} OR NOT (s."isDev" OR s."isInternal"))`;
}

/**
 * The same filter on `a`, a row of the counts of finalised sessions that the database keeps per day
 * (SessionDurationDay and its kin) or per month (ActiveUserMonth). Those rows are the viewer's
 * sessions counted, so the sessions' rule decides which the viewer sees.
 */
function countsSql(ctx: Context, f: Filter) {
  return Prisma.sql`${rowsSql(ctx.viewer, "userSession", "a")}
    AND (${f.appId ?? null}::uuid IS NULL OR a."appId" = ${f.appId ?? null}::uuid)
    AND (NOT ${f.excludeBots} OR NOT a."isBot")
    AND (NOT ${f.excludeDev} OR NOT a."isDevOrInternal")`;
}

async function read(ctx: Context, from: string, to: string, f: Filter): Promise<Activity> {
  const tz = (await workspaceOfViewer(ctx.db, ctx.viewer!)).timeZone;
  const range = dateRange(from, to, tz);
  // Monthly active users of the range's first day look 29 days further back.
  const lookBackFrom = addDays(from, -29);
  const lookBack = dateRange(lookBackFrom, to, tz);
  const where = sessionsSql(ctx, f);
  // Finalised sessions are read from their per-day and per-month counts; those in progress (a few:
  // the last minutes' visits) from themselves, their day as the counts have it.
  const day = Prisma.sql`(s."startedAt" AT TIME ZONE ${tz})::date`;
  const inProgress = Prisma.sql`${where} AND s."finalizedAt" IS NULL`;
  const months = monthsOfRange(lookBackFrom, to);
  const visits = Prisma.sql`
    (SELECT a.month, a."userKey", a.days FROM "ActiveUserMonth" a
     WHERE ${countsSql(ctx, f)} AND a.month BETWEEN ${months[0].month}::date AND ${months[months.length - 1].month}::date
     UNION ALL SELECT date_trunc('month', ${day}::timestamp)::date, s."userKey", 1 << (extract(day FROM ${day})::int - 1)
     FROM "UserSession" s WHERE ${inProgress} AND s."startedAt" >= ${lookBack.start} AND s."startedAt" < ${lookBack.end})`;
  const inRange = Prisma.sql`${countsSql(ctx, f)} AND a.day BETWEEN ${from}::date AND ${to}::date`;
  const durations = Prisma.sql`(SELECT a.day, a."durationSeconds" AS seconds, a.sessions FROM "SessionDurationDay" a WHERE ${inRange}
    UNION ALL SELECT ${day}, s."durationSeconds", 1 FROM "UserSession" s WHERE ${inProgress} AND s."startedAt" >= ${range.start} AND s."startedAt" < ${range.end})`;
  const lookBackDays = daysBetween(lookBackFrom, to) + 1;
  const monthBits = Prisma.join(months.map(({ month, mask }) => Prisma.sql`bit_or(CASE WHEN v.month = ${month}::date THEN v.days & ${mask}::int ELSE 0 END)`));
  const median = Prisma.sql`ROUND(PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x)::numeric)::int`;

  // One snapshot: a session stored between two of the counts would count in one and not in the
  // other (a day's sessions without their users). The flows' definitions are not counts.
  const [[dayPatterns, perDayDurations, flowDays, dropOffs, events], definitions] = await Promise.all([
    readInOneSnapshot<
      [
        { words: number[]; users: number },
        { date: string | null; sessions: number; median: number | null },
        FlowDay & { flowId: string },
        { flowId: string; step: string; count: number },
        { name: string; count: number },
      ]
    >(ctx, [
      // Each user's active days as one int4 word per month of the look-back, its days outside the
      // look-back masked off, then the users with the same days counted together: grouping by user is
      // one hashing pass over a row per user-month, and what crosses the wire is one row per pattern
      // of days, not per user.
      Prisma.sql`
        SELECT u.words, COUNT(*)::int AS users
        FROM (SELECT ARRAY[${monthBits}] AS words FROM ${visits} v GROUP BY v."userKey") u
        GROUP BY u.words`,
      // Sessions and their median duration per day, then over the range (the row without a date). Each
      // day's count of a duration is unrolled into that many values (in the select list: as a lateral
      // function it cost a call per row) and hashed into the day's array; each array is sorted on its
      // own for its median, which is cheaper than sorting every value by day first.
      Prisma.sql`
        WITH per_day AS MATERIALIZED (
          SELECT d.day, array_agg(d.seconds) AS seconds
          FROM (SELECT d.day, d.seconds, generate_series(1, d.sessions) FROM ${durations} d) d GROUP BY d.day)
        SELECT to_char(day, 'YYYY-MM-DD') AS date, cardinality(seconds) AS sessions, (SELECT ${median} FROM unnest(seconds) x) AS median FROM per_day
        UNION ALL
        SELECT NULL, COALESCE(SUM(cardinality(seconds)), 0)::int, (SELECT ${median} FROM per_day, unnest(seconds) x) FROM per_day`,
      Prisma.sql`
        SELECT a."flowId", to_char(a.day, 'YYYY-MM-DD') AS date, SUM(a.sessions)::int AS started,
               COALESCE(SUM(a.sessions) FILTER (WHERE a.outcome = 'completed'), 0)::int AS completed,
               COALESCE(SUM(a.sessions) FILTER (WHERE a.outcome = 'mistakes'), 0)::int AS mistakes,
               COALESCE(SUM(a.sessions) FILTER (WHERE a.outcome = 'dropped_off'), 0)::int AS "droppedOff"
        FROM "FlowOutcomeDay" a WHERE ${inRange} GROUP BY 1, 2`,
      Prisma.sql`
        SELECT a."flowId", a."lastStep" AS step, SUM(a.sessions)::int AS count
        FROM "FlowOutcomeDay" a WHERE ${inRange} AND a.outcome = 'dropped_off'
        GROUP BY 1, 2 ORDER BY count DESC, step`,
      Prisma.sql`
        SELECT a.name, SUM(a.events)::int AS count
        FROM "BusinessEventDay" a WHERE ${inRange}
        GROUP BY a.name ORDER BY count DESC, a.name LIMIT ${TOP_BUSINESS_EVENTS}`,
    ]),
    ctx.db.flowDefinition.findMany({
      where: { app: rowsWhere(ctx.viewer, "analyticsApp"), appId: f.appId },
      include: { app: true },
      orderBy: [{ app: { name: "asc" } }, { name: "asc" }],
    }),
  ]);

  const users = activeUserCounts(dayPatterns.map((p) => ({ days: daysOfMonths(p.words, months, lookBackFrom), users: p.users })), lookBackDays, daysBetween(lookBackFrom, from));
  const durationsOf = new Map(perDayDurations.map((d) => [d.date, d]));
  const perDay: Day[] = users.daily.map((activeUsers, i) => {
    const date = addDays(from, i);
    const durations = durationsOf.get(date);
    return {
      date,
      activeUsers,
      weeklyActiveUsers: users.weekly[i],
      monthlyActiveUsers: users.monthly[i],
      sessions: durations?.sessions ?? 0,
      medianDurationSeconds: durations?.median ?? null,
    };
  });
  const wholeRange = durationsOf.get(null);
  const flows = definitions.map((flow) => {
    const byDate = new Map(flowDays.filter((r) => r.flowId === flow.id).map((r) => [r.date, r]));
    const flowDaysList = perDay.map(({ date }) => byDate.get(date) ?? { date, started: 0, completed: 0, mistakes: 0, droppedOff: 0 });
    const total = (key: keyof FlowCounts) => flowDaysList.reduce((n, d) => n + d[key], 0);
    return {
      flowId: flow.id,
      name: flow.name,
      app: flow.app,
      total: { started: total("started"), completed: total("completed"), mistakes: total("mistakes"), droppedOff: total("droppedOff") },
      days: flowDaysList.map(({ date, started, completed, mistakes, droppedOff }) => ({ date, started, completed, mistakes, droppedOff })),
      dropOffSteps: dropOffs.filter((r) => r.flowId === flow.id).map(({ step, count }) => ({ step, sessions: count })),
    };
  });
  return {
    from,
    to,
    timeZone: tz,
    activeUsers: users.rangeUsers,
    sessions: wholeRange?.sessions ?? 0,
    medianDurationSeconds: wholeRange?.median ?? null,
    days: perDay,
    flows,
    topBusinessEvents: events,
  };
}

const CountsRef = builder.objectRef<FlowCounts>("FlowCounts").implement({
  fields: (t) => ({
    started: t.exposeInt("started", { description: "Sessions that began the flow." }),
    completed: t.exposeInt("completed", { description: "Finished without mistakes." }),
    mistakes: t.exposeInt("mistakes", { description: "Finished with mistakes." }),
    droppedOff: t.exposeInt("droppedOff"),
    completionRate: t.float({ nullable: true, description: "Completed as a share of the starts, 0 to 1; null without starts.", resolve: (c) => share(c.completed, c.started) }),
    mistakesRate: t.float({ nullable: true, description: "Finished with mistakes as a share of the starts.", resolve: (c) => share(c.mistakes, c.started) }),
    dropOffRate: t.float({ nullable: true, description: "Dropped off as a share of the starts.", resolve: (c) => share(c.droppedOff, c.started) }),
  }),
});

const FlowDayRef = builder.objectRef<FlowDay>("FlowActivityDay").implement({
  fields: (t) => ({ date: t.expose("date", { type: "LocalDate" }), counts: t.field({ type: CountsRef, resolve: (d) => d }) }),
});

const FlowRef = builder.objectRef<FlowActivity>("FlowActivity").implement({
  description: "How one flow went over the range: totals, each day, and where people dropped off.",
  fields: (t) => ({
    name: t.exposeString("name"),
    app: t.field({ type: AnalyticsAppRef, resolve: (f) => f.app }),
    total: t.field({ type: CountsRef, description: "Over the whole range.", resolve: (f) => f.total }),
    days: t.field({ type: [FlowDayRef], description: "Every day of the range, zeros included.", resolve: (f) => f.days }),
    dropOffSteps: t.field({ type: [DropOffStepRef], description: "Where drop-offs stopped, most first.", resolve: (f) => f.dropOffSteps }),
    mostDroppedAtStep: t.string({ nullable: true, description: "The step most drop-offs stopped at; null without drop-offs.", resolve: (f) => f.dropOffSteps[0]?.step ?? null }),
  }),
});

const DayRef = builder.objectRef<Day>("UserActivityDay").implement({
  fields: (t) => ({
    date: t.expose("date", { type: "LocalDate" }),
    activeUsers: t.exposeInt("activeUsers", { description: "Daily active users: distinct user ids with a session started this day." }),
    weeklyActiveUsers: t.exposeInt("weeklyActiveUsers", { description: "Distinct user ids with a session started in the 7 days ending this day." }),
    monthlyActiveUsers: t.exposeInt("monthlyActiveUsers", { description: "Distinct user ids with a session started in the 30 days ending this day." }),
    sessions: t.exposeInt("sessions", { description: "Sessions started this day." }),
    medianDurationSeconds: t.exposeInt("medianDurationSeconds", { nullable: true, description: "Median duration of those sessions, whole seconds; null without sessions." }),
  }),
});

const ActivityRef = builder.objectRef<Activity>("UserActivity").implement({
  description:
    "User activity over a date range in the workspace's time zone. A session counts on the local day it started; users are distinct user ids (the user's id once identified). Flows and business events come from finalised sessions.",
  fields: (t) => ({
    from: t.expose("from", { type: "LocalDate" }),
    to: t.expose("to", { type: "LocalDate" }),
    timeZone: t.exposeString("timeZone"),
    activeUsers: t.exposeInt("activeUsers", { description: "Distinct user ids over the whole range." }),
    averageDailyActiveUsers: t.float({ description: "Daily active users averaged over the range's days.", resolve: (a) => a.days.reduce((n, d) => n + d.activeUsers, 0) / a.days.length }),
    sessions: t.exposeInt("sessions"),
    medianDurationSeconds: t.exposeInt("medianDurationSeconds", { nullable: true, description: "Over every session of the range." }),
    days: t.field({ type: [DayRef], description: "Every day of the range, in order, zeros included.", resolve: (a) => a.days }),
    flows: t.field({ type: [FlowRef], description: "Every flow defined for the apps, by app and name.", resolve: (a) => a.flows }),
    topBusinessEvents: t.field({ type: [BusinessEventCountRef], description: `The ${TOP_BUSINESS_EVENTS} most frequent business events, most first.`, resolve: (a) => a.topBusinessEvents }),
  }),
});

const BusinessEventCountRef = builder.objectRef<{ name: string; count: number }>("BusinessEventCount").implement({
  fields: (t) => ({ name: t.exposeString("name"), count: t.exposeInt("count") }),
});

const ActivityInput = builder.inputType("UserActivityInput", {
  fields: (t) => ({
    appId: t.globalID({ for: AnalyticsAppRef, required: false, description: "One app; every app without it." }),
    from: t.field({ type: "LocalDate" }),
    to: t.field({ type: "LocalDate", description: `The last day, included; at most ${ACTIVITY_MAX_DAYS} days after from.` }),
    excludeBots: t.boolean({ required: false, defaultValue: true }),
    excludeDev: t.boolean({ required: false, defaultValue: true, description: "Leaves out development environments and internal users and apps." }),
  }),
});

builder.queryField("userActivity", (t) =>
  t.field({
    type: ActivityRef,
    description: "Active users, sessions, session durations, flow outcomes and top business events per day of a date range (workspace time zone).",
    authScopes: { permission: "analytics.read" },
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: ActivityInput }) },
    resolve: (_r, { input }, ctx) => {
      const problems = activityRangeProblems(input.from, input.to);
      if (problems.length) throw new ValidationError(problems.map((p) => ({ ...p, path: ["input", ...p.path] })));
      return read(ctx, input.from, input.to, { appId: input.appId?.id, excludeBots: input.excludeBots ?? true, excludeDev: input.excludeDev ?? true });
    },
  }),
);
