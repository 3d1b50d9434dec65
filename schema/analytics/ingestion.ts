// Storing raw events and keeping session rows up to date, a batch at a time in a fixed number of
// set-based statements (no per-event round trips).
import { randomUUID } from "node:crypto";
import { Prisma } from "../../prisma/generated/client.js";
import type { Db } from "../common/context.js";
import { databaseCause, inTransaction, readRows, type Database, type RawTx } from "../common/transactions.js";
import { lockVisitors } from "../common/locks.js";
import { linkIdentities, type Visit } from "./identities.js";
import { ensurePartitions } from "./partitions.js";
import { analyticsSettings, isBotAgent, isDevEnvironment, sessionise, type AnalyticsEvent } from "./rules.js";

export const INGEST = "analytics.ingest";
export const FINALISE = "analytics.finalise";

export interface IngestingApp {
  id: string;
  workspaceId: string;
  internal: boolean;
  internalUserIds: string[];
}

/** The app whose write key hashes to this, as ingestion needs it; null for an unknown key. */
export function appOfWriteKey(db: Db, writeKeyHash: string): Promise<IngestingApp | null> {
  return db.analyticsApp.findUnique({ where: { writeKeyHash }, select: { id: true, workspaceId: true, internal: true, internalUserIds: true } });
}

export interface IngestResult {
  stored: number;
  duplicates: number;
  /** Sessions that gained events (or absorbed a bridged session). */
  changedSessionIds: string[];
  /** Sessions folded into another by a bridging event. */
  removedSessionIds: string[];
  /** Sessions that need a finalisation scheduled (new, reopened by a late event, or merged into), with their last event. */
  toSchedule: { id: string; lastEventAt: Date }[];
  gapMs: number;
  /** Identifies or aliases linked ids: their finalised sessions are to be moved under their users. */
  linked: boolean;
}

interface StoredSpan {
  id: string;
  userKey: string;
  clientSessionId: string | null;
  startedAt: Date;
  lastEventAt: Date;
  finalizedAt: Date | null;
}

/** What the batch writes for one session: its events' bounds and flags, and the columns of a new row. */
interface SessionWrite {
  id: string;
  userKey: string;
  identified: boolean;
  anonymousId: string | null;
  clientSessionId: string | null;
  startedAt: Date;
  lastEventAt: Date;
  isBot: boolean;
  isDev: boolean;
  isInternal: boolean;
  userAgent: string | null;
}

/** One visitor's batches are sessionised one at a time. */
function lockUsers(tx: RawTx, appId: string, events: Visit[]) {
  return lockVisitors(tx, appId, events.map((e) => e.visitor), events.flatMap((e) => (e.clientSessionId ? [e.clientSessionId] : [])));
}

async function unseen(tx: RawTx, appId: string, events: Visit[]) {
  // One index probe per event id (OFFSET 0 keeps the probe a subquery): the planner, on a table that
  // grows faster than it is analysed, otherwise reads the app's stored events.
  const seen = await tx.$queryRaw<{ eventId: string }[]>`
    SELECT e.id AS "eventId" FROM unnest(${events.map((e) => e.eventId)}::text[]) AS e(id)
    WHERE EXISTS (SELECT FROM "AnalyticsEventId" r WHERE r."appId" = ${appId}::uuid AND r."eventId" = e.id OFFSET 0)`;
  const known = new Set(seen.map((r) => r.eventId));
  return events.filter((e) => !known.has(e.eventId));
}

/** The stored sessions the batch's events could join: within the gap of each visitor's events, or named by the app. */
async function storedSessions(tx: RawTx, appId: string, events: Visit[], gapMs: number): Promise<StoredSpan[]> {
  const windows = new Map<string, { from: number; to: number }>();
  for (const e of events.filter((e) => !e.clientSessionId)) {
    const w = windows.get(e.visitor) ?? { from: +e.timestamp, to: +e.timestamp };
    windows.set(e.visitor, { from: Math.min(w.from, +e.timestamp), to: Math.max(w.to, +e.timestamp) });
  }
  const keys = [...windows.keys()];
  const clientIds = [...new Set(events.map((e) => e.clientSessionId).filter((c): c is string => c !== null))];
  // One index probe per user (OFFSET 0 keeps it per user): without fresh statistics the planner
  // would otherwise compare every session of the app with every window.
  return tx.$queryRaw<StoredSpan[]>`
    SELECT s.id, s."userKey", s."clientSessionId", s."startedAt", s."lastEventAt", s."finalizedAt"
    FROM unnest(${keys}::text[], ${keys.map((k) => new Date(windows.get(k)!.from - gapMs).toISOString())}::timestamptz[],
                ${keys.map((k) => new Date(windows.get(k)!.to + gapMs).toISOString())}::timestamptz[]) AS w(k, f, t)
    CROSS JOIN LATERAL (
      SELECT * FROM "UserSession" s
      WHERE s."appId" = ${appId}::uuid AND s."userKey" = w.k AND s."lastEventAt" >= w.f AND s."startedAt" <= w.t AND s."clientSessionId" IS NULL
      OFFSET 0) s
    UNION ALL
    SELECT s.id, s."userKey", s."clientSessionId", s."startedAt", s."lastEventAt", s."finalizedAt"
    FROM "UserSession" s WHERE s."appId" = ${appId}::uuid AND s."clientSessionId" = ANY(${clientIds}::text[])`;
}

/** Decides each event's session and what each touched session becomes. */
function plan(app: IngestingApp, events: Visit[], stored: StoredSpan[], gapMs: number) {
  const sessionOf: string[] = new Array(events.length);
  const byUser = new Map<string, number[]>();
  const byClientId = new Map(stored.filter((s) => s.clientSessionId).map((s) => [s.clientSessionId!, s.id]));
  events.forEach((e, i) => {
    if (e.clientSessionId) {
      // The app's own session id is honoured as it is: never split by inactivity, never merged.
      if (!byClientId.has(e.clientSessionId)) byClientId.set(e.clientSessionId, randomUUID());
      sessionOf[i] = byClientId.get(e.clientSessionId)!;
    } else {
      const indexes = byUser.get(e.visitor);
      if (indexes) indexes.push(i);
      else byUser.set(e.visitor, [i]);
    }
  });
  const merged: { goneId: string; intoId: string }[] = [];
  for (const [userKey, indexes] of byUser) {
    const spans = stored.filter((s) => s.userKey === userKey && !s.clientSessionId).map((s) => ({ ...s, stored: true }));
    const result = sessionise(spans, indexes.map((i) => events[i].timestamp), gapMs, randomUUID);
    indexes.forEach((eventIndex, k) => (sessionOf[eventIndex] = result.sessionOf[k]));
    merged.push(...result.merged);
  }
  const writes = new Map<string, SessionWrite>();
  const bots = new Map<string, boolean>();
  const bot = (ua: string | null) => (ua === null ? false : (bots.get(ua) ?? bots.set(ua, isBotAgent(ua)).get(ua)!));
  events.forEach((e, i) => {
    const id = sessionOf[i];
    const w = writes.get(id);
    const flags = { isBot: bot(e.userAgent), isDev: isDevEnvironment(e.environment), isInternal: app.internal || app.internalUserIds.includes(e.visitor) };
    const identified = e.identified || e.visitor !== e.userKey;
    if (!w) {
      writes.set(id, { id, userKey: e.visitor, identified, anonymousId: e.anonymousId, clientSessionId: e.clientSessionId, startedAt: e.timestamp, lastEventAt: e.timestamp, userAgent: e.userAgent, ...flags });
      return;
    }
    if (e.timestamp < w.startedAt) w.startedAt = e.timestamp;
    if (e.timestamp > w.lastEventAt) w.lastEventAt = e.timestamp;
    w.identified ||= identified;
    w.anonymousId ??= e.anonymousId;
    w.isBot ||= flags.isBot;
    w.isDev ||= flags.isDev;
    w.isInternal ||= flags.isInternal;
    w.userAgent ??= e.userAgent;
  });
  // A survivor of a merge spans what it absorbed too.
  for (const m of merged) {
    const gone = stored.find((s) => s.id === m.goneId)!;
    const into = writes.get(m.intoId)!;
    if (gone.startedAt < into.startedAt) into.startedAt = gone.startedAt;
    if (gone.lastEventAt > into.lastEventAt) into.lastEventAt = gone.lastEventAt;
  }
  return { sessionOf, writes: [...writes.values()], merged };
}

/** Folds bridged sessions into their survivors: events, counts and flags move, the rest goes. */
export async function applyMerges(tx: RawTx, appId: string, merged: { goneId: string; intoId: string }[]) {
  if (!merged.length) return;
  const gone = merged.map((m) => m.goneId);
  const into = merged.map((m) => m.intoId);
  await tx.$executeRaw`
    UPDATE "RawEvent" r SET "sessionId" = m.i FROM unnest(${gone}::uuid[], ${into}::uuid[]) AS m(g, i)
    WHERE r."appId" = ${appId}::uuid AND r."sessionId" = m.g`;
  await tx.$executeRaw`
    UPDATE "UserSession" s SET
      "rawEventCount" = s."rawEventCount" + a.n, "isBot" = s."isBot" OR a.bot, "isDev" = s."isDev" OR a.dev,
      "isInternal" = s."isInternal" OR a.internal, "identified" = s."identified" OR a.identified,
      "anonymousId" = coalesce(s."anonymousId", a.anonymous), "finalizedAt" = NULL
    FROM (SELECT m.i, sum(g."rawEventCount")::int AS n, bool_or(g."isBot") AS bot, bool_or(g."isDev") AS dev,
                 bool_or(g."isInternal") AS internal, bool_or(g."identified") AS identified, min(g."anonymousId") AS anonymous
          FROM unnest(${gone}::uuid[], ${into}::uuid[]) AS m(g, i) JOIN "UserSession" g ON g.id = m.g GROUP BY m.i) a
    WHERE s.id = a.i`;
  await tx.$executeRaw`DELETE FROM "UserSession" WHERE id = ANY(${gone}::uuid[])`;
}

/**
 * Stores the events and upserts their sessions in one statement: an event is new when its id is
 * (AnalyticsEventId's key, whatever month the event falls in), counts come from the rows actually
 * inserted (a concurrent duplicate adds nothing), bounds and flags only ever grow. Assuming the
 * events unseen, a stored one fails the statement instead (a plain insert is cheaper).
 */
async function insertEvents(tx: RawTx, app: IngestingApp, events: AnalyticsEvent[], sessionOf: string[], writes: SessionWrite[], assumeUnseen: boolean) {
  const col = <T>(f: (w: SessionWrite) => T) => writes.map(f);
  const iso = (d: Date) => d.toISOString();
  // The events travel as one jsonb document, made by JSON.stringify and parsed once by PostgreSQL:
  // as eleven arrays, each element was escaped in JavaScript twice (by Prisma and by pg).
  const batch = JSON.stringify(events.map((e, i) => ({
    i: e.eventId, u: e.userKey, d: e.identified, c: e.clientSessionId, n: e.name, t: e.timestamp,
    p: e.properties, a: e.userAgent, v: e.environment, x: e.clampedTimestamp, s: sessionOf[i],
  })));
  const rows = await tx.$queryRaw<{ stored: number }[]>`
    WITH batch AS (
      SELECT * FROM jsonb_to_recordset(${batch}::jsonb) AS e(i text, u text, d bool, c text, n text, t timestamptz, p jsonb, a text, v text, x bool, s uuid)
    ), new_ids AS (
      INSERT INTO "AnalyticsEventId" ("appId", "eventId") SELECT ${app.id}::uuid, i FROM batch
      ${assumeUnseen ? Prisma.empty : Prisma.sql`ON CONFLICT ("appId", "eventId") DO NOTHING`}
      RETURNING "eventId"
    ), inserted AS (
      INSERT INTO "RawEvent" ("appId", "eventId", "userKey", "identified", "clientSessionId", "name", "timestamp", "properties",
                              "userAgent", "environment", "clampedTimestamp", "sessionId")
      SELECT ${app.id}::uuid, e.i, e.u, e.d, e.c, e.n, e.t, e.p, e.a, e.v, e.x, e.s
      FROM batch e JOIN new_ids ON new_ids."eventId" = e.i
      RETURNING "sessionId"
    ), counts AS (
      SELECT "sessionId" AS id, count(*)::int AS n FROM inserted GROUP BY 1
    ), upserted AS (
      INSERT INTO "UserSession" ("id", "workspaceId", "appId", "userKey", "identified", "anonymousId", "clientSessionId", "startedAt", "lastEventAt",
                                 "durationSeconds", "rawEventCount", "isBot", "isDev", "isInternal", "userAgent", "flowOutcomes")
      SELECT w.id, ${app.workspaceId}::uuid, ${app.id}::uuid, w.u, w.ident, w.anon, w.cs, w.f, w.l,
             floor(extract(epoch FROM w.l - w.f))::int, coalesce(c.n, 0), w.bot, w.dev, w.internal, w.ua, '{}'
      FROM unnest(${col((w) => w.id)}::uuid[], ${col((w) => w.userKey)}::text[], ${col((w) => w.identified)}::bool[], ${col((w) => w.anonymousId)}::text[],
                  ${col((w) => w.clientSessionId)}::text[], ${col((w) => iso(w.startedAt))}::timestamptz[], ${col((w) => iso(w.lastEventAt))}::timestamptz[],
                  ${col((w) => w.isBot)}::bool[], ${col((w) => w.isDev)}::bool[], ${col((w) => w.isInternal)}::bool[], ${col((w) => w.userAgent)}::text[])
        AS w(id, u, ident, anon, cs, f, l, bot, dev, internal, ua)
      LEFT JOIN counts c ON c.id = w.id
      ON CONFLICT ("id") DO UPDATE SET
        "startedAt" = least("UserSession"."startedAt", excluded."startedAt"),
        "lastEventAt" = greatest("UserSession"."lastEventAt", excluded."lastEventAt"),
        "durationSeconds" = floor(extract(epoch FROM greatest("UserSession"."lastEventAt", excluded."lastEventAt") - least("UserSession"."startedAt", excluded."startedAt")))::int,
        "rawEventCount" = "UserSession"."rawEventCount" + excluded."rawEventCount",
        "identified" = "UserSession"."identified" OR excluded."identified",
        "anonymousId" = coalesce("UserSession"."anonymousId", excluded."anonymousId"),
        "isBot" = "UserSession"."isBot" OR excluded."isBot",
        "isDev" = "UserSession"."isDev" OR excluded."isDev",
        "isInternal" = "UserSession"."isInternal" OR excluded."isInternal",
        "userAgent" = coalesce("UserSession"."userAgent", excluded."userAgent"),
        "finalizedAt" = NULL,
        "updatedAt" = now()
      RETURNING id
    )
    SELECT (SELECT count(*)::int FROM inserted) AS stored, (SELECT count(*)::int FROM upserted) AS sessions`;
  return rows[0].stored;
}

/** Thrown inside a transaction that assumed none of its events were stored yet and found some were: it is rolled back. */
class SeenBefore extends Error {}

/** The key of event ids refused a row. */
function storedBefore(error: unknown) {
  const cause = databaseCause(error);
  return cause.code === "23505" && cause.constraint === "AnalyticsEventId_pkey";
}

/** An event fell in a month with no partition (the partition job has not run since, or dropped it). */
function noPartition(error: unknown) {
  const cause = databaseCause(error);
  return cause.code === "23514" && /no partition of relation/.test(String(cause.message));
}

/** Stores a validated batch of one app's events: idempotent by event id, each in its session. */
export async function ingestEvents(services: Database, app: IngestingApp, events: AnalyticsEvent[]): Promise<IngestResult> {
  // A batch queued just before its app was deleted has nowhere to go: it is dropped. One statement on
  // the pool rather than Prisma's findUnique, whose own work was 8% of a draining worker's profile.
  const [current] = await readRows<{ settings: unknown }>(
    services,
    Prisma.sql`SELECT w.settings FROM "AnalyticsApp" a JOIN "Workspace" w ON w.id = a."workspaceId" WHERE a.id = ${app.id}::uuid`,
  );
  const gapMs = analyticsSettings(current?.settings).inactivityMinutes * 60_000;
  if (!events.length || !current) return unchanged(events, gapMs);
  try {
    return await storeOnce(services, app, events, gapMs);
  } catch (error) {
    if (!noPartition(error)) throw error;
  }
  // Ingestion never fails for lack of a month: it makes the batch's months and stores it again.
  await ensurePartitions(services.db, events.map((e) => e.timestamp));
  return storeOnce(services, app, events, gapMs);
}

async function storeOnce(services: Database, app: IngestingApp, events: AnalyticsEvent[], gapMs: number): Promise<IngestResult> {
  // Nearly every batch is new, so it is first stored without looking its events up (the insert checks
  // each event id anyway). Only when some proved stored already (a retry) is it stored again without them.
  try {
    return await inTransaction(services, (tx) => storeBatch(tx, app, events, gapMs, true));
  } catch (error) {
    if (!(error instanceof SeenBefore)) throw error;
  }
  return inTransaction(services, (tx) => storeBatch(tx, app, events, gapMs, false));
}

function unchanged(events: AnalyticsEvent[], gapMs: number, changedSessionIds: string[] = [], linked = false): IngestResult {
  return { stored: 0, duplicates: events.length, changedSessionIds, removedSessionIds: [], toSchedule: [], gapMs, linked };
}

async function storeBatch(tx: RawTx, app: IngestingApp, events: AnalyticsEvent[], gapMs: number, assumeUnseen: boolean): Promise<IngestResult> {
  const { visits, relabelled, linked } = await linkIdentities(tx, app.id, events);
  await lockUsers(tx, app.id, visits);
  const fresh = assumeUnseen ? visits : await unseen(tx, app.id, visits);
  if (!fresh.length) return unchanged(events, gapMs, relabelled, linked);
  const stored = await storedSessions(tx, app.id, fresh, gapMs);
  const { sessionOf, writes, merged } = plan(app, fresh, stored, gapMs);
  await applyMerges(tx, app.id, merged);
  // Sessions were planned with every event in them: wrong if any was stored before.
  const count = await insertEvents(tx, app, fresh, sessionOf, writes, assumeUnseen).catch((error) => {
    throw assumeUnseen && storedBefore(error) ? new SeenBefore() : error;
  });
  const known = new Map(stored.map((s) => [s.id, s]));
  const mergedInto = new Set(merged.map((m) => m.intoId));
  return {
    stored: count,
    duplicates: events.length - count,
    changedSessionIds: [...new Set([...relabelled, ...writes.map((w) => w.id)])],
    removedSessionIds: merged.map((m) => m.goneId),
    toSchedule: writes
      .filter((w) => !known.has(w.id) || known.get(w.id)!.finalizedAt || mergedInto.has(w.id))
      .map((w) => ({ id: w.id, lastEventAt: new Date(Math.max(+w.lastEventAt, +(known.get(w.id)?.lastEventAt ?? 0))) })),
    gapMs,
    linked,
  };
}
