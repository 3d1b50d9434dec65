import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { PrismaClient } from "../../prisma/generated/client.js";
import type { Services } from "../../schema/common/context.js";
import { createPubSub } from "graphql-yoga";
import { closeStale, jobs } from "../../schema/work/jobs.js";
import { parseBatch } from "../../schema/work/events.js";
import { AUTO_CLOSE } from "../../schema/work/recording.js";
import { ingest } from "../../schema/work/service.js";
import { ok, rowId } from "../support/client.js";
import { freshDatabase } from "../support/database.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { newWorkspace } from "../support/workspace.js";

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: PrismaClient;
let services: Services;
const enqueued: { name: string; payload: any; delay?: number; dedupeKey?: string }[] = [];
beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  const queue = { enqueue: async (name: string, payload: unknown, o: object = {}) => void enqueued.push({ name, payload, ...o }), failed: async () => [] };
  services = { db, pubsub: createPubSub(), jobs: queue } as unknown as Services;
});
afterAll(() => database?.stop());

describe("auto-close", () => {
  it("ends a quiet session at its last activity, not when the job runs, and only once", async () => {
    const workspace = await db.workspace.create({ data: { name: "W", settings: { work: { inactivityMinutes: 15 } } } });
    const user = await db.user.create({ data: { email: "a@w.test", name: "A", passwordHash: "x" } });
    const last = new Date(Date.now() - 20 * 60_000);
    const quiet = await db.workSession.create({ data: { workspaceId: workspace.id, userId: user.id, startedAt: new Date(last.getTime() - 3600_000), lastActivityAt: last } });
    await db.afkPeriod.create({ data: { sessionId: quiet.id, startedAt: new Date(last.getTime() - 60_000) } });
    const [first, second] = await Promise.all([closeStale(services, { sessionId: quiet.id }), closeStale(services, {})]);
    expect([...first, ...second]).toEqual([quiet.id]);
    const closed = await db.workSession.findUniqueOrThrow({ where: { id: quiet.id }, include: { afkPeriods: true } });
    expect(closed).toMatchObject({ endedAt: last, endReason: "inactivity" });
    expect(closed.afkPeriods[0].endedAt).toEqual(last);
  });

  it("leaves a session with recent activity open", async () => {
    const workspace = await db.workspace.create({ data: { name: "W2" } });
    const user = await db.user.create({ data: { email: "b@w.test", name: "B", passwordHash: "x" } });
    const busy = await db.workSession.create({ data: { workspaceId: workspace.id, userId: user.id, startedAt: new Date(Date.now() - 3600_000), lastActivityAt: new Date(Date.now() - 60_000) } });
    expect(await closeStale(services, {})).not.toContain(busy.id);
  });
});

/** A window heartbeat `secondsAgo` before `reference`, lasting `duration` seconds. */
const beat = (reference: number, id: string, secondsAgo: number, duration: number) =>
  ({ id, type: "window", timestamp: new Date(reference - secondsAgo * 1000).toISOString(), duration, pulsetime: 60, data: { app: "Code", title: "main.ts" } });

describe("scheduling auto-close", () => {
  const record = async (viewer: { workspaceId: string; userId: string }, events: unknown[]) => ingest(services, viewer, parseBatch({ events }).events);
  const autoClose = () => jobs.find((j) => j.name === AUTO_CLOSE)!;

  it("is scheduled when a session opens, not again for each batch that extends it", async () => {
    const workspace = await db.workspace.create({ data: { name: "W3", settings: { work: { inactivityMinutes: 15 } } } });
    const user = await db.user.create({ data: { email: "c@w.test", name: "C", passwordHash: "x" } });
    const viewer = { workspaceId: workspace.id, userId: user.id };
    const now = Date.now();
    enqueued.length = 0;
    await record(viewer, [beat(now, "b1", 600, 60)]);
    expect(enqueued).toHaveLength(1);
    const [first] = enqueued;
    const session = await db.workSession.findFirstOrThrow({ where: { workspaceId: workspace.id } });
    expect(first).toMatchObject({ name: AUTO_CLOSE, payload: { sessionId: session.id }, dedupeKey: `work-close:${session.id}` });
    // Quiet at 9 minutes ago + 15 minutes, a second after that.
    expect(first.delay! / 1000).toBeGreaterThan(6 * 60 - 5);
    expect(first.delay! / 1000).toBeLessThan(6 * 60 + 5);
    await record(viewer, [beat(now, "b2", 300, 60), beat(now, "b3", 120, 60)]);
    expect(enqueued).toHaveLength(1);
  });

  it("run while the session is still active, schedules its next run for when it will have gone quiet", async () => {
    const workspace = await db.workspace.create({ data: { name: "W4", settings: { work: { inactivityMinutes: 15 } } } });
    const user = await db.user.create({ data: { email: "d@w.test", name: "D", passwordHash: "x" } });
    const last = new Date(Date.now() - 5 * 60_000);
    const busy = await db.workSession.create({ data: { workspaceId: workspace.id, userId: user.id, startedAt: new Date(last.getTime() - 3600_000), lastActivityAt: last } });
    enqueued.length = 0;
    await autoClose().process({ workspaceId: workspace.id, sessionId: busy.id }, services);
    expect((await db.workSession.findUniqueOrThrow({ where: { id: busy.id } })).endedAt).toBeNull();
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]).toMatchObject({ name: AUTO_CLOSE, payload: { sessionId: busy.id }, dedupeKey: `work-close:${busy.id}` });
    expect(enqueued[0].delay! / 1000).toBeGreaterThan(10 * 60 - 5);
    expect(enqueued[0].delay! / 1000).toBeLessThan(10 * 60 + 5);
    // Closed, or gone: nothing more to schedule.
    await db.workSession.update({ where: { id: busy.id }, data: { endedAt: last, endReason: "inactivity" } });
    await autoClose().process({ workspaceId: workspace.id, sessionId: busy.id }, services);
    expect(enqueued).toHaveLength(1);
  });
});

describe.runIf(inject("redisUrl"))("auto-close through the queue and a worker", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: true });
  });
  afterAll(() => stack?.stop());

  it("follows a session that stayed active past its first run, and closes it at its last activity", async () => {
    const url = stack.urls[0];
    const ws = await newWorkspace(url);
    await ok(url, `mutation { updateWorkSettings(input: { inactivityMinutes: 1 }) { __typename } }`, {}, { token: ws.owner.token });
    const post = (events: unknown[]) =>
      fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${ws.employee.token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    const start = Date.now();
    // Quiet since 54 s ago: its first run comes in about 7 s. Then activity until 44 s ago: quiet about 10 s later.
    expect((await post([beat(start, "f1", 120, 66)])).status).toBe(200);
    expect((await post([beat(start, "f2", 54, 10)])).status).toBe(200);
    const sql = new pg.Client({ connectionString: stack.databaseUrl! });
    await sql.connect();
    const sessions = async () => (await sql.query(`SELECT "endedAt", "endReason" FROM "WorkSession" WHERE "workspaceId" = $1`, [rowId(ws.id)])).rows;
    expect(await sessions()).toEqual([{ endedAt: null, endReason: null }]);
    const done = await until(sessions, (rows) => rows[0].endedAt !== null, 30_000);
    await sql.end();
    expect(done).toEqual([{ endedAt: new Date(start - 44_000), endReason: "inactivity" }]);
  });
});
