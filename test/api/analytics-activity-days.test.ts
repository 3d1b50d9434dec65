// The User Activity page reads per-day (and each user's per-month) counts of finalised sessions that
// database triggers keep.
// After each way sessions change once finalised (re-enrichment, a late identify that moves and merges
// them, a late event that reopens one, retention, a change of time zone, many finalisations at once)
// the counts must be exactly what counting the sessions themselves says, worked out here in plain SQL.
import { createPubSub } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../prisma/generated/client.js";
import { finaliseSession, reenrichApp, relinkSessions } from "../../schema/analytics/enrichment.js";
import { ingestEvents } from "../../schema/analytics/ingestion.js";
import { maintainPartitions } from "../../schema/analytics/partitions.js";
import { validateBatch } from "../../schema/analytics/rules.js";
import type { Services } from "../../schema/common/context.js";
import { freshDatabase } from "../support/database.js";

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: PrismaClient;
let services: Services;
let workspaceId: string;

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  // Jobs the services queue (finalisations after a relink, the next page) are run by the tests themselves.
  services = { db, pubsub: createPubSub(), jobs: { enqueue: async () => {}, failed: async () => [] } } as unknown as Services;
  workspaceId = (await db.workspace.create({ data: { name: "W", timeZone: "Europe/Berlin" } })).id;
}, 60_000);
afterAll(() => database?.stop());

type App = { id: string; workspaceId: string; internal: boolean; internalUserIds: string[] };

/** An app whose signups and project creations are business events, with an onboarding flow of the two. */
async function newApp(name: string): Promise<App> {
  const app = await db.analyticsApp.create({ data: { workspaceId, name, writeKeyHash: name } });
  await db.businessEventDefinition.create({ data: { appId: app.id, name: "Signed Up", eventName: "signup" } });
  await db.businessEventDefinition.create({ data: { appId: app.id, name: "Created Project", eventName: "project_created" } });
  await db.flowDefinition.create({ data: { appId: app.id, name: "Onboarding", steps: ["Signed Up", "Created Project"] } });
  return app;
}

/** "Minutes ago" counts back from one moment, so durations don't drift with a slow machine. */
const reference = Date.now();
let eventNumber = 0;
async function store(app: App, userId: string, events: [string, number][], extra: object = {}) {
  const { events: valid } = validateBatch({
    events: events.map(([name, m]) => ({ eventId: `e${eventNumber++}`, userId, name, timestamp: new Date(reference - m * 60_000).toISOString(), ...extra })),
  });
  return (await ingestEvents(database, app, valid)).changedSessionIds;
}

const finaliseAll = async (app: App) => {
  const open = await db.userSession.findMany({ where: { appId: app.id, finalizedAt: null }, select: { id: true } });
  for (const { id } of open) await finaliseSession(services, id);
};

/** Every count row of the workspace, as text, from the kept tables. */
async function kept(): Promise<string[]> {
  const rows = await db.$queryRaw<{ row: string }[]>`
    SELECT concat_ws('|', 'user', "appId", day, "isBot", "isDevOrInternal", "userKey", sessions) AS row FROM "ActiveUserDay" WHERE "workspaceId" = ${workspaceId}::uuid
    UNION ALL SELECT concat_ws('|', 'month', "appId", month, "isBot", "isDevOrInternal", "userKey", days) FROM "ActiveUserMonth" WHERE "workspaceId" = ${workspaceId}::uuid
    UNION ALL SELECT concat_ws('|', 'duration', "appId", day, "isBot", "isDevOrInternal", "durationSeconds", sessions) FROM "SessionDurationDay" WHERE "workspaceId" = ${workspaceId}::uuid
    UNION ALL SELECT concat_ws('|', 'flow', "appId", day, "isBot", "isDevOrInternal", "flowId", outcome, "lastStep", sessions) FROM "FlowOutcomeDay" WHERE "workspaceId" = ${workspaceId}::uuid
    UNION ALL SELECT concat_ws('|', 'event', "appId", day, "isBot", "isDevOrInternal", name, events) FROM "BusinessEventDay" WHERE "workspaceId" = ${workspaceId}::uuid`;
  return rows.map((r) => r.row).sort();
}

/** The same rows counted from the finalised sessions, their outcomes and business events. */
async function counted(): Promise<string[]> {
  const rows = await db.$queryRaw<{ row: string }[]>`
    WITH s AS (SELECT s.*, (s."startedAt" AT TIME ZONE w."timeZone")::date AS day, s."isDev" OR s."isInternal" AS dev
               FROM "UserSession" s JOIN "Workspace" w ON w.id = s."workspaceId"
               WHERE s."workspaceId" = ${workspaceId}::uuid AND s."finalizedAt" IS NOT NULL)
    SELECT concat_ws('|', 'user', "appId", day, "isBot", dev, "userKey", count(*)) AS row FROM s GROUP BY "appId", day, "isBot", dev, "userKey"
    UNION ALL SELECT concat_ws('|', 'month', "appId", date_trunc('month', day::timestamp)::date, "isBot", dev, "userKey", bit_or(1 << (extract(day FROM day)::int - 1)))
              FROM s GROUP BY "appId", date_trunc('month', day::timestamp)::date, "isBot", dev, "userKey"
    UNION ALL SELECT concat_ws('|', 'duration', "appId", day, "isBot", dev, "durationSeconds", count(*)) FROM s GROUP BY "appId", day, "isBot", dev, "durationSeconds"
    UNION ALL SELECT concat_ws('|', 'flow', "appId", day, "isBot", dev, o."flowId", o.outcome, o."lastStep", count(*))
              FROM s JOIN "FlowOutcome" o ON o."sessionId" = s.id GROUP BY "appId", day, "isBot", dev, o."flowId", o.outcome, o."lastStep"
    UNION ALL SELECT concat_ws('|', 'event', "appId", day, "isBot", dev, e.name, count(*))
              FROM s JOIN "SessionBusinessEvent" e ON e."sessionId" = s.id GROUP BY "appId", day, "isBot", dev, e.name`;
  return rows.map((r) => r.row).sort();
}

const expectExact = async () => expect(await kept()).toEqual(await counted());

/** An app's kept counts of one kind summed over days and kinds of session, as "key|count" (days depend on when the test runs). */
async function totals(app: App, kind: string): Promise<string[]> {
  const sums = new Map<string, number>();
  for (const row of (await kept()).filter((r) => r.startsWith(`${kind}|${app.id}|`))) {
    const parts = row.split("|");
    const key = parts.slice(5, -1).join("|");
    sums.set(key, (sums.get(key) ?? 0) + Number(parts.at(-1)));
  }
  return [...sums].map(([key, n]) => `${key}|${n}`).sort();
}

describe("per-day activity counts", () => {
  it("count finalised sessions only; a late event that reopens one takes it out until it is finalised again", async () => {
    const app = await newApp("reopen");
    await store(app, "r-1", [["signup", 120], ["project_created", 118]]);
    await store(app, "r-2", [["signup", 100]]);
    expect(await totals(app, "user")).toEqual([]);
    await finaliseAll(app);
    await expectExact();
    expect(await totals(app, "user")).toEqual(["r-1|1", "r-2|1"]);
    expect(await totals(app, "flow")).toHaveLength(2);

    await store(app, "r-2", [["project_created", 95]]);
    await expectExact();
    expect(await totals(app, "user")).toEqual(["r-1|1"]);
    await finaliseAll(app);
    await expectExact();
    const [flow] = await db.flowDefinition.findMany({ where: { appId: app.id } });
    expect(await totals(app, "flow")).toEqual([`${flow.id}|completed|Created Project|2`]);
  });

  it("keep a user's month of days as their sessions of several days are finalised and reopened", async () => {
    // Three sessions 25 hours apart are on three local days (none lasts longer), two of which share a
    // month whatever today is: that month's row gains a day it didn't have, and later loses one.
    const app = await newApp("months");
    const hours25 = 25 * 60;
    const activeDays = async () =>
      (await kept()).filter((r) => r.startsWith(`month|${app.id}|`)).reduce((n, r) => n + Number(r.split("|").at(-1)).toString(2).replaceAll("0", "").length, 0);
    for (const ago of [3, 2, 1]) {
      await store(app, "m-1", [["signup", ago * hours25]]);
      await finaliseAll(app);
      await expectExact();
    }
    expect(await activeDays()).toBe(3);
    await store(app, "m-1", [["project_created", 2 * hours25 - 5]]);
    await expectExact();
    expect(await activeDays()).toBe(2);
    await finaliseAll(app);
    await expectExact();
    expect(await activeDays()).toBe(3);
  });

  it("follow a re-enrichment after the definitions change", async () => {
    const app = await newApp("reenrich");
    await store(app, "n-1", [["signup", 90], ["invite", 89]]);
    await store(app, "n-2", [["invite", 80]]);
    await finaliseAll(app);
    await expectExact();
    expect(await totals(app, "event")).toEqual(["Signed Up|1"]);

    await db.businessEventDefinition.create({ data: { appId: app.id, name: "Invited", eventName: "invite" } });
    await db.businessEventDefinition.deleteMany({ where: { appId: app.id, name: "Signed Up" } });
    await db.flowDefinition.create({ data: { appId: app.id, name: "Inviting", steps: ["Invited"] } });
    expect(await reenrichApp(services, app.id, null)).toBe(2);
    await expectExact();
    expect(await totals(app, "event")).toEqual(["Invited|2"]);
    const inviting = await db.flowDefinition.findFirstOrThrow({ where: { appId: app.id, name: "Inviting" } });
    expect(await totals(app, "flow")).toEqual([`${inviting.id}|completed|Invited|2`]);

    // A flow deleted takes its counts along.
    await db.flowDefinition.deleteMany({ where: { appId: app.id } });
    await expectExact();
    expect(await totals(app, "flow")).toEqual([]);
  });

  it("follow a late identify: the visits move to the user, merged where they touch, one user a day", async () => {
    const app = await newApp("identify");
    await store(app, "anon-x", [["signup", 90], ["project_created", 88]], { userId: null, anonymousId: "anon-x" });
    await store(app, "user-x", [["page_view", 80]]);
    await store(app, "anon-y", [["signup", 200]], { userId: null, anonymousId: "anon-y" });
    await finaliseAll(app);
    expect(await totals(app, "user")).toEqual(["anon-x|1", "anon-y|1", "user-x|1"]);

    // The identify reopens user-x's visit (a late event of it); anon-y's is left to the relink alone.
    await store(app, "user-x", [["$identify", 79]], { anonymousId: "anon-x" });
    await store(app, "user-y", [["$identify", 40]], { anonymousId: "anon-y" });
    expect(await relinkSessions(services, app.id)).toBe(2);
    await expectExact();
    expect(await totals(app, "user")).toEqual(["user-y|1"]);
    // The merged visit is counted again once finalised again, as one visit of its user.
    await finaliseAll(app);
    await expectExact();
    expect(await totals(app, "user")).toEqual(["user-x|1", "user-y|2"]);
    expect(await totals(app, "event")).toEqual(["Created Project|1", "Signed Up|2"]);
  });

  it("stay as they were when retention deletes the raw events", async () => {
    const app = await newApp("retention");
    await store(app, "k-1", [["signup", 50], ["project_created", 49]]);
    await store(app, "k-2", [["signup", 40]], { environment: "development" });
    await finaliseAll(app);
    await expectExact();
    const before = await kept();
    await db.analyticsApp.update({ where: { id: app.id }, data: { retentionMonths: 1 } });
    const later = new Date(reference + 100 * 86_400_000);
    expect((await maintainPartitions(db, later)).deletedEvents).toBeGreaterThan(0);
    // A re-enrichment after that leaves the sessions past retention as they were finalised.
    await reenrichApp(services, app.id, null, later);
    expect(await kept()).toEqual(before);
    await expectExact();
  });

  it("move to the new day boundaries when the workspace's time zone changes", async () => {
    await newApp("time zone");
    await db.workspace.update({ where: { id: workspaceId }, data: { timeZone: "Pacific/Kiritimati" } });
    await expectExact();
    await db.workspace.update({ where: { id: workspaceId }, data: { timeZone: "Europe/Berlin" } });
    await expectExact();
  });

  it("stay exact under many finalisations, re-enrichments and relinks at once", async () => {
    const app = await newApp("concurrent");
    // Same day, same durations, the same business events in different orders: the rows they share.
    for (let i = 0; i < 24; i++) {
      const order: [string, number][] = i % 2 ? [["signup", 60], ["project_created", 59]] : [["project_created", 60], ["signup", 59]];
      await store(app, `c-${i}`, order, i % 3 ? {} : { userId: null, anonymousId: `anon-c-${i}` });
    }
    const open = await db.userSession.findMany({ where: { appId: app.id, finalizedAt: null }, select: { id: true } });
    await Promise.all([...open, ...open].map(({ id }) => finaliseSession(services, id)));
    await expectExact();
    // Late identifies of a third of them: relinks and merges while the others are re-enriched and finalised again.
    for (let i = 0; i < 24; i += 3) await store(app, `c-${i}`, [["$identify", 50]], { anonymousId: `anon-c-${i}` });
    await db.businessEventDefinition.create({ data: { appId: app.id, name: "Viewed", eventName: "page_view" } });
    const reopened = await db.userSession.findMany({ where: { appId: app.id, finalizedAt: null }, select: { id: true } });
    await Promise.all([
      ...reopened.map(({ id }) => finaliseSession(services, id)),
      reenrichApp(services, app.id, null),
      reenrichApp(services, app.id, null),
      relinkSessions(services, app.id),
      relinkSessions(services, app.id),
    ]);
    await expectExact();
    await finaliseAll(app);
    await expectExact();
    expect(await totals(app, "event")).toEqual(["Created Project|24", "Signed Up|24"]);
    expect((await totals(app, "user")).map((r) => r.split("|")[0]).sort()).toEqual(Array.from({ length: 24 }, (_, i) => `c-${i}`).sort());
  }, 60_000);
});
