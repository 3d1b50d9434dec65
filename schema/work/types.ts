import type { AfkPeriod, Screenshot, User, WorkActivity, WorkSession } from "../../prisma/generated/client.js";
import { filter, pipe } from "graphql-yoga";
import { builder } from "../builder.js";
import type { Context } from "../common/context.js";
import { ConflictError, NotFoundError, ValidationError } from "../common/errors.js";
import { resolveOffsetPage } from "../common/pages.js";
import { rowVisible } from "../common/policy.js";
import { UserRef } from "../identity/types.js";
import { readingInstant } from "../live/sources.js";
import { clip, seconds, type Interval } from "../common/time.js";
import { sessionTotals, timeline, type TimelineSpan } from "./rules.js";
import { answerAfk, isUnanswered, ownPrompts, promptThresholdMs, PROMPTS_LISTED } from "./afk.js";
import { addManualTime, editWorkSession, include, sessionsBetween, settingsOf, updateWorkSettings } from "./service.js";
import type { workSettings } from "./settings.js";
import { upperSnake } from "../common/enums.js";
import { childrenOf } from "../common/batched-db.js";

type Loaded = WorkSession & { user: User; afkPeriods: AfkPeriod[] };

const AfkReasonEnum = builder.enumType("AfkReason", {
  values: upperSnake({
    break: {},
    meeting: {},
    lunch: {},
    call: {},
    work: { description: "The employee was working away from the keyboard: counted as worked time, shown as such to managers." },
  }),
});
const EndReasonEnum = builder.enumType("WorkSessionEnd", {
  values: upperSnake({
    app_closed: { description: "The desktop app said it closed." },
    inactivity: { description: "Auto-closed after the inactivity timeout, at the last activity." },
    manual: { description: "Added or edited by a manager." },
  }),
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

const TimelineSpanRef = builder.objectRef<TimelineSpan>("TimelineSpan").implement({
  description: "A stretch of use of one app or URL (gaps under a minute joined).",
  fields: (t) => ({
    name: t.exposeString("name"),
    startedAt: t.field({ type: "DateTime", resolve: (s) => s.start }),
    endedAt: t.field({ type: "DateTime", resolve: (s) => s.end }),
  }),
});

/** The session's window activity, read for every session of a list at once (its apps, URLs and timelines share it). */
const activitiesOf = (ctx: Context, s: WorkSession) =>
  childrenOf(ctx, "WorkSession.activities", s.id, (sessionIds) => ctx.db.workActivity.findMany({ where: { sessionId: { in: sessionIds } } }), (a) => a.sessionId);

/** The session's window activity as intervals, for `timeline`. */
const activitySpans = async (ctx: Context, s: WorkSession) => (await activitiesOf(ctx, s)).map((a) => ({ ...a, start: a.startedAt, end: a.endedAt }));

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
      resolve: (s, _a, ctx) =>
        childrenOf(ctx, "WorkSession.screenshots", s.id, (sessionIds) => ctx.db.screenshot.findMany({ where: { sessionId: { in: sessionIds } }, orderBy: { takenAt: "asc" } }), (x) => x.sessionId),
    }),
    apps: t.field({
      type: [UsageRef],
      description: "Time per application.",
      resolve: async (s, _a, ctx) => usage(await activitiesOf(ctx, s), bounds(s), (a) => a.app),
    }),
    urls: t.field({
      type: [UsageRef],
      description: "Time per URL (browsers).",
      resolve: async (s, _a, ctx) => usage(await activitiesOf(ctx, s), bounds(s), (a) => a.url),
    }),
    appTimeline: t.field({
      type: [TimelineSpanRef],
      description: "When each application was in use, in time order.",
      resolve: async (s, _a, ctx) => timeline(await activitySpans(ctx, s), bounds(s), (a) => a.app),
    }),
    urlTimeline: t.field({
      type: [TimelineSpanRef],
      description: "When each URL was open (browsers), in time order.",
      resolve: async (s, _a, ctx) => timeline(await activitySpans(ctx, s), bounds(s), (a) => a.url),
    }),
  }),
});

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
    resolve: (_r, args, ctx) =>
      resolveOffsetPage({ args }, (page) => sessionsBetween(ctx, { ...args, employeeId: args.employeeId?.id }, page)),
  }),
);

builder.mutationField("setAfkReason", (t) =>
  t.fieldWithInput({
    type: AfkPeriodRef,
    description:
      "The AFK dialog's answer: what the time away was (work counts it as worked time), or null to clear it. Your own, or anyone's as a manager (work.manage).",
    authScopes: { permission: "work.record" },
    errors: { types: [NotFoundError] },
    input: { afkPeriodId: t.input.globalID({ for: AfkPeriodRef }), reason: t.input.field({ type: AfkReasonEnum, required: false }) },
    resolve: (_r, { input: args }, ctx) => answerAfk(ctx, args.afkPeriodId.id, args.reason ?? null),
  }),
);

builder.queryField("afkPrompts", (t) =>
  t.connection({
    type: AfkPeriodRef,
    description: "Your own unanswered AFK periods (see AfkPeriod.unanswered), newest first: what the AFK dialog asks.",
    authScopes: { permission: "work.record" },
    resolve: (_r, args, ctx) => resolveOffsetPage({ args }, ({ limit, offset }) => ownPrompts(ctx, limit, offset)),
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

builder.mutationField("addManualTime", (t) =>
  t.fieldWithInput({
    type: WorkSessionRef,
    description: "A manager adds time an employee worked untracked. Rejected when it overlaps any of their sessions.",
    authScopes: { permission: "work.manage" },
    errors: { types: [ValidationError, NotFoundError, ConflictError] },
    input: {
      employeeId: t.input.globalID({ for: UserRef }),
      start: t.input.field({ type: "DateTime" }),
      end: t.input.field({ type: "DateTime" }),
      note: t.input.string({ required: false, defaultValue: "" }),
    },
    resolve: (_r, { input: args }, ctx) => addManualTime(ctx, { ...args, employeeId: args.employeeId.id, note: args.note ?? "" }),
  }),
);

builder.mutationField("editWorkSession", (t) =>
  t.fieldWithInput({
    type: WorkSessionRef,
    description: "A manager corrects a completed session's bounds and notes; AFK and activity outside are trimmed.",
    authScopes: { permission: "work.manage" },
    errors: { types: [ValidationError, NotFoundError, ConflictError] },
    input: {
      id: t.input.globalID({ for: WorkSessionRef }),
      start: t.input.field({ type: "DateTime" }),
      end: t.input.field({ type: "DateTime" }),
      notes: t.input.string({ required: false }),
    },
    resolve: (_r, { input: args }, ctx) => editWorkSession(ctx, { ...args, id: args.id.id }),
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
    resolve: (_r, _a, ctx) => settingsOf(ctx, ctx.viewer!.workspaceId),
  }),
);

builder.mutationField("updateWorkSettings", (t) =>
  t.fieldWithInput({
    type: WorkSettingsRef,
    authScopes: { permission: "workspace.manage" },
    errors: { types: [ValidationError] },
    description: "Changes the settings given; the others stay.",
    input: { inactivityMinutes: t.input.int({ required: false }), afkPromptMinutes: t.input.int({ required: false }) },
    resolve: (_r, { input: args }, ctx) => updateWorkSettings(ctx, args),
  }),
);
