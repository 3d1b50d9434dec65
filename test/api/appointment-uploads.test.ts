import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../prisma/generated/client.js";
import type { Services } from "../../schema/common/context.js";
import { sweepUnusedUploads } from "../../schema/appointments/jobs.js";
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
      data: { workspaceId: workspace.id, clientId: client.id, staffId: user.id, name: "S", startsAt: new Date("2026-11-20T09:00:00Z"), durationMinutes: 60, endsAt: new Date("2026-11-20T10:00:00Z") },
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
