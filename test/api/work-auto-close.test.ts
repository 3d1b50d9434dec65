import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../prisma/generated/client.js";
import type { Services } from "../../schema/common/context.js";
import { createPubSub } from "graphql-yoga";
import { closeStale } from "../../schema/work/jobs.js";
import { freshDatabase } from "../support/database.js";

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: PrismaClient;
let services: Services;
beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  services = { db, pubsub: createPubSub(), jobs: { enqueue: async () => {}, failed: async () => [] } } as unknown as Services;
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
