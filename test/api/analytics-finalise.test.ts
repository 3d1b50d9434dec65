import { createPubSub } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../prisma/generated/client.js";
import { finaliseSession, relinkSessions, sweepQuietSessions } from "../../schema/analytics/enrichment.js";
import { ingestEvents } from "../../schema/analytics/ingestion.js";
import { validateBatch } from "../../schema/analytics/rules.js";
import type { Services } from "../../schema/common/context.js";
import { freshDatabase } from "../support/database.js";

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: PrismaClient;
let services: Services;
const enqueued: { name: string; payload: any; delay?: number; dedupeKey?: string }[] = [];
let app: { id: string; workspaceId: string; internal: boolean; internalUserIds: string[] };

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  services = {
    db,
    pubsub: createPubSub(),
    jobs: { enqueue: async (name: string, payload: unknown, o: object = {}) => void enqueued.push({ name, payload, ...o }), failed: async () => [] },
  } as unknown as Services;
  const workspace = await db.workspace.create({ data: { name: "W" } });
  app = await db.analyticsApp.create({ data: { workspaceId: workspace.id, name: "App", writeKeyHash: "h" } });
  await db.businessEventDefinition.create({ data: { appId: app.id, name: "Signed Up", eventName: "signup" } });
});
afterAll(() => database?.stop());

/** "Minutes ago" counts back from one moment, so durations between batches don't drift with a slow machine. */
const reference = Date.now();
const store = async (userId: string, minutesAgo: number[], extra: object = {}) => {
  const { events } = validateBatch({ events: minutesAgo.map((m, i) => ({ eventId: `${userId}-${m}-${i}`, userId, name: "signup", timestamp: new Date(reference - m * 60_000).toISOString(), ...extra })) });
  const result = await ingestEvents(database, app, events);
  return result.changedSessionIds[0];
};
const identify = (anonymousId: string, userId: string, minutesAgo: number) => store(userId, [minutesAgo], { name: "$identify", anonymousId });

describe("finalisation", () => {
  it("waits for the inactivity window: run early, it reschedules itself for the window's end", async () => {
    const id = await store("early", [5]);
    enqueued.length = 0;
    expect(await finaliseSession(services, id)).toBe("not-quiet");
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]).toMatchObject({ name: "analytics.finalise", payload: { sessionId: id }, dedupeKey: `analytics-finalise:${id}` });
    expect(enqueued[0].delay).toBeGreaterThan(24 * 60_000);
    expect(enqueued[0].delay).toBeLessThan(26 * 60_000);
    expect((await db.userSession.findUniqueOrThrow({ where: { id } })).finalizedAt).toBeNull();
  });

  it("summarises once; a rerun on the same input keeps the summary; a changed session gets a new one", async () => {
    const id = await store("quiet", [50, 45]);
    expect(await finaliseSession(services, id)).toBe("finalised");
    const first = await db.sessionSummary.findUniqueOrThrow({ where: { sessionId: id } });
    expect(first.tldr).toBe("Active for 5:00 - 2 business events");
    // A duplicate job (or the sweep) after the session was reopened without any change.
    await db.userSession.update({ where: { id }, data: { finalizedAt: null } });
    expect(await finaliseSession(services, id)).toBe("unchanged");
    expect((await db.sessionSummary.findUniqueOrThrow({ where: { sessionId: id } })).createdAt).toEqual(first.createdAt);
    // A late event changes the session: the next finalisation makes a new summary.
    await store("quiet", [40]);
    expect(await finaliseSession(services, id)).toBe("finalised");
    const second = await db.sessionSummary.findUniqueOrThrow({ where: { sessionId: id } });
    expect(second.inputHash).not.toBe(first.inputHash);
    expect(second.tldr).toBe("Active for 10:00 - 3 business events");
  });

  it("the sweep finalises quiet sessions whose job was lost, once even when run twice at the same time", async () => {
    const id = await store("lost", [90]);
    const [a, b] = await Promise.all([sweepQuietSessions(services), sweepQuietSessions(services)]);
    expect([...a, ...b].filter((r) => r === "finalised").length).toBe(1);
    const s = await db.userSession.findUniqueOrThrow({ where: { id }, include: { businessEvents: true } });
    expect(s.finalizedAt).not.toBeNull();
    expect(s.businessEvents).toHaveLength(1);
  });
});

describe("relinking after a late identify", () => {
  const sessionsOf = (userKey: string) => db.userSession.findMany({ where: { appId: app.id, userKey }, orderBy: { startedAt: "asc" } });

  it("moves finalised sessions under the user and merges the visit it split; run again, it changes nothing", async () => {
    const anonymous = await store("anon-r", [58, 55], { userId: null, anonymousId: "anon-r" });
    const own = await store("user-r", [50]);
    for (const id of [anonymous, own]) expect(await finaliseSession(services, id)).toBe("finalised");
    await identify("anon-r", "user-r", 49);
    // Finalised before the identify arrived: left for the job.
    expect((await sessionsOf("anon-r")).map((s) => s.id)).toEqual([anonymous]);

    enqueued.length = 0;
    expect(await relinkSessions(services, app.id)).toBe(1);
    const [merged] = await sessionsOf("user-r");
    expect(merged).toMatchObject({ id: anonymous, anonymousId: "anon-r", identified: true, rawEventCount: 4, durationSeconds: 9 * 60, finalizedAt: null });
    expect(await db.userSession.findUnique({ where: { id: own } })).toBeNull();
    expect(enqueued.map((j) => j.payload)).toEqual([{ sessionId: anonymous }]);
    expect(await finaliseSession(services, anonymous)).toBe("finalised");

    const before = await db.userSession.findMany({ where: { appId: app.id }, orderBy: { id: "asc" } });
    enqueued.length = 0;
    expect(await relinkSessions(services, app.id)).toBe(0);
    expect(await db.userSession.findMany({ where: { appId: app.id }, orderBy: { id: "asc" } })).toEqual(before);
    expect(enqueued).toEqual([]);
  });

  it("concurrent identifies of one anonymous id store one link, whichever user they name", async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => identify("anon-k", `user-k${i}`, 20)));
    await Promise.all(Array.from({ length: 4 }, () => identify("anon-k", "user-k0", 20)));
    expect(await db.identityLink.count({ where: { appId: app.id, fromId: "anon-k" } })).toBe(1);
  });
});
