// Finalisation: once a session has been quiet for its inactivity window, its business events, flow
// outcomes and summary are worked out and stored. The summary is made again only when its input changed.
import { Prisma, type UserSession } from "../../prisma/generated/client.js";
import type { Db, Services, Tx } from "../common/context.js";
import { lockIdentities, lockVisitors } from "../common/locks.js";
import { moveSessions } from "./identities.js";
import { applyMerges, FINALISE } from "./ingestion.js";
import { announceUserSessions } from "./live.js";
import {
  analyticsSettings,
  flowOutcomes,
  matchBusinessEvents,
  mergeTouching,
  retentionCutoff,
  summaryInputHash,
  type BusinessEvent,
  type BusinessEventRule,
  type Condition,
  type FlowResult,
  type SummaryInput,
} from "./rules.js";
import { summarise } from "./summariser.js";

export interface Enrichment {
  businessEvents: BusinessEvent[];
  outcomes: FlowResult[];
  input: SummaryInput;
}

/**
 * The business events and flow outcomes of sessions from their raw events and their apps'
 * definitions: three queries however many sessions (a page of the list, a live change).
 */
export async function enrichAll(db: Db, sessions: UserSession[]): Promise<Map<string, Enrichment>> {
  const appIds = [...new Set(sessions.map((s) => s.appId))];
  const order = [{ createdAt: "asc" as const }, { name: "asc" as const }];
  const [raw, definitions, flows] = await Promise.all([
    rawEventsOf(db, sessions),
    db.businessEventDefinition.findMany({ where: { appId: { in: appIds } }, orderBy: order }),
    db.flowDefinition.findMany({ where: { appId: { in: appIds } }, orderBy: order }),
  ]);
  const result = new Map<string, Enrichment>();
  for (const session of sessions) {
    const rules: BusinessEventRule[] = definitions.filter((d) => d.appId === session.appId).map((d) => ({ ...d, conditions: d.conditions as unknown as Condition[] }));
    const events = raw.filter((r) => r.sessionId === session.id).map((r) => ({ ...r, properties: r.properties as Record<string, unknown> }));
    const businessEvents = matchBusinessEvents(events, rules);
    const outcomes = flowOutcomes(businessEvents, flows.filter((f) => f.appId === session.appId));
    result.set(session.id, { businessEvents, outcomes, input: { durationSeconds: session.durationSeconds, rawEventCount: session.rawEventCount, businessEvents, outcomes } });
  }
  return result;
}

type SessionSpan = Pick<UserSession, "id" | "appId" | "startedAt" | "lastEventAt">;

/**
 * The raw events of these sessions, oldest first. A session spans its events (merges widen the
 * survivor), so the sessions' span bounds the read to the partitions of those months instead of
 * probing every month's index.
 */
export async function rawEventsOf(db: Db, sessions: SessionSpan[]) {
  if (!sessions.length) return [];
  const from = new Date(Math.min(...sessions.map((s) => +s.startedAt)));
  const to = new Date(Math.max(...sessions.map((s) => +s.lastEventAt)));
  return db.rawEvent.findMany({
    where: { appId: { in: [...new Set(sessions.map((s) => s.appId))] }, sessionId: { in: sessions.map((s) => s.id) }, timestamp: { gte: from, lte: to } },
    select: { sessionId: true, eventId: true, name: true, timestamp: true, properties: true },
    orderBy: [{ timestamp: "asc" }, { id: "asc" }],
  });
}

export async function enrich(db: Db, session: UserSession): Promise<Enrichment> {
  return (await enrichAll(db, [session])).get(session.id)!;
}

async function inactivityMs(db: Db, workspaceId: string) {
  const workspace = await db.workspace.findUniqueOrThrow({ where: { id: workspaceId }, select: { settings: true } });
  return analyticsSettings(workspace.settings).inactivityMinutes * 60_000;
}

/** Schedules a session's finalisation for when its inactivity window has passed. */
export async function scheduleFinalise(services: Services, sessionId: string, lastEventAt: Date, gapMs: number) {
  const delay = Math.max(0, lastEventAt.getTime() + gapMs - Date.now()) + 1000;
  await services.jobs.enqueue(FINALISE, { sessionId }, { delay, dedupeKey: `analytics-finalise:${sessionId}` });
}

export type FinaliseResult = "finalised" | "unchanged" | "not-quiet" | "missing";

/**
 * Works out and stores a session's business events, outcomes and summary, compare-and-set on its
 * last event, count and finalisation: an event that landed meanwhile makes this store nothing
 * ("not-quiet"). A session already finalised keeps its finalisation time (re-enrichment).
 */
export async function storeEnrichment(db: Db, session: UserSession, now: Date, enrichment?: Enrichment): Promise<FinaliseResult> {
  const sessionId = session.id;
  const { businessEvents, outcomes, input } = enrichment ?? (await enrich(db, session));
  const inputHash = summaryInputHash(input);
  const previous = await db.sessionSummary.findUnique({ where: { sessionId }, select: { inputHash: true } });
  const changed = previous?.inputHash !== inputHash;
  const summary = changed ? await summarise(input) : null;
  const done = await db.$transaction(async (tx) => {
    const { count } = await tx.userSession.updateMany({
      where: { id: sessionId, finalizedAt: session.finalizedAt, lastEventAt: session.lastEventAt, rawEventCount: session.rawEventCount },
      data: {
        finalizedAt: session.finalizedAt ?? now,
        businessEventCount: businessEvents.length,
        errorCount: businessEvents.filter((e) => e.isError).length,
        flowOutcomes: [...new Set(outcomes.map((o) => o.outcome))],
      },
    });
    if (!count || !summary) return count > 0;
    await tx.sessionBusinessEvent.deleteMany({ where: { sessionId } });
    await tx.sessionBusinessEvent.createMany({
      data: businessEvents.map((e, i) => ({
        sessionId,
        position: e.position,
        name: e.name,
        description: summary.eventDescriptions[i] ?? e.description,
        parameters: e.parameters as object,
        isError: e.isError,
        occurredAt: e.occurredAt,
        rawEventId: e.rawEventId,
      })),
    });
    await tx.flowOutcome.deleteMany({ where: { sessionId } });
    await tx.flowOutcome.createMany({
      data: outcomes.map((o) => ({ sessionId, flowId: o.flowId, outcome: o.outcome, lastStep: o.lastStep, mistakeCount: o.mistakeCount, startedAt: o.startedAt, endedAt: o.endedAt })),
    });
    const fields = { source: summary.source, inputHash, title: summary.title, tldr: summary.tldr, narrative: summary.narrative };
    await tx.sessionSummary.upsert({ where: { sessionId }, create: { sessionId, ...fields }, update: { ...fields, createdAt: now } });
    return true;
  });
  if (!done) return "not-quiet";
  return changed ? "finalised" : "unchanged";
}

/**
 * Finalises a quiet session. Runs early (a new event pushed the window back) reschedule themselves,
 * as does a run that lost the race against a newly landed event.
 */
export async function finaliseSession(services: Services, sessionId: string, now = new Date()): Promise<FinaliseResult> {
  const { db } = services;
  const session = await db.userSession.findUnique({ where: { id: sessionId } });
  if (!session || session.finalizedAt) return "missing";
  const gapMs = await inactivityMs(db, session.workspaceId);
  if (session.lastEventAt.getTime() + gapMs > now.getTime()) {
    await scheduleFinalise(services, session.id, session.lastEventAt, gapMs);
    return "not-quiet";
  }
  const result = await storeEnrichment(db, session, now);
  if (result === "not-quiet") {
    const fresh = await db.userSession.findUnique({ where: { id: sessionId } });
    if (fresh && !fresh.finalizedAt) await scheduleFinalise(services, sessionId, fresh.lastEventAt, gapMs);
    return result;
  }
  announceUserSessions(services, session.workspaceId, [sessionId], []);
  return result;
}

/** The safety net: sessions past their workspace's inactivity window whose finalisation was lost. */
export async function sweepQuietSessions(services: Services, now = new Date()) {
  const { db } = services;
  const workspaces = await db.workspace.findMany({ where: { userSessions: { some: { finalizedAt: null } } }, select: { id: true, settings: true } });
  const results: FinaliseResult[] = [];
  for (const w of workspaces) {
    const cutoff = new Date(now.getTime() - analyticsSettings(w.settings).inactivityMinutes * 60_000);
    const quiet = await db.userSession.findMany({
      where: { workspaceId: w.id, finalizedAt: null, lastEventAt: { lt: cutoff } },
      select: { id: true },
      orderBy: { lastEventAt: "asc" },
      take: 1000,
    });
    for (const { id } of quiet) results.push(await finaliseSession(services, id, now));
  }
  return results;
}

export const REENRICH = "analytics.reenrich";
const REENRICH_PAGE = 200;
/** How far back a change of definitions reaches: the sessions a team still looks at. */
const REENRICH_DAYS = 30;

/**
 * After an app's business-event or flow definitions change, its recent finalised sessions are
 * worked out again. Several edits in a row make one run; an edit during a run starts another.
 */
export async function scheduleReenrich(services: Services, appId: string) {
  await services.jobs.enqueue(REENRICH, { appId, after: null }, { delay: 5000, dedupeKey: `analytics-reenrich:${appId}` });
}

/**
 * Sessions that started before the app's retention cutoff may have lost raw events: they keep what
 * they were finalised with rather than being worked out again from what is left.
 */
async function reenrichSince(db: Db, appId: string, now: Date) {
  const app = await db.analyticsApp.findUnique({ where: { id: appId }, select: { retentionMonths: true } });
  const since = new Date(now.getTime() - REENRICH_DAYS * 86_400_000);
  const cutoff = app?.retentionMonths ? retentionCutoff(now, app.retentionMonths) : since;
  return cutoff > since ? cutoff : since;
}

/**
 * One page of an app's finalised sessions of the last REENRICH_DAYS, in id order after `after`,
 * enriched with the current definitions (summaries made again only where their input changed);
 * then the next page is queued.
 */
export async function reenrichApp(services: Services, appId: string, after: string | null, now = new Date()) {
  const since = await reenrichSince(services.db, appId, now);
  const page = await services.db.userSession.findMany({
    where: { appId, finalizedAt: { not: null }, startedAt: { gte: since }, ...(after ? { id: { gt: after } } : {}) },
    orderBy: { id: "asc" },
    take: REENRICH_PAGE,
  });
  // The whole page's raw events and definitions in three queries, not three per session.
  const enrichments = await enrichAll(services.db, page);
  const changed: UserSession[] = [];
  for (const session of page) {
    if ((await storeEnrichment(services.db, session, now, enrichments.get(session.id))) === "finalised") changed.push(session);
  }
  if (changed.length) announceUserSessions(services, changed[0].workspaceId, changed.map((s) => s.id), []);
  if (page.length === REENRICH_PAGE) await services.jobs.enqueue(REENRICH, { appId, after: page.at(-1)!.id }, { dedupeKey: `analytics-reenrich:${appId}` });
  return changed.length;
}

/** Late identifies and aliases: their ids' finalised sessions are moved by the re-enrichment job, a page at a time. */
export async function scheduleRelink(services: Services, appId: string) {
  await services.jobs.enqueue(REENRICH, { appId, after: null, relink: true }, { delay: 1000, dedupeKey: `analytics-relink:${appId}` });
}

/**
 * Moves a page of the app's finalised sessions still under a linked id (an identify or alias that
 * arrived after they were finalised) under their user, and merges each with the user's sessions it
 * now touches (a visit that spanned the sign-in): the survivors are finalised again, with all their
 * events. Sessions in progress were moved when the link was stored. Idempotent: once moved, no
 * session is under a linked id any more, so a second run finds nothing. Returns how many were moved.
 */
export async function relinkSessions(services: Services, appId: string) {
  const { db } = services;
  const app = await db.analyticsApp.findUnique({ where: { id: appId }, select: { workspaceId: true } });
  if (!app) return 0;
  const gapMs = await inactivityMs(db, app.workspaceId);
  const { moved, merged, survivors } = await db.$transaction(async (tx) => {
    await lockIdentities(tx, appId, false);
    const page = await tx.$queryRaw<{ id: string; fromId: string; toId: string }[]>`
      SELECT s.id, l."fromId", l."toId" FROM "IdentityLink" l
      JOIN "UserSession" s ON s."appId" = l."appId" AND s."userKey" = l."fromId"
      WHERE l."appId" = ${appId}::uuid LIMIT ${REENRICH_PAGE}`;
    if (!page.length) return { moved: [], merged: [], survivors: [] };
    await lockVisitors(tx, appId, page.flatMap((p) => [p.fromId, p.toId]), []);
    const links = [...new Map(page.map((p) => [p.fromId, { fromId: p.fromId, toId: p.toId }])).values()];
    const moved = await moveSessions(tx, appId, links, Prisma.sql`s.id = ANY(${page.map((p) => p.id)}::uuid[])`);
    const { merged, survivors } = await mergeMoved(tx, appId, moved, gapMs);
    return { moved, merged, survivors };
  });
  await Promise.all(survivors.map((s) => scheduleFinalise(services, s.id, s.lastEventAt, gapMs)));
  const removed = new Set(merged.map((m) => m.goneId));
  announceUserSessions(services, app.workspaceId, [...new Set([...moved.map((s) => s.id), ...survivors.map((s) => s.id)])].filter((id) => !removed.has(id)), [...removed]);
  if (moved.length === REENRICH_PAGE) await scheduleRelink(services, appId);
  return moved.length;
}

/** The moved sessions' users' sessions (without a client session id) near them, merged where they touch. */
async function mergeMoved(tx: Tx, appId: string, moved: { userKey: string; startedAt: Date; lastEventAt: Date }[], gapMs: number) {
  const near = await tx.$queryRaw<{ id: string; userKey: string; startedAt: Date; lastEventAt: Date }[]>`
    SELECT s.id, s."userKey", s."startedAt", s."lastEventAt" FROM "UserSession" s
    JOIN unnest(${moved.map((m) => m.userKey)}::text[], ${moved.map((m) => new Date(+m.startedAt - gapMs).toISOString())}::timestamptz[],
                ${moved.map((m) => new Date(+m.lastEventAt + gapMs).toISOString())}::timestamptz[]) AS w(k, f, t)
      ON s."userKey" = w.k AND s."lastEventAt" >= w.f AND s."startedAt" <= w.t
    WHERE s."appId" = ${appId}::uuid AND s."clientSessionId" IS NULL`;
  const byUser = new Map<string, typeof near>();
  for (const s of new Map(near.map((s) => [s.id, s])).values()) byUser.set(s.userKey, [...(byUser.get(s.userKey) ?? []), s]);
  const plans = [...byUser.values()].map((spans) => mergeTouching(spans.map((s) => ({ ...s, stored: true })), gapMs));
  const merged = plans.flatMap((p) => p.merged);
  const intoIds = new Set(merged.map((m) => m.intoId));
  const survivors = plans.flatMap((p) => p.sessions).filter((s) => intoIds.has(s.id));
  await applyMerges(tx, appId, merged);
  if (survivors.length)
    await tx.$executeRaw`
      UPDATE "UserSession" s SET "startedAt" = b.f, "lastEventAt" = b.l, "durationSeconds" = floor(extract(epoch FROM b.l - b.f))::int, "updatedAt" = now()
      FROM unnest(${survivors.map((s) => s.id)}::uuid[], ${survivors.map((s) => s.startedAt.toISOString())}::timestamptz[],
                  ${survivors.map((s) => s.lastEventAt.toISOString())}::timestamptz[]) AS b(id, f, l)
      WHERE s.id = b.id`;
  return { merged, survivors };
}
