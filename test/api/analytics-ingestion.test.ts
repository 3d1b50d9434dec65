import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../prisma/generated/client.js";
import { ingestEvents, type IngestingApp } from "../../schema/analytics/ingestion.js";
import { BatchGrouping } from "../../schema/analytics/jobs.js";
import { validateBatch, type AnalyticsEvent } from "../../schema/analytics/rules.js";
import { freshDatabase } from "../support/database.js";

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: PrismaClient;
let app: IngestingApp;

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  const workspace = await db.workspace.create({ data: { name: "W" } });
  app = await db.analyticsApp.create({ data: { workspaceId: workspace.id, name: "App", writeKeyHash: "h" }, select: { id: true, workspaceId: true, internal: true, internalUserIds: true } });
});
afterAll(() => database?.stop());

const base = Date.now() - 3 * 3600_000;
/** Events of one user: [event id, minutes from a fixed point three hours ago]. */
const batch = (userId: string, events: [string, number][]) =>
  validateBatch({ events: events.map(([eventId, minute]) => ({ eventId, userId, name: "page_view", timestamp: new Date(base + minute * 60_000).toISOString() })) }).events;

const sessionsOf = (userKey: string) =>
  db.userSession.findMany({ where: { appId: app.id, userKey }, orderBy: { startedAt: "asc" }, select: { startedAt: true, lastEventAt: true, rawEventCount: true } });
const eventCount = (userKey: string) => db.rawEvent.count({ where: { appId: app.id, userKey } });
const at = (minute: number) => new Date(base + minute * 60_000);

describe("storing batches", () => {
  it("a batch partly stored before stores only its new events, and the seen ones move no session", async () => {
    await ingestEvents(database, app, batch("ana", [["a1", 0], ["a2", 5]]));
    // The same id with another time (a client bug or a replay): it must neither start nor stretch a session.
    const again = await ingestEvents(database, app, batch("ana", [["a1", 60], ["a3", 6]]));
    expect(again).toMatchObject({ stored: 1, duplicates: 1 });
    expect(await sessionsOf("ana")).toEqual([{ startedAt: at(0), lastEventAt: at(6), rawEventCount: 3 }]);
    expect(await eventCount("ana")).toBe(3);
  });

  it("stores every field exactly as sent: quotes, backslashes, escapes, emoji, nulls and milliseconds", async () => {
    const properties = { path: "C:\\u0000\\temp", quote: 'say "hi"', nested: { list: [1, 2.5, true, null, "🙂"], empty: {} }, "key \"with\" quotes": "\\" };
    const sent = {
      eventId: 'ev "1" \\ 🙂', userId: "user\\with\\backslashes", sessionId: "tab \"one\"", name: "Checkout — paid ✓",
      timestamp: new Date(base + 123).toISOString(), properties, userAgent: 'Agent/1.0 (quoted "part")', environment: "staging\nnext",
    };
    const events = validateBatch({ events: [sent, { ...sent, eventId: "plain", sessionId: undefined, userAgent: undefined, environment: undefined, properties: undefined }] }).events;
    expect(await ingestEvents(database, app, events)).toMatchObject({ stored: 2 });
    const stored = await db.rawEvent.findMany({
      where: { appId: app.id, userKey: sent.userId }, orderBy: { eventId: "asc" },
      select: { eventId: true, clientSessionId: true, name: true, timestamp: true, properties: true, userAgent: true, environment: true, identified: true },
    });
    expect(stored).toEqual([
      { eventId: sent.eventId, clientSessionId: sent.sessionId, name: sent.name, timestamp: new Date(base + 123), properties, userAgent: sent.userAgent, environment: sent.environment, identified: true },
      { eventId: "plain", clientSessionId: null, name: sent.name, timestamp: new Date(base + 123), properties: {}, userAgent: null, environment: null, identified: true },
    ]);
  });

  it("stores properties nested as deep as validation lets them be", async () => {
    const properties = { a: JSON.parse("[".repeat(63) + "]".repeat(63)) };
    const events = validateBatch({ events: [{ eventId: "deepest", userId: "deep", name: "e", timestamp: new Date(base).toISOString(), properties }] }).events;
    expect(await ingestEvents(database, app, events)).toMatchObject({ stored: 1 });
    expect((await db.rawEvent.findFirstOrThrow({ where: { appId: app.id, eventId: "deepest" } })).properties).toEqual(properties);
  });

  // Services made without a pool (the demo seed) store through Prisma's transaction, whose errors look different.
  it.each([
    ["on a client of the pool", "ben", () => database],
    ["in Prisma's transaction, without a pool", "bea", () => ({ db })],
  ])("concurrent retries of one batch store it once, %s", async (_, user, services) => {
    const events = batch(user, Array.from({ length: 40 }, (_, i): [string, number] => [`${user}${i}`, i]));
    const results = await Promise.all([1, 2, 3, 4].map(() => ingestEvents(services(), app, events)));
    expect(results.map((r) => r.stored).sort()).toEqual([0, 0, 0, 40]);
    expect(await sessionsOf(user)).toEqual([{ startedAt: at(0), lastEventAt: at(39), rawEventCount: 40 }]);
  });

  it.each([
    ["on a client of the pool", () => database],
    ["through Prisma, without a pool", () => ({ db })],
  ])("splits sessions by the workspace's inactivity window, and drops a batch of an app deleted meanwhile, %s", async (_, services) => {
    const workspace = await db.workspace.create({ data: { name: "Short window", settings: { analytics: { inactivityMinutes: 5 } } } });
    const short = await db.analyticsApp.create({ data: { workspaceId: workspace.id, name: "App", writeKeyHash: `h-${workspace.id}` }, select: { id: true, workspaceId: true, internal: true, internalUserIds: true } });
    const stored = await ingestEvents(services(), short, batch("cleo", [["c1", 0], ["c2", 4], ["c3", 10]]));
    expect(stored).toMatchObject({ stored: 3, gapMs: 5 * 60_000 });
    const sessions = await db.userSession.findMany({ where: { appId: short.id }, orderBy: { startedAt: "asc" }, select: { startedAt: true, rawEventCount: true } });
    expect(sessions).toEqual([{ startedAt: at(0), rawEventCount: 2 }, { startedAt: at(10), rawEventCount: 1 }]);

    await db.analyticsApp.delete({ where: { id: short.id } });
    expect(await ingestEvents(services(), short, batch("cleo", [["c4", 11]]))).toMatchObject({ stored: 0, duplicates: 1 });
    expect(await db.rawEvent.count({ where: { appId: short.id, eventId: "c4" } })).toBe(0);
  });
});

describe("batch grouping in the worker", () => {
  /** A grouping whose stores are counted and can be held open, to let batches queue behind them. */
  function grouping() {
    const stores: number[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const grouped = new BatchGrouping(async (a, events) => {
      stores.push(events.length);
      if (stores.length <= 2) await held;
      return ingestEvents(database, a, events);
    });
    return { grouped, stores, release };
  }

  it("stores the batches that queued behind a running store together, each event once, a retried batch included", async () => {
    const { grouped, stores, release } = grouping();
    const first = [grouped.ingest(app, batch("cara", [["c0", 0]])), grouped.ingest(app, batch("dan", [["d0", 0]]))];
    const one = batch("cara", [["c1", 1], ["c2", 2]]);
    // Queued while both stores run: the batch, its retry, and a batch of another user bridging nothing.
    const queued = [grouped.ingest(app, one), grouped.ingest(app, one), grouped.ingest(app, batch("dan", [["d1", 3]]))];
    release();
    await Promise.all([...first, ...queued]);
    expect(stores).toEqual([1, 1, 3]);
    expect(await sessionsOf("cara")).toEqual([{ startedAt: at(0), lastEventAt: at(2), rawEventCount: 3 }]);
    expect(await sessionsOf("dan")).toEqual([{ startedAt: at(0), lastEventAt: at(3), rawEventCount: 2 }]);
  });

  it("a batch the database refuses fails alone; the batches grouped with it are stored", async () => {
    const { grouped, stores, release } = grouping();
    const running = [grouped.ingest(app, batch("eve", [["e0", 0]])), grouped.ingest(app, batch("eve", [["e1", 1]]))];
    // A NUL character: valid JSON, refused by PostgreSQL text.
    const refused: AnalyticsEvent[] = batch("eve", [["e2", 2]]).map((e) => ({ ...e, name: "bad\u0000name" }));
    const queued = [grouped.ingest(app, batch("eve", [["e3", 3]])), grouped.ingest(app, refused), grouped.ingest(app, batch("finn", [["f0", 0]]))];
    release();
    await Promise.all(running);
    const outcomes = await Promise.allSettled(queued);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    // The group of three failed, then each was stored on its own.
    expect(stores).toEqual([1, 1, 3, 1, 1, 1]);
    expect(await eventCount("eve")).toBe(3);
    expect(await eventCount("finn")).toBe(1);
  });

  it("keeps batches of one app sent with different settings apart", async () => {
    const { grouped, stores, release } = grouping();
    const running = [grouped.ingest(app, batch("gil", [["g0", 0]])), grouped.ingest(app, batch("gil", [["g1", 1]]))];
    const internal = { ...app, internal: true };
    const queued = [grouped.ingest(app, batch("gil", [["g2", 2]])), grouped.ingest(internal, batch("hal", [["h0", 0]]))];
    release();
    await Promise.all([...running, ...queued]);
    expect(stores.slice(2).sort()).toEqual([1, 1]);
    expect((await db.userSession.findFirstOrThrow({ where: { appId: app.id, userKey: "hal" } })).isInternal).toBe(true);
    expect((await db.userSession.findFirstOrThrow({ where: { appId: app.id, userKey: "gil" } })).isInternal).toBe(false);
  });
});
