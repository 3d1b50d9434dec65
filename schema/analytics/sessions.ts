// User sessions as the User Sessions page sees them: the filtered list, the detail, live changes.
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { AnalyticsApp, FlowOutcome, Prisma, SessionBusinessEvent, SessionSummary, UserSession } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { rowsWhere } from "../common/policy.js";
import type { Context } from "../common/context.js";
import { Problems, ValidationError } from "../common/errors.js";
import { instantInRange, UUID } from "../common/input-limits.js";
import { AnalyticsAppRef } from "./apps.js";
import { enrich, enrichAll, type Enrichment } from "./enrichment.js";
import { summarise, type Summary } from "./rules.js";
import { upperSnake } from "../common/enums.js";

export type Loaded = UserSession & { summary: SessionSummary | null; outcomes: (FlowOutcome & { flow: { name: string } })[] };
// Outcomes come with the page (one query), not one query per row.
export const include = { summary: true, outcomes: { include: { flow: { select: { name: true } } }, orderBy: { startedAt: "asc" } } } as const;

const OutcomeEnum = builder.enumType("FlowOutcomeKind", {
  values: upperSnake({
    completed: { description: "Finished the flow without mistakes." },
    mistakes: { description: "Finished the flow with errors, repeated steps or steps back along the way." },
    dropped_off: { description: "Started the flow and never finished it." },
  }),
});

const SortEnum = builder.enumType("UserSessionSort", {
  values: { STARTED_AT: { description: "Newest start first." }, LAST_EVENT_AT: { description: "Most recent activity first." } },
});

const inProgress = (s: UserSession) => s.finalizedAt === null;

/**
 * What a session in progress shows: worked out on request from its raw events (never stored, no
 * model), so the list and the side panel are right before the session is finalised. A page of
 * rows is worked out together (see withPreviews); a single session on its own.
 */
const previews = new WeakMap<UserSession, Promise<{ enrichment: Enrichment; summary: Summary }>>();
const previewOf = (enrichment: Enrichment) => ({ enrichment, summary: summarise(enrichment.input) });

function preview(ctx: Context, s: UserSession) {
  let found = previews.get(s);
  if (!found) {
    found = enrich(ctx.db, s).then(previewOf);
    previews.set(s, found);
  }
  return found;
}

export async function withPreviews<T extends UserSession>(ctx: Context, sessions: T[]): Promise<T[]> {
  const open = sessions.filter((s) => inProgress(s) && !previews.has(s));
  if (open.length) {
    const all = enrichAll(ctx.db, open);
    for (const s of open) previews.set(s, all.then((m) => previewOf(m.get(s.id)!)));
  }
  return sessions;
}

const BusinessEventRef = builder.objectRef<Omit<SessionBusinessEvent, "id" | "sessionId" | "parameters"> & { parameters: unknown }>("BusinessEvent").implement({
  fields: (t) => ({
    position: t.exposeInt("position", { description: "Order within the session, from 1." }),
    name: t.exposeString("name"),
    description: t.exposeString("description"),
    parameters: t.field({ type: "JSON", resolve: (e) => e.parameters }),
    isError: t.exposeBoolean("isError"),
    occurredAt: t.expose("occurredAt", { type: "DateTime" }),
    rawEventId: t.exposeString("rawEventId", { description: "The app's id of the raw event it was made from." }),
  }),
});

interface OutcomeView {
  flowName: string;
  outcome: FlowOutcome["outcome"];
  lastStep: string;
  mistakeCount: number;
  startedAt: Date;
  endedAt: Date;
}

const FlowOutcomeRef = builder.objectRef<OutcomeView>("FlowOutcome").implement({
  fields: (t) => ({
    flowName: t.exposeString("flowName"),
    outcome: t.field({ type: OutcomeEnum, resolve: (o) => o.outcome }),
    lastStep: t.exposeString("lastStep", { description: "The last step reached: where a dropped-off user stopped." }),
    mistakeCount: t.exposeInt("mistakeCount"),
    durationSeconds: t.int({ resolve: (o) => Math.round((+o.endedAt - +o.startedAt) / 1000) }),
  }),
});

const SummaryRef = builder.objectRef<{ source: string; title: string; tldr: string; narrative: string }>("SessionSummary").implement({
  fields: (t) => ({
    title: t.exposeString("title"),
    tldr: t.exposeString("tldr", { description: "One line: the flows, business events and errors." }),
    narrative: t.exposeString("narrative"),
    source: t.exposeString("source", { description: '"deterministic", "llm", or "preview" for a session in progress.' }),
  }),
});

async function summaryOf(ctx: Context, s: Loaded) {
  if (!inProgress(s) && s.summary) return s.summary;
  const { summary } = await preview(ctx, s);
  return { ...summary, source: "preview" };
}

export const UserSessionRef = builder.objectRef<Loaded>("UserSession");
builder.node(UserSessionRef, {
  id: { resolve: (s) => s.id },
  loadOne: (id, ctx) =>
    ctx.db.userSession.findFirst({ where: { id, ...rowsWhere(ctx.viewer, "userSession") }, include }),
  fields: (t) => ({
    userId: t.exposeString("userKey", {
      description: "The end user's id in the app: once an identify or alias linked the anonymous (or previous) id, the user's; else the anonymous id.",
    }),
    identified: t.exposeBoolean("identified", { description: "False while only an anonymous id is known." }),
    anonymousId: t.exposeString("anonymousId", { nullable: true, description: "The anonymous id the session was seen under before its user was known." }),
    clientSessionId: t.exposeString("clientSessionId", { nullable: true, description: "The app's own session id, when it sent one." }),
    app: t.field({ type: AnalyticsAppRef, resolve: (s, _a, ctx) => ctx.db.analyticsApp.findUniqueOrThrow({ where: { id: s.appId } }) as Promise<AnalyticsApp> }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    lastEventAt: t.expose("lastEventAt", { type: "DateTime" }),
    durationSeconds: t.exposeInt("durationSeconds"),
    rawEventCount: t.exposeInt("rawEventCount"),
    inProgress: t.boolean({ description: "Not finalised yet: events may still arrive.", resolve: inProgress }),
    isBot: t.exposeBoolean("isBot"),
    isDev: t.exposeBoolean("isDev", { description: "Sent from a development environment." }),
    isInternal: t.exposeBoolean("isInternal"),
    userAgent: t.exposeString("userAgent", { nullable: true }),
    title: t.string({
      description: "The summary's title; for a session in progress, what it is so far.",
      resolve: async (s, _a, ctx) => (await summaryOf(ctx, s)).title,
    }),
    businessEventCount: t.int({
      resolve: async (s, _a, ctx) => (inProgress(s) ? (await preview(ctx, s)).enrichment.businessEvents.length : s.businessEventCount),
    }),
    summary: t.field({ type: SummaryRef, resolve: (s, _a, ctx) => summaryOf(ctx, s) }),
    businessEvents: t.field({
      type: [BusinessEventRef],
      resolve: async (s, _a, ctx) =>
        inProgress(s) ? (await preview(ctx, s)).enrichment.businessEvents : ctx.db.sessionBusinessEvent.findMany({ where: { sessionId: s.id }, orderBy: { position: "asc" } }),
    }),
    flowOutcomes: t.field({
      type: [FlowOutcomeRef],
      resolve: async (s, _a, ctx) => {
        if (inProgress(s)) return (await preview(ctx, s)).enrichment.outcomes;
        return s.outcomes.map((o) => ({ ...o, flowName: o.flow.name }));
      },
    }),
  }),
});

/**
 * A session's business events and flow outcomes are stored when it is finalised; in progress they
 * are worked out per row shown, so filtering on them can only see finalised sessions.
 */
const FINALISED_ONLY = "Finalised sessions only: a session in progress has no final count or outcome yet.";
const byFinalFigures = (f: Filter) => f.minBusinessEvents != null || f.maxBusinessEvents != null || f.flowOutcome != null;

const FilterInput = builder.inputType("UserSessionFilter", {
  fields: (t) => ({
    appId: t.globalID({ for: AnalyticsAppRef, required: false }),
    startedFrom: t.field({ type: "DateTime", required: false }),
    startedBefore: t.field({ type: "DateTime", required: false }),
    userIdSearch: t.string({ required: false, description: "Part of the user id or of the anonymous id, ignoring case." }),
    minDurationSeconds: t.int({ required: false }),
    maxDurationSeconds: t.int({ required: false }),
    minBusinessEvents: t.int({ required: false, description: FINALISED_ONLY }),
    maxBusinessEvents: t.int({ required: false, description: FINALISED_ONLY }),
    excludeBots: t.boolean({ required: false, defaultValue: false }),
    excludeDev: t.boolean({ required: false, defaultValue: false, description: "Leaves out development environments and internal users and apps." }),
    flowOutcome: t.field({ type: OutcomeEnum, required: false, description: FINALISED_ONLY }),
  }),
});

type Filter = typeof FilterInput.$inferInput;

function checkFilter(f: Filter, first: number) {
  const problems = new Problems();
  const range = (min: number | null | undefined, max: number | null | undefined, path: string) => {
    if (min != null && min < 0) problems.add(`filter.min${path}`, "Must not be negative");
    if (max != null && min != null && max < min) problems.add(`filter.max${path}`, "Must not be below the minimum");
  };
  range(f.minDurationSeconds, f.maxDurationSeconds, "DurationSeconds");
  range(f.minBusinessEvents, f.maxBusinessEvents, "BusinessEvents");
  if (f.startedFrom && f.startedBefore && f.startedBefore <= f.startedFrom) problems.add("filter.startedBefore", "Must be after startedFrom");
  if (first < 1 || first > 100) problems.add("first", "1 to 100 per page");
  problems.throwIfAny();
}

export function sessionWhere(workspaceId: string, f: Filter): Prisma.UserSessionWhereInput {
  const search = f.userIdSearch?.trim();
  return {
    workspaceId,
    appId: f.appId?.id,
    startedAt: { gte: f.startedFrom ?? undefined, lt: f.startedBefore ?? undefined },
    ...(search ? { OR: [{ userKey: { contains: search, mode: "insensitive" } }, { anonymousId: { contains: search, mode: "insensitive" } }] } : {}),
    durationSeconds: { gte: f.minDurationSeconds ?? undefined, lte: f.maxDurationSeconds ?? undefined },
    businessEventCount: { gte: f.minBusinessEvents ?? undefined, lte: f.maxBusinessEvents ?? undefined },
    ...(f.excludeBots ? { isBot: false } : {}),
    ...(f.excludeDev ? { isDev: false, isInternal: false } : {}),
    ...(f.flowOutcome ? { flowOutcomes: { has: f.flowOutcome } } : {}),
    ...(byFinalFigures(f) ? { finalizedAt: { not: null } } : {}),
  };
}

/** Keyset cursors: the sort value and the id, so pages stay stable while sessions arrive. */
const cursorOf = (at: Date, id: string) => Buffer.from(JSON.stringify([at.getTime(), id])).toString("base64url");
/** Only what cursorOf writes: any other instant or id would reach the database as a value it refuses. */
function parseCursor(cursor: string): { at: Date; id: string } {
  try {
    const [ms, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    const at = new Date(ms);
    if (typeof ms === "number" && instantInRange(at) && typeof id === "string" && UUID.test(id)) return { at, id };
  } catch {
    /* reported below */
  }
  throw ValidationError.field("after", "Not a cursor of this list");
}

builder.queryField("userSessions", (t) =>
  t.connection({
    type: UserSessionRef,
    description: "Sessions of the workspace's apps, filtered, newest first by start or by last event.",
    authScopes: { permission: "analytics.read" },
    args: {
      filter: t.arg({ type: FilterInput, required: false }),
      sort: t.arg({ type: SortEnum, required: false, defaultValue: "STARTED_AT" }),
    },
    resolve: async (_r, args, ctx) => {
      const filter = args.filter ?? {};
      const first = args.first ?? 50;
      checkFilter(filter, first);
      if (args.last != null || args.before != null) throw ValidationError.field("last", "Page forward with first and after");
      const key = args.sort === "LAST_EVENT_AT" ? "lastEventAt" : "startedAt";
      const after = args.after ? parseCursor(args.after) : null;
      const rows = await ctx.db.userSession.findMany({
        where: {
          AND: [
            sessionWhere(ctx.viewer!.workspaceId, filter),
            after ? { OR: [{ [key]: { lt: after.at } }, { [key]: after.at, id: { lt: after.id } }] } : {},
          ],
        },
        include,
        orderBy: [{ [key]: "desc" }, { id: "desc" }],
        take: first + 1,
      });
      const page = await withPreviews(ctx, rows.slice(0, first));
      const edges = page.map((node) => ({ node, cursor: cursorOf(node[key], node.id) }));
      return {
        edges,
        pageInfo: {
          hasNextPage: rows.length > first,
          hasPreviousPage: Boolean(after),
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
);

const ChangeRef = builder.objectRef<{ changed: Loaded[]; removedIds: string[] }>("UserSessionsChange").implement({
  fields: (t) => ({
    changed: t.field({ type: [UserSessionRef], description: "Sessions that appeared or changed.", resolve: (c) => c.changed }),
    removedIds: t.idList({ description: "Sessions merged into another one.", resolve: (c) => c.removedIds }),
  }),
});

builder.subscriptionField("userSessionsChanged", (t) =>
  t.field({
    type: ChangeRef,
    description: "Sessions of the workspace as they appear, grow and are finalised, so the list updates without reloading.",
    authScopes: { permission: "analytics.read" },
    subscribe: (_r, _a, ctx) => ctx.pubsub.subscribe("userSessions", ctx.viewer!.workspaceId),
    resolve: async (change, _a, ctx) => ({
      changed: await withPreviews(
        ctx,
        await ctx.db.userSession.findMany({ where: { id: { in: change.changedIds.slice(0, 100) }, workspaceId: ctx.viewer!.workspaceId }, include }),
      ),
      removedIds: change.removedIds.map((id) => encodeGlobalID("UserSession", id)),
    }),
  }),
);
