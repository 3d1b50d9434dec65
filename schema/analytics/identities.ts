// Identity stitching: an anonymous visitor who signs up keeps their history. Identifies and aliases
// link an id to a user id (stored per app, the first link of an id wins), and every batch reads its
// events' visitors through the links, so sessions of either id are one visitor's.
import { Prisma } from "../../prisma/generated/client.js";
import type { RawTx } from "../common/transactions.js";
import { lockIdentities } from "../common/locks.js";
import { addLinks, type AnalyticsEvent, type LinkRequest } from "./rules.js";

/** An event with the visitor it belongs to: its user id, or the user its anonymous (or previous) id is linked to. */
export type Visit = AnalyticsEvent & {
  visitor: string;
  /** The anonymous id it shows under its user, if any. */
  anonymousId: string | null;
};

/**
 * An event with its visitor. Its fields are named one by one rather than copied with an object
 * spread (`{ ...e, visitor }`): measured with the ingestion bench, the worker drained about a sixth
 * more events a second so (the spread's closure alone was 7% of its profile).
 */
const visit = (e: AnalyticsEvent, visitor: string, anonymousId: string | null): Visit => ({
  eventId: e.eventId,
  userKey: e.userKey,
  identified: e.identified,
  clientSessionId: e.clientSessionId,
  name: e.name,
  timestamp: e.timestamp,
  properties: e.properties,
  userAgent: e.userAgent,
  environment: e.environment,
  clampedTimestamp: e.clampedTimestamp,
  link: e.link,
  visitor,
  anonymousId,
});

/** Whether any of these ids is not linked yet (only then does a batch need the app's links alone). */
async function anyUnlinked(tx: RawTx, appId: string, fromIds: string[]) {
  const linked = await tx.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "IdentityLink" WHERE "appId" = ${appId}::uuid AND "fromId" = ANY(${fromIds}::text[])`;
  return linked[0].n < new Set(fromIds).size;
}

/** The stored links from the ids, and (for merges) to the ids a batch links. */
async function storedLinks(tx: RawTx, appId: string, ids: string[], linking: string[]) {
  const rows = await tx.$queryRaw<{ fromId: string; toId: string }[]>`
    SELECT "fromId", "toId" FROM "IdentityLink"
    WHERE "appId" = ${appId}::uuid AND ("fromId" = ANY(${ids}::text[]) OR "toId" = ANY(${linking}::text[]))`;
  return new Map(rows.map((r) => [r.fromId, r.toId]));
}

/** Stores new links (a concurrent twin adds nothing: the key is the app and the linked id) and moves merged ones on. */
async function storeLinks(tx: RawTx, appId: string, created: (LinkRequest & { eventId: string })[], moved: LinkRequest[]) {
  if (created.length)
    await tx.$executeRaw`
      INSERT INTO "IdentityLink" ("appId", "fromId", "toId", "eventId")
      SELECT ${appId}::uuid, l.f, l.t, l.e FROM unnest(${created.map((l) => l.fromId)}::text[], ${created.map((l) => l.toId)}::text[], ${created.map((l) => l.eventId)}::text[]) AS l(f, t, e)
      ON CONFLICT DO NOTHING`;
  if (moved.length)
    await tx.$executeRaw`
      UPDATE "IdentityLink" l SET "toId" = m.t FROM unnest(${moved.map((l) => l.fromId)}::text[], ${moved.map((l) => l.toId)}::text[]) AS m(f, t)
      WHERE l."appId" = ${appId}::uuid AND l."fromId" = m.f`;
}

/** Moves the sessions of linked ids (those `which` picks) under their users, keeping the anonymous id they were seen under. */
export async function moveSessions(tx: RawTx, appId: string, links: LinkRequest[], which: Prisma.Sql) {
  if (!links.length) return [];
  return tx.$queryRaw<{ id: string; userKey: string; startedAt: Date; lastEventAt: Date }[]>`
    UPDATE "UserSession" s SET "userKey" = l.t, "identified" = true, "updatedAt" = now(),
      "anonymousId" = coalesce(s."anonymousId", CASE WHEN s."identified" THEN NULL ELSE s."userKey" END)
    FROM unnest(${links.map((l) => l.fromId)}::text[], ${links.map((l) => l.toId)}::text[]) AS l(f, t)
    WHERE s."appId" = ${appId}::uuid AND s."userKey" = l.f AND ${which}
    RETURNING s.id, s."userKey", s."startedAt", s."lastEventAt"`;
}

/**
 * Takes the app's identity lock (alone when the batch may add links), stores the links the batch's
 * identifies and aliases ask for, and says whose visit each event is. Returns the sessions moved
 * under their user and whether any link was added.
 */
export async function linkIdentities(tx: RawTx, appId: string, events: AnalyticsEvent[]) {
  const asking = events.filter((e) => e.link).sort((a, b) => +a.timestamp - +b.timestamp);
  const requests = asking.map((e) => e.link!);
  const linking = requests.map((r) => r.fromId);
  await lockIdentities(tx, appId, requests.length > 0 && (await anyUnlinked(tx, appId, linking)));
  const ids = [...new Set([...events.map((e) => e.userKey), ...requests.flatMap((r) => [r.fromId, r.toId])])];
  const stored = await storedLinks(tx, appId, ids, linking);
  const { links, created, moved } = addLinks(stored, requests);
  // The event that made a link: the first that asked for it.
  const eventOf = new Map(asking.toReversed().map((e) => [e.link!.fromId, e.eventId]));
  await storeLinks(tx, appId, created.map((l) => ({ ...l, eventId: eventOf.get(l.fromId)! })), moved);
  // Sessions in progress move at once, so a visit that spans the sign-in goes on as one session;
  // finalised ones are moved by the re-enrichment job (relinkSessions).
  const relabelled = (await moveSessions(tx, appId, created, Prisma.sql`s."finalizedAt" IS NULL`)).map((s) => s.id);
  const visits: Visit[] = events.map((e) => {
    const linkedTo = links.get(e.userKey);
    if (linkedTo) return visit(e, linkedTo, e.identified ? null : e.userKey);
    // An identify shows the anonymous id it linked.
    const identifiedFrom = e.name === "$identify" && e.link && links.get(e.link.fromId) === e.userKey ? e.link.fromId : null;
    return visit(e, e.userKey, identifiedFrom);
  });
  return { visits, relabelled, linked: created.length > 0 };
}
