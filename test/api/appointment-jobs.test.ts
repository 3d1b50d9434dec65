import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../prisma/generated/client.js";
import type { Services } from "../../schema/common/context.js";
import { sweepAutoStatus, sweepUnusedUploads } from "../../schema/appointments/jobs.js";
import { attachmentsRoot } from "../../schema/appointments/storage.js";
import { freshDatabase } from "../support/database.js";

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: PrismaClient;
let dataDir: string;
beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  dataDir = mkdtempSync(join(tmpdir(), "uploads-"));
  process.env.DATA_DIR = dataDir;
});
afterAll(async () => {
  await database?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("unused uploads", () => {
  it("go a day after upload when no session took them; used ones stay", async () => {
    const workspace = await db.workspace.create({ data: { name: "W" } });
    const user = await db.user.create({ data: { email: "u@w.test", name: "U", passwordHash: "x" } });
    const client = await db.client.create({ data: { workspaceId: workspace.id, name: "C" } });
    const session = await db.appointment.create({
      data: { workspaceId: workspace.id, clientId: client.id, staffId: user.id, name: "S", startsAt: new Date(Date.now() - 7 * 86_400_000), durationMinutes: 60, endsAt: new Date(Date.now() - 7 * 86_400_000 + 3_600_000) },
    });
    mkdirSync(join(attachmentsRoot(), workspace.id), { recursive: true });
    const file = async (name: string, ageHours: number, appointmentId: string | null) => {
      const path = join(workspace.id, name);
      writeFileSync(join(attachmentsRoot(), path), "x");
      return db.appointmentAttachment.create({
        data: { workspaceId: workspace.id, appointmentId, uploadedById: user.id, fileName: name, mime: "text/plain", size: 1, path, createdAt: new Date(Date.now() - ageHours * 3600_000) },
      });
    };
    const abandoned = await file("abandoned.txt", 25, null);
    const fresh = await file("fresh.txt", 1, null);
    const used = await file("used.txt", 48, session.id);
    const services = { db } as unknown as Services;
    const [first, second] = await Promise.all([sweepUnusedUploads(services), sweepUnusedUploads(services)]);
    expect([...first, ...second]).toEqual([abandoned.id]);
    expect((await db.appointmentAttachment.findMany({ orderBy: { fileName: "asc" } })).map((a) => a.id)).toEqual([fresh.id, used.id]);
    expect(existsSync(join(attachmentsRoot(), abandoned.path))).toBe(false);
    expect(existsSync(join(attachmentsRoot(), used.path))).toBe(true);
  });
});

describe("auto-status sweep", () => {
  it("starts and completes sessions due around now in workspaces that want it, once, leaving older history alone", async () => {
    const user = await db.user.create({ data: { email: "s@w.test", name: "S", passwordHash: "x" } });
    const auto = await db.workspace.create({ data: { name: "Auto", settings: { appointments: { autoStatus: true } } } });
    const manual = await db.workspace.create({ data: { name: "Manual" } });
    const session = async (workspaceId: string, minutesAgo: number, duration: number, status: "scheduled" | "in_progress" = "scheduled") => {
      const client = await db.client.create({ data: { workspaceId, name: `C${Math.random()}` } });
      const startsAt = new Date(Date.now() - minutesAgo * 60_000);
      return db.appointment.create({
        data: { workspaceId, clientId: client.id, staffId: user.id, name: "S", startsAt, durationMinutes: duration, endsAt: new Date(startsAt.getTime() + duration * 60_000), status },
      });
    };
    const running = await session(auto.id, 10, 60);
    const ended = await session(auto.id, 70, 60, "in_progress");
    const noShow = await session(auto.id, 300, 60);
    const elsewhere = await session(manual.id, 10, 60);
    const services = { db, pubsub: { publish: () => {} }, jobs: { enqueue: async () => {} } } as unknown as Services;
    const [a, b] = await Promise.all([sweepAutoStatus(services), sweepAutoStatus(services)]);
    expect([...a, ...b].sort()).toEqual([running.id, ended.id].sort());
    const status = async (id: string) => (await db.appointment.findUniqueOrThrow({ where: { id } })).status;
    expect(await Promise.all([running, ended, noShow, elsewhere].map((s) => status(s.id)))).toEqual(["in_progress", "completed", "scheduled", "scheduled"]);
  });
});
