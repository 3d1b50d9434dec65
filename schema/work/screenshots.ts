// Screenshots the desktop app takes: stored under DATA_DIR, each joined to the employee's session of
// that moment, readable by whoever may see the session.
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Services, Viewer } from "../common/context.js";
import { rowVisible } from "../common/policy.js";
import { sessionFor } from "./rules.js";
import { settingsOf } from "./service.js";

export const SCREENSHOT_TYPES: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp" };
export const MAX_SCREENSHOT_BYTES = 10_000_000;

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

/** Stores the image with the viewer's session of its moment; null when they had none then. */
export async function storeScreenshot(services: Services, viewer: Viewer, dataDir: string, upload: ScreenshotUpload) {
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
  const root = screenshotsRoot(dataDir);
  const path = join(viewer.workspaceId, `${randomUUID()}.${SCREENSHOT_TYPES[upload.mime]}`);
  await mkdir(join(root, viewer.workspaceId), { recursive: true });
  await writeFile(join(root, path), upload.bytes);
  return services.db.screenshot.create({ data: { sessionId: session.id, takenAt, mime: upload.mime, size: upload.bytes.length, path } });
}
