// Raw events in monthly partitions: the months ahead are made by the partition job, each event lands
// in its month, idempotency holds across months, retention empties one app's old months only, and
// ingestion running beside the job loses nothing. Months are counted from now (UTC), so this passes
// on any date, a month's first and last day included.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../prisma/generated/client.js";
import { rawEventsOf } from "../../schema/analytics/enrichment.js";
import { ingestEvents, type IngestingApp } from "../../schema/analytics/ingestion.js";
import { maintainPartitions, partitionMonths } from "../../schema/analytics/partitions.js";
import { ingestionMonths, monthStart, partitionName, validateBatch } from "../../schema/analytics/rules.js";
import { ok, signIn } from "../support/client.js";
import { freshDatabase } from "../support/database.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace } from "../support/workspace.js";

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: PrismaClient;
let workspaceId: string;

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  workspaceId = (await db.workspace.create({ data: { name: "W" } })).id;
});
afterAll(() => database?.stop());

const newApp = (name: string): Promise<IngestingApp> =>
  db.analyticsApp.create({ data: { workspaceId, name, writeKeyHash: name }, select: { id: true, workspaceId: true, internal: true, internalUserIds: true } });

/** Events of one user at these instants, validated as the endpoint would have at the last of them. */
const eventsAt = (userId: string, events: [string, Date][]) => {
  const now = new Date(Math.max(...events.map(([, t]) => +t)) + 60_000);
  const { events: valid, rejected } = validateBatch({ events: events.map(([eventId, t]) => ({ eventId, userId, name: "page_view", timestamp: t.toISOString() })) }, now);
  expect(rejected).toEqual([]);
  return valid;
};

/** The partition each of the app's events is stored in, by event id. */
async function storedIn(appId: string) {
  const rows = await db.$queryRaw<{ eventId: string; partition: string }[]>`
    SELECT "eventId", tableoid::regclass::text AS partition FROM "RawEvent" WHERE "appId" = ${appId}::uuid ORDER BY "eventId"`;
  return Object.fromEntries(rows.map((r) => [r.eventId, r.partition.replace(/"/g, "")]));
}

const names = (months: Date[]) => months.map(partitionName).sort();
const eventIds = (appId: string) => db.analyticsEventId.count({ where: { appId } });
const minutes = (n: number) => n * 60_000;

describe("monthly partitions of raw events", () => {
  it("the partition job makes the months ingestion may write to, ahead included, and a second run changes nothing", async () => {
    const now = new Date();
    const first = await maintainPartitions(db, now);
    const months = names(await partitionMonths(db));
    expect(months).toEqual(expect.arrayContaining(names(ingestionMonths(now))));
    expect(months).toContain(partitionName(monthStart(now, 2)));
    const second = await maintainPartitions(db, now);
    expect(second).toEqual({ deletedEvents: 0, droppedMonths: [] });
    expect(first.deletedEvents).toBe(0);
    expect(names(await partitionMonths(db))).toEqual(months);
  });

  it("stores each event in its month's partition, and an event id sent again in another month once", async () => {
    const app = await newApp("Boundary");
    const boundary = monthStart(new Date());
    const [before, after] = [new Date(+boundary - minutes(1)), new Date(+boundary + minutes(1))];
    expect(await ingestEvents(database, app, eventsAt("ana", [["last-month", before], ["this-month", after]]))).toMatchObject({ stored: 2 });
    // The same id, now with the other month's timestamp (a replay with a reset clock): nothing new.
    expect(await ingestEvents(database, app, eventsAt("ana", [["last-month", after]]))).toMatchObject({ stored: 0, duplicates: 1 });
    expect(await ingestEvents(database, app, eventsAt("ana", [["this-month", before]]))).toMatchObject({ stored: 0, duplicates: 1 });
    expect(await storedIn(app.id)).toEqual({ "last-month": partitionName(monthStart(boundary, -1)), "this-month": partitionName(boundary) });
    expect(await eventIds(app.id)).toBe(2);
    // The one session across the boundary reads its events from both months.
    const sessions = await db.userSession.findMany({ where: { appId: app.id } });
    expect(sessions).toHaveLength(1);
    expect((await rawEventsOf(db, sessions)).map((e) => e.eventId)).toEqual(["last-month", "this-month"]);
    expect(await rawEventsOf(db, [])).toEqual([]);
  });

  it("refuses events beyond the validation window with a reason; a month without a partition is made when an event needs it", async () => {
    const now = new Date();
    const old = new Date(+now - 40 * 86_400_000);
    expect(validateBatch({ events: [{ eventId: "old", userId: "u", name: "x", timestamp: old.toISOString() }] }, now).rejected).toEqual([
      { index: 0, eventId: "old", reason: "timestamp is more than 30 days old" },
    ]);
    // Stored later than it was accepted (a queue held it while its month was dropped): the month comes back.
    const app = await newApp("Late");
    const month = monthStart(now, -5);
    await db.$executeRawUnsafe(`DROP TABLE IF EXISTS "${partitionName(month)}"`);
    expect(await ingestEvents(database, app, eventsAt("late", [["late-1", new Date(+month + minutes(90))]]))).toMatchObject({ stored: 1 });
    expect(await storedIn(app.id)).toEqual({ "late-1": partitionName(month) });
  });
});

describe("retention", () => {
  it("deletes one app's raw events and event ids of months past its retention, keeps other apps' and its sessions, and drops a month nobody keeps", async () => {
    const now = new Date();
    const [keeping, forgetting] = [await newApp("Keeps forever"), await newApp("Keeps a month")];
    await db.analyticsApp.update({ where: { id: forgetting.id }, data: { retentionMonths: 1 } });
    const old = monthStart(now, -3);
    const recent = new Date(+now - minutes(5));
    for (const app of [keeping, forgetting]) {
      await ingestEvents(database, app, eventsAt("old-user", [["o1", new Date(+old + minutes(60))], ["o2", new Date(+old + minutes(61))]]));
      await ingestEvents(database, app, eventsAt("new-user", [["n1", recent]]));
    }
    const sessionsBefore = await db.userSession.count({ where: { appId: forgetting.id } });

    const run = await maintainPartitions(db, now);
    expect(run.deletedEvents).toBe(2);
    expect(Object.keys(await storedIn(forgetting.id))).toEqual(["n1"]);
    expect(Object.keys(await storedIn(keeping.id))).toEqual(["n1", "o1", "o2"]);
    expect(await eventIds(forgetting.id)).toBe(1);
    expect(await db.userSession.count({ where: { appId: forgetting.id } })).toBe(sessionsBefore);
    // The other app still keeps that month.
    expect(names(await partitionMonths(db))).toContain(partitionName(old));
    expect(await maintainPartitions(db, now)).toEqual({ deletedEvents: 0, droppedMonths: [] });

    // Once no app keeps anything in it, the month goes whole.
    await db.analyticsApp.update({ where: { id: keeping.id }, data: { retentionMonths: 2 } });
    const last = await maintainPartitions(db, now);
    expect(last.droppedMonths.map(partitionName)).toContain(partitionName(old));
    expect(names(await partitionMonths(db))).not.toContain(partitionName(old));
    expect(Object.keys(await storedIn(keeping.id))).toEqual(["n1"]);
    // An event id whose event was deleted is free again (only past the validation window, in practice).
    expect(await ingestEvents(database, forgetting, eventsAt("old-user", [["o1", recent]]))).toMatchObject({ stored: 1 });
  });
});

describe("ingestion beside the partition job", () => {
  it("loses nothing while the job makes and drops partitions", async () => {
    const own = await freshDatabase();
    try {
      const app = await own.db.analyticsApp.create({
        data: { workspace: { create: { name: "Busy" } }, name: "Busy", writeKeyHash: "busy" },
        select: { id: true, workspaceId: true, internal: true, internalUserIds: true },
      });
      const now = new Date();
      // Three months on, the job makes three new months and drops every empty one before them,
      // this month's partition included while the batches are being written to it.
      const later = monthStart(now, 3);
      const batches = Array.from({ length: 12 }, (_, b) =>
        eventsAt(`user-${b}`, Array.from({ length: 50 }, (_, i): [string, Date] => [`b${b}-${i}`, new Date(+now - minutes(60) + i * 1000)])),
      );
      const results = await Promise.all([
        ...batches.map((events) => ingestEvents(own, app, events)),
        maintainPartitions(own.db, later),
        maintainPartitions(own.db, later),
      ]);
      const stored = results.slice(0, batches.length).map((r) => (r as { stored: number }).stored);
      expect(stored).toEqual(batches.map(() => 50));
      expect(await own.db.rawEvent.count({ where: { appId: app.id } })).toBe(600);
      const counted = await own.db.userSession.aggregate({ where: { appId: app.id }, _sum: { rawEventCount: true } });
      expect(counted._sum.rawEventCount).toBe(600);
      expect(names(await partitionMonths(own.db))).toEqual(expect.arrayContaining(names(ingestionMonths(later))));
    } finally {
      await own.stop();
    }
  });
});

describe("the retention setting", () => {
  let stack: Stack;
  let url: string;
  let cookie: string;
  let appId: string;
  beforeAll(async () => {
    stack = await startStack();
    url = stack.urls[0];
    const ws = await newWorkspace(url);
    cookie = await signIn(url, ws.owner.email);
    const created = await ok(url, `mutation { createAnalyticsApp(input: { name: "Retained" }) { ... on AnalyticsAppWithKey { app { id retentionMonths } } } }`, {}, { cookie });
    appId = created.createAnalyticsApp.app.id;
    expect(created.createAnalyticsApp.app.retentionMonths).toBeNull();
  });
  afterAll(() => stack?.stop());

  const UPDATE = `mutation($input: UpdateAnalyticsAppInput!) { updateAnalyticsApp(input: $input) {
    __typename ... on AnalyticsApp { name retentionMonths } ... on ValidationError { code problems { path message } } } }`;
  const update = async (changes: Record<string, unknown>) => (await ok(url, UPDATE, { input: { id: appId, ...changes } }, { cookie })).updateAnalyticsApp;
  const current = async () => (await ok(url, `query($id: ID!) { node(id: $id) { ... on AnalyticsApp { name retentionMonths } } }`, { id: appId }, { cookie })).node;

  it("is set, kept when left out, and cleared with null", async () => {
    expect(await update({ retentionMonths: 6 })).toEqual({ __typename: "AnalyticsApp", name: "Retained", retentionMonths: 6 });
    expect(await update({ name: "Retained app" })).toMatchObject({ retentionMonths: 6 });
    expect(await update({ retentionMonths: null })).toMatchObject({ retentionMonths: null });
  });

  it.each([0, 121, -3])("refuses %i months naming the field, and changes nothing", async (months) => {
    await update({ retentionMonths: 12, name: "Retained app" });
    expect(await update({ retentionMonths: months, name: "Renamed" })).toEqual({
      __typename: "ValidationError",
      code: "VALIDATION",
      problems: [{ path: ["retentionMonths"], message: "1 to 120 months, or empty to keep events" }],
    });
    expect(await current()).toEqual({ name: "Retained app", retentionMonths: 12 });
  });
});
