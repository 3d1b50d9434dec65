// Sessions in progress, live: how many per app and the latest, for the User Sessions page and the
// Live board's analytics section. A product's visitors are far too many for one card each on the
// board, so this is their own view, shown to whoever reads analytics (the policy's userSession rule).
import type { AnalyticsApp } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import type { Context } from "../common/context.js";
import { rowsWhere } from "../common/policy.js";
import { inOneSnapshot } from "../common/transactions.js";
import { AnalyticsAppRef } from "./apps.js";
import { include, UserSessionRef, withPreviews, type Loaded } from "./sessions.js";

/** How many of the newest sessions in progress are listed. */
const LATEST = 10;

interface InProgress {
  total: number;
  apps: { app: AnalyticsApp; count: number }[];
  latest: Loaded[];
  serverTime: Date;
}

async function read(ctx: Context, excludeBots: boolean): Promise<InProgress> {
  const where = { ...rowsWhere(ctx.viewer, "userSession"), finalizedAt: null, ...(excludeBots ? { isBot: false } : {}) };
  // One snapshot: read apart, a session stored between the count and the list would be listed
  // without being counted.
  const [counts, apps, latest] = await inOneSnapshot(ctx.db, async (tx) => [
    await tx.userSession.groupBy({ by: ["appId"], where, _count: { _all: true } }),
    await tx.analyticsApp.findMany({ where: rowsWhere(ctx.viewer, "analyticsApp"), orderBy: { name: "asc" } }),
    await tx.userSession.findMany({ where, include, orderBy: [{ lastEventAt: "desc" }, { id: "desc" }], take: LATEST }),
  ] as const);
  const byApp = new Map(counts.map((c) => [c.appId, c._count._all]));
  return {
    total: counts.reduce((sum, c) => sum + c._count._all, 0),
    apps: apps.map((app) => ({ app, count: byApp.get(app.id) ?? 0 })),
    latest: await withPreviews(ctx, latest),
    serverTime: new Date(),
  };
}

/**
 * A burst of events reaches every wall display and open page at once: the subscribers that hear
 * the same change, and whose rules select the same rows, share one reading of it.
 */
const readings = new WeakMap<object, Map<string, Promise<InProgress>>>();

function readFor(change: object, ctx: Context, excludeBots: boolean): Promise<InProgress> {
  const key = JSON.stringify([rowsWhere(ctx.viewer, "userSession"), rowsWhere(ctx.viewer, "analyticsApp"), excludeBots]);
  const shared = readings.get(change) ?? new Map<string, Promise<InProgress>>();
  readings.set(change, shared);
  let reading = shared.get(key);
  if (!reading) {
    reading = read(ctx, excludeBots);
    shared.set(key, reading);
  }
  return reading;
}

const EXCLUDE_BOTS = { required: false, defaultValue: true, description: "Leave out sessions flagged as bots (the default)." } as const;

const AppCountRef = builder.objectRef<InProgress["apps"][number]>("AnalyticsAppInProgress").implement({
  fields: (t) => ({
    app: t.field({ type: AnalyticsAppRef, resolve: (c) => c.app }),
    count: t.exposeInt("count", { description: "Its sessions in progress." }),
  }),
});

const InProgressRef = builder.objectRef<InProgress>("UserSessionsInProgress").implement({
  description: "The workspace's user sessions not finalised yet: events may still arrive.",
  fields: (t) => ({
    total: t.exposeInt("total"),
    apps: t.field({ type: [AppCountRef], description: "Every app, by name, with its count (zero included).", resolve: (r) => r.apps }),
    latest: t.field({ type: [UserSessionRef], description: `The ${LATEST} with the most recent activity.`, resolve: (r) => r.latest }),
    serverTime: t.expose("serverTime", { type: "DateTime" }),
  }),
});

builder.queryField("userSessionsInProgress", (t) =>
  t.field({
    type: InProgressRef,
    description: "How many user sessions are in progress, per app, and the latest of them.",
    authScopes: { permission: "analytics.read" },
    args: { excludeBots: t.arg.boolean(EXCLUDE_BOTS) },
    resolve: (_r, args, ctx) => read(ctx, args.excludeBots ?? true),
  }),
);

builder.subscriptionField("userSessionsInProgressChanged", (t) =>
  t.field({
    type: InProgressRef,
    description: "The same, each time sessions appear, grow or are finalised.",
    authScopes: { permission: "analytics.read" },
    args: { excludeBots: t.arg.boolean(EXCLUDE_BOTS) },
    subscribe: (_r, _a, ctx) => ctx.pubsub.subscribe("userSessions", ctx.viewer!.workspaceId),
    resolve: (change, args, ctx) => readFor(change, ctx, args.excludeBots ?? true),
  }),
);
