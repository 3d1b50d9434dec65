// Screenshots the desktop app takes: stored under DATA_DIR, each joined to the employee's session of
// that moment, readable by whoever may see the session.
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Services, Viewer } from "../common/context.js";
import { QuotaExceededError } from "../common/errors.js";
import { lockScreenshotQuota } from "../common/locks.js";
import { rowVisible } from "../common/policy.js";
import type { Recorder } from "./recording.js";
import { sessionFor } from "./rules.js";
import { settingsOf } from "./service.js";

export const SCREENSHOT_TYPES: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp" };
export const MAX_SCREENSHOT_BYTES = 10_000_000;

/** Uploads per member in any 24 hours: a capture every 5 minutes from 3 screens all day is 864 files. */
export interface ScreenshotQuota {
  files: number;
  bytes: number;
}

const DAY_MS = 86_400_000;

/** SCREENSHOT_QUOTA="<files>/<megabytes>", for example "1000/500" (the default). */
export function parseScreenshotQuota(value: string | undefined): ScreenshotQuota {
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(value ?? "1000/500");
  if (!match) throw new Error(`SCREENSHOT_QUOTA must look like "1000/500" (files/megabytes per member per 24 hours), not "${value}"`);
  return { files: Number(match[1]), bytes: Math.round(Number(match[2]) * 1_000_000) };
}

function screenshotQuotaError(quota: ScreenshotQuota) {
  return new QuotaExceededError(`At most ${quota.files} screenshots and ${quota.bytes / 1_000_000} MB per member in 24 hours: the app should take them less often or smaller`, quota);
}

export function screenshotsRoot(dataDir: string) {
  return resolve(dataDir, "screenshots");
}

/** The screenshot, or null when there is none the viewer may see. */
export async function readableScreenshot(services: Services, viewer: Viewer, id: string) {
  const shot = await services.db.screenshot.findUnique({ where: { id }, include: { session: true } });
  const allowed = shot && rowVisible(viewer, "workSession", { workspaceId: shot.session.workspaceId, ownerId: shot.session.userId });
  return allowed ? shot : null;
}

export interface ScreenshotUpload {
  mime: string;
  takenAt: Date;
  bytes: Buffer;
}

/**
 * Stores the image with the viewer's session of its moment; null when they had none then. The
 * member's uploads of the last 24 hours are counted under a per-member lock, so uploads sent at once
 * can't all slip under the quota; the file is written before its row, so no row names a missing file.
 */
export async function storeScreenshot(services: Services, viewer: Recorder, storage: { dataDir: string; quota: ScreenshotQuota }, upload: ScreenshotUpload) {
  const { takenAt } = upload;
  const timeoutMs = (await settingsOf(services, viewer.workspaceId)).inactivityMinutes * 60_000;
  const nearby = await services.db.workSession.findMany({
    where: {
      userId: viewer.userId,
      workspaceId: viewer.workspaceId,
      startedAt: { lte: new Date(takenAt.getTime() + timeoutMs) },
      OR: [{ endedAt: null }, { endedAt: { gte: new Date(takenAt.getTime() - timeoutMs) } }],
    },
  });
  const session = sessionFor(nearby.map((s) => ({ ...s, closedByApp: s.endReason === "app_closed" })), takenAt, timeoutMs);
  if (!session) return null;
  const root = screenshotsRoot(storage.dataDir);
  const path = join(viewer.workspaceId, `${randomUUID()}.${SCREENSHOT_TYPES[upload.mime]}`);
  return services.db.$transaction(async (tx) => {
    await lockScreenshotQuota(tx, viewer.workspaceId, viewer.userId);
    const recent = await tx.screenshot.aggregate({
      where: { session: { workspaceId: viewer.workspaceId, userId: viewer.userId }, createdAt: { gt: new Date(Date.now() - DAY_MS) } },
      _count: true,
      _sum: { size: true },
    });
    if (recent._count + 1 > storage.quota.files || (recent._sum.size ?? 0) + upload.bytes.length > storage.quota.bytes) throw screenshotQuotaError(storage.quota);
    await mkdir(join(root, viewer.workspaceId), { recursive: true });
    await writeFile(join(root, path), upload.bytes);
    return tx.screenshot.create({ data: { sessionId: session.id, takenAt, mime: upload.mime, size: upload.bytes.length, path } });
  });
}
