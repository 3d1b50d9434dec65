// Finalisation: once a session has been quiet for its inactivity window, its business events, flow
// outcomes and summary are worked out and stored. The summary is made again only when its input changed.
import type { UserSession } from "../../prisma/generated/client.js";
import type { Db, Services } from "../common/context.js";
import { FINALISE } from "./ingestion.js";
import { announceUserSessions } from "./live.js";
import {
  analyticsSettings,
  flowOutcomes,
  matchBusinessEvents,
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
    db.rawEvent.findMany({
      where: { appId: { in: appIds }, sessionId: { in: sessions.map((s) => s.id) } },
      select: { sessionId: true, eventId: true, name: true, timestamp: true, properties: true },
      orderBy: [{ timestamp: "asc" }, { id: "asc" }],
    }),
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
 * One page of an app's finalised sessions of the last REENRICH_DAYS, in id order after `after`,
 * enriched with the current definitions (summaries made again only where their input changed);
 * then the next page is queued.
 */
export async function reenrichApp(services: Services, appId: string, after: string | null, now = new Date()) {
  const since = new Date(now.getTime() - REENRICH_DAYS * 86_400_000);
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
