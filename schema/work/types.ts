import { encodeGlobalID, resolveOffsetConnection } from "@pothos/plugin-relay";
import type { AfkPeriod, Screenshot, User, WorkActivity, WorkSession } from "../../prisma/generated/client.js";
import { filter, pipe } from "graphql-yoga";
import { builder } from "../builder.js";
import type { Context } from "../common/context.js";
import { ConflictError, NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { personInScope, rowsWhere, rowVisible } from "../common/policy.js";
import { mergeSettings } from "../common/settings.js";
import { UserRef } from "../identity/types.js";
import { readingInstant } from "../live/sources.js";
import { announceWork } from "./live.js";
import { clip, dateRange, seconds, sessionTotals, type Interval } from "./rules.js";
import { answerAfk, isUnanswered, ownPrompts, promptThresholdMs, PROMPTS_LISTED } from "./afk.js";
import { WORK_SETTING_LIMITS, workSettings } from "./settings.js";

type Loaded = WorkSession & { user: User; afkPeriods: AfkPeriod[] };
const include = { user: true, afkPeriods: { orderBy: { startedAt: "asc" } } } as const;

const AfkReasonEnum = builder.enumType("AfkReason", {
  values: {
    break: {},
    meeting: {},
    lunch: {},
    call: {},
    work: { description: "The employee was working away from the keyboard: counted as worked time, shown as such to managers." },
  } as const,
});
const EndReasonEnum = builder.enumType("WorkSessionEnd", {
  values: {
    app_closed: { description: "The desktop app said it closed." },
    inactivity: { description: "Auto-closed after the inactivity timeout, at the last activity." },
    manual: { description: "Added or edited by a manager." },
  },
});

const AfkPeriodRef = builder.objectRef<AfkPeriod>("AfkPeriod");
builder.node(AfkPeriodRef, {
  id: { resolve: (a) => a.id },
  loadOne: async (id, ctx) => {
    const afk = await ctx.db.afkPeriod.findUnique({ where: { id }, include: { session: true } });
    return afk && canSee(ctx, afk.session) ? afk : null;
  },
  fields: (t) => ({
    startedAt: t.expose("startedAt", { type: "DateTime", description: "The last input before going away." }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true }),
    reason: t.field({ type: AfkReasonEnum, nullable: true, resolve: (a) => a.reason }),
    unanswered: t.boolean({
      description: "The AFK dialog asks about it: over, at least the workspace's afkPromptMinutes long, and without a reason.",
      resolve: async (a, _args, ctx) => isUnanswered(a, await promptThresholdMs(ctx)),
    }),
  }),
});

const ScreenshotRef = builder.objectRef<Screenshot>("Screenshot").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    takenAt: t.expose("takenAt", { type: "DateTime" }),
    mime: t.exposeString("mime"),
    size: t.exposeInt("size", { description: "Bytes." }),
    url: t.string({ description: "The image, for whoever may see the session.", resolve: (s) => `/api/work/screenshots/${s.id}` }),
  }),
});

const UsageRef = builder.objectRef<{ name: string; seconds: number }>("UsageShare").implement({
  fields: (t) => ({ name: t.exposeString("name"), seconds: t.exposeInt("seconds") }),
});

function canSee(ctx: Context, session: { workspaceId: string; userId: string }) {
  return rowVisible(ctx.viewer, "workSession", { workspaceId: session.workspaceId, ownerId: session.userId });
}

/** Seconds per app or URL, clipped to the session. */
function usage(activities: WorkActivity[], session: Interval, key: (a: WorkActivity) => string | null) {
  const totals = new Map<string, number>();
  for (const a of activities) {
    const name = key(a);
    const span = name && clip({ start: a.startedAt, end: a.endedAt }, session);
    if (name && span) totals.set(name, (totals.get(name) ?? 0) + seconds(span));
  }
  return [...totals].map(([name, s]) => ({ name, seconds: s })).sort((a, b) => b.seconds - a.seconds);
}

/** An open session is read at its last whole second, the instant serverTime names. */
const readAt = (s: WorkSession) => readingInstant(s, s.endedAt ? null : s.startedAt);
const bounds = (s: WorkSession): Interval => ({ start: s.startedAt, end: s.endedAt ?? readAt(s) });

export const WorkSessionRef = builder.objectRef<Loaded>("WorkSession");
builder.node(WorkSessionRef, {
  id: { resolve: (s) => s.id },
  loadOne: async (id, ctx) => {
    const s = await ctx.db.workSession.findUnique({ where: { id }, include });
    return s && canSee(ctx, s) ? s : null;
  },
  fields: (t) => ({
    employee: t.field({ type: UserRef, resolve: (s) => s.user }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true, description: "Null while open." }),
    endReason: t.field({ type: EndReasonEnum, nullable: true, resolve: (s) => s.endReason }),
    manual: t.exposeBoolean("manual", { description: "Added by a manager (shown as 'M')." }),
    notes: t.exposeString("notes"),
    serverTime: t.field({ type: "DateTime", description: "The instant the durations were computed (open sessions tick).", resolve: (s) => readAt(s) }),
    ...(["total", "net", "afk", "break", "meeting", "lunch", "call", "countedAsWork"] as const).reduce(
      (fields, k) => ({
        ...fields,
        [`${k}Seconds`]: t.int({ resolve: (s) => sessionTotals(bounds(s), s.afkPeriods)[`${k}Seconds`] }),
      }),
      {} as Record<string, ReturnType<typeof t.int>>,
    ),
    afkPeriods: t.field({ type: [AfkPeriodRef], resolve: (s) => s.afkPeriods }),
    unansweredAfkPeriods: t.field({
      type: [AfkPeriodRef],
      description: "AFK periods the dialog still asks about, answerable here with setAfkReason.",
      resolve: async (s, _a, ctx) => {
        const thresholdMs = await promptThresholdMs(ctx);
        return s.afkPeriods.filter((a) => isUnanswered(a, thresholdMs));
      },
    }),
    screenshots: t.field({
      type: [ScreenshotRef],
      resolve: (s, _a, ctx) => ctx.db.screenshot.findMany({ where: { sessionId: s.id }, orderBy: { takenAt: "asc" } }),
    }),
    apps: t.field({
      type: [UsageRef],
      description: "Time per application.",
      resolve: async (s, _a, ctx) => usage(await ctx.db.workActivity.findMany({ where: { sessionId: s.id } }), bounds(s), (a) => a.app),
    }),
    urls: t.field({
      type: [UsageRef],
      description: "Time per URL (browsers).",
      resolve: async (s, _a, ctx) => usage(await ctx.db.workActivity.findMany({ where: { sessionId: s.id } }), bounds(s), (a) => a.url),
    }),
  }),
});

/**
 * Who the query is about (the policy's rule: employees only ever themselves, managers anyone or
 * everyone), and only a member of the workspace the request acts in: nobody else's name or email.
 */
export async function employeeScope(ctx: Context, employeeId: string | undefined) {
  const viewer = ctx.viewer!;
  const userId = personInScope(viewer, employeeId);
  if (userId && userId !== viewer.userId && !(await ctx.db.membership.findFirst({ where: { ...rowsWhere(viewer, "member"), userId } })))
    throw new NotFoundError("Employee");
  return userId;
}

builder.queryField("workSessions", (t) =>
  t.connection({
    type: WorkSessionRef,
    description: "Sessions overlapping a date range in the workspace time zone, newest first.",
    authScopes: { permission: "work.read" },
    args: {
      from: t.arg({ type: "LocalDate" }),
      to: t.arg({ type: "LocalDate" }),
      employeeId: t.arg.globalID({ for: UserRef, required: false }),
      withNotes: t.arg.boolean({ required: false, description: "Only sessions with notes: the session notes report." }),
    },
    resolve: async (_r, args, ctx) => {
      if (args.to < args.from) throw ValidationError.field("to", "Must not be before from");
      const workspace = await ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.viewer!.workspaceId } });
      const range = dateRange(args.from, args.to, workspace.timeZone);
      const userId = await employeeScope(ctx, args.employeeId?.id);
      return resolveOffsetConnection({ args }, ({ limit, offset }) =>
        ctx.db.workSession.findMany({
          where: {
            ...rowsWhere(ctx.viewer, "workSession"),
            userId,
            startedAt: { lt: range.end },
            OR: [{ endedAt: null }, { endedAt: { gt: range.start } }],
            ...(args.withNotes ? { notes: { not: "" } } : {}),
          },
          include,
          orderBy: [{ startedAt: "desc" }, { id: "asc" }],
          skip: offset,
          take: limit,
        }),
      );
    },
  }),
);

builder.mutationField("setAfkReason", (t) =>
  t.field({
    type: AfkPeriodRef,
    description:
      "The AFK dialog's answer: what the time away was (work counts it as worked time), or null to clear it. Your own, or anyone's as a manager (work.manage).",
    authScopes: { permission: "work.record" },
    errors: { types: [NotFoundError] },
    args: { afkPeriodId: t.arg.globalID({ for: AfkPeriodRef }), reason: t.arg({ type: AfkReasonEnum, required: false }) },
    resolve: (_r, args, ctx) => answerAfk(ctx, args.afkPeriodId.id, args.reason ?? null),
  }),
);

builder.queryField("afkPrompts", (t) =>
  t.connection({
    type: AfkPeriodRef,
    description: "Your own unanswered AFK periods (see AfkPeriod.unanswered), newest first: what the AFK dialog asks.",
    authScopes: { permission: "work.record" },
    resolve: (_r, args, ctx) => resolveOffsetConnection({ args }, ({ limit, offset }) => ownPrompts(ctx, limit, offset)),
  }),
);

builder.subscriptionField("afkPromptsChanged", (t) =>
  t.field({
    type: [AfkPeriodRef],
    description: `Your unanswered AFK periods (the newest ${PROMPTS_LISTED}) each time they change: an AFK period you came back from, or an answer given elsewhere.`,
    authScopes: { permission: "work.record" },
    subscribe: (_r, _a, ctx) =>
      pipe(
        ctx.pubsub.subscribe("afkPrompts", ctx.viewer!.workspaceId),
        filter((change) => change.userId === ctx.viewer!.userId),
      ),
    resolve: (_change, _a, ctx) => ownPrompts(ctx),
  }),
);

/** The employee's session that overlaps [start, end), an open one counting up to now. */
async function overlapping(ctx: Context, userId: string, start: Date, end: Date, exceptId?: string) {
  return ctx.db.workSession.findFirst({
    where: {
      workspaceId: ctx.viewer!.workspaceId,
      userId,
      id: exceptId ? { not: exceptId } : undefined,
      startedAt: { lt: end },
      OR: [{ endedAt: null }, { endedAt: { gt: start } }],
    },
  });
}

function checkTimes(problems: Problems, start: Date, end: Date) {
  if (end <= start) problems.add("end", "Must be after the start");
  if (end.getTime() > Date.now()) problems.add("end", "Can't be in the future");
}

function isOverlapViolation(error: unknown) {
  return String((error as Error)?.message ?? "").includes("WorkSession_no_overlap");
}

const conflict = (id: string) => new ConflictError("Overlaps another session of this employee", [id]);

builder.mutationField("addManualTime", (t) =>
  t.field({
    type: WorkSessionRef,
    description: "A manager adds time an employee worked untracked. Rejected when it overlaps any of their sessions.",
    authScopes: { permission: "work.manage" },
    errors: { types: [ValidationError, NotFoundError, ConflictError] },
    args: {
      employeeId: t.arg.globalID({ for: UserRef }),
      start: t.arg({ type: "DateTime" }),
      end: t.arg({ type: "DateTime" }),
      note: t.arg.string({ required: false, defaultValue: "" }),
    },
    resolve: async (_r, args, ctx) => {
      const problems = new Problems();
      checkTimes(problems, args.start, args.end);
      if ((args.note ?? "").length > 2000) problems.add("note", "At most 2000 characters");
      problems.throwIfAny();
      const workspaceId = ctx.viewer!.workspaceId;
      const member = await ctx.db.membership.findFirst({ where: { workspaceId, userId: args.employeeId.id } });
      if (!member) throw new NotFoundError("Employee");
      const clash = await overlapping(ctx, member.userId, args.start, args.end);
      if (clash) throw conflict(encode(clash.id));
      try {
        const created = await ctx.db.workSession.create({
          data: {
            workspaceId,
            userId: member.userId,
            startedAt: args.start,
            endedAt: args.end,
            lastActivityAt: args.end,
            endReason: "manual",
            manual: true,
            notes: (args.note ?? "").trim(),
          },
          include,
        });
        await announceWork(ctx, [created.id]);
        return created;
      } catch (error) {
        // Two managers at the same moment: the database constraint lets exactly one through.
        if (!isOverlapViolation(error)) throw error;
        const winner = await overlapping(ctx, member.userId, args.start, args.end);
        throw conflict(winner ? encode(winner.id) : "");
      }
    },
  }),
);

const encode = (id: string) => encodeGlobalID("WorkSession", id);

builder.mutationField("editWorkSession", (t) =>
  t.field({
    type: WorkSessionRef,
    description: "A manager corrects a completed session's bounds and notes; AFK and activity outside are trimmed.",
    authScopes: { permission: "work.manage" },
    errors: { types: [ValidationError, NotFoundError, ConflictError] },
    args: {
      id: t.arg.globalID({ for: WorkSessionRef }),
      start: t.arg({ type: "DateTime" }),
      end: t.arg({ type: "DateTime" }),
      notes: t.arg.string({ required: false }),
    },
    resolve: async (_r, args, ctx) => {
      const problems = new Problems();
      checkTimes(problems, args.start, args.end);
      problems.throwIfAny();
      const session = await ctx.db.workSession.findFirst({ where: { id: args.id.id, workspaceId: ctx.viewer!.workspaceId } });
      if (!session) throw new NotFoundError("Session");
      if (!session.endedAt) throw new ConflictError("An open session can't be edited; wait until it ends", [encode(session.id)]);
      const clash = await overlapping(ctx, session.userId, args.start, args.end, session.id);
      if (clash) throw conflict(encode(clash.id));
      const { start, end } = args;
      try {
        await ctx.db.$transaction(async (tx) => {
          // Everything outside the new bounds goes, what straddles them is clipped: no negative durations.
          const sessionId = session.id;
          const outside = { sessionId, OR: [{ endedAt: { lte: start } }, { startedAt: { gte: end } }] };
          await tx.afkPeriod.deleteMany({ where: outside });
          await tx.workActivity.deleteMany({ where: outside });
          await tx.afkPeriod.updateMany({ where: { sessionId, startedAt: { lt: start } }, data: { startedAt: start } });
          await tx.workActivity.updateMany({ where: { sessionId, startedAt: { lt: start } }, data: { startedAt: start } });
          await tx.afkPeriod.updateMany({ where: { sessionId, OR: [{ endedAt: { gt: end } }, { endedAt: null }] }, data: { endedAt: end } });
          await tx.workActivity.updateMany({ where: { sessionId, endedAt: { gt: end } }, data: { endedAt: end } });
          await tx.workSession.update({
            where: { id: session.id },
            data: { startedAt: start, endedAt: end, lastActivityAt: end, notes: args.notes?.trim() ?? undefined },
          });
        });
      } catch (error) {
        if (isOverlapViolation(error)) throw conflict("");
        throw error;
      }
      return ctx.db.workSession.findUniqueOrThrow({ where: { id: session.id }, include });
    },
  }),
);

const WorkSettingsRef = builder.objectRef<ReturnType<typeof workSettings>>("WorkSettings").implement({
  fields: (t) => ({
    inactivityMinutes: t.exposeInt("inactivityMinutes", { description: "Open sessions auto-close after this long without activity." }),
    afkPromptMinutes: t.exposeInt("afkPromptMinutes", { description: "AFK at least this long asks the employee what the time was (default 3)." }),
  }),
});

builder.queryField("workSettings", (t) =>
  t.field({
    type: WorkSettingsRef,
    authScopes: { permission: "work.read" },
    resolve: async (_r, _a, ctx) => workSettings((await ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.viewer!.workspaceId } })).settings),
  }),
);

builder.mutationField("updateWorkSettings", (t) =>
  t.field({
    type: WorkSettingsRef,
    authScopes: { permission: "workspace.manage" },
    errors: { types: [ValidationError] },
    description: "Changes the settings given; the others stay.",
    args: { inactivityMinutes: t.arg.int({ required: false }), afkPromptMinutes: t.arg.int({ required: false }) },
    resolve: async (_r, args, ctx) => {
      const problems = new Problems();
      const changes: Record<string, number> = {};
      for (const key of ["inactivityMinutes", "afkPromptMinutes"] as const) {
        const value = args[key];
        if (value == null) continue;
        const { min, max } = WORK_SETTING_LIMITS[key];
        if (value < min || value > max) problems.add(key, `Between ${min} and ${max} minutes`);
        changes[key] = value;
      }
      problems.throwIfAny();
      return workSettings(await mergeSettings(ctx.db, ctx.viewer!.workspaceId, "work", changes));
    },
  }),
);
