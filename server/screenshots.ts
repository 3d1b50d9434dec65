import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join, resolve } from "node:path";
import { contentMatches } from "../schema/common/content-types.js";
import type { Services } from "../schema/common/context.js";
import { can, rowVisible } from "../schema/common/policy.js";
import { sessionFor } from "../schema/work/rules.js";
import { workSettings } from "../schema/work/settings.js";
import { type Authenticator, viewerOfRequest } from "./auth.js";
import type { Config } from "../platform/config.js";
import { json } from "./http.js";

const TYPES: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp" };
export const MAX_SCREENSHOT_BYTES = 10_000_000;

/**
 * POST /api/work/screenshots?takenAt=<ISO>: the desktop app uploads an image (PNG, JPEG or WebP as
 * the raw body); it joins your session of that moment. GET /api/work/screenshots/<id>: the image,
 * only to whoever may see that session.
 */
export function screenshotsRoute(services: Services, auth: Authenticator, config: Config) {
  const root = resolve(config.dataDir, "screenshots");
  return async (req: IncomingMessage, res: ServerResponse) => {
    const viewer = await viewerOfRequest(req, auth, config.allowedOrigins);
    if (!viewer) return json(res, 401, { error: "Sign in or send a token", code: "UNAUTHENTICATED" });
    const url = new URL(req.url ?? "", "http://x");
    const id = /^\/api\/work\/screenshots\/([0-9a-f-]{36})$/.exec(url.pathname)?.[1];
    if (req.method === "GET" && id) {
      const shot = await services.db.screenshot.findUnique({ where: { id }, include: { session: true } });
      const allowed = shot && rowVisible(viewer, "workSession", { workspaceId: shot.session.workspaceId, ownerId: shot.session.userId });
      if (!allowed) return json(res, 404, { error: "No such screenshot", code: "NOT_FOUND" });
      res.writeHead(200, { "content-type": shot.mime, "content-length": shot.size, "cache-control": "private, max-age=3600", "x-content-type-options": "nosniff" });
      return void createReadStream(join(root, shot.path)).pipe(res);
    }
    if (req.method !== "POST" || url.pathname !== "/api/work/screenshots") return json(res, 404, { error: "Not found" });
    if (!can(viewer, "work.record")) return json(res, 403, { error: "You can't record sessions", code: "FORBIDDEN" });
    const mime = (req.headers["content-type"] ?? "").split(";")[0].trim();
    const ext = TYPES[mime];
    if (!ext) return json(res, 415, { error: "Send a PNG, JPEG or WebP image as the body", code: "VALIDATION" });
    const takenAt = new Date(url.searchParams.get("takenAt") ?? "");
    if (Number.isNaN(takenAt.getTime()) || takenAt.getTime() > Date.now() + 60_000)
      return json(res, 400, { error: "takenAt must be an ISO-8601 instant, not in the future", code: "VALIDATION" });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    if (!bytes.length) return json(res, 400, { error: "The image is empty", code: "VALIDATION" });
    if (!contentMatches(mime, bytes)) return json(res, 400, { error: `The body is not a ${mime} image: its first bytes don't match the Content-Type`, code: "VALIDATION" });
    const workspace = await services.db.workspace.findUniqueOrThrow({ where: { id: viewer.workspaceId } });
    const timeoutMs = workSettings(workspace.settings).inactivityMinutes * 60_000;
    const nearby = await services.db.workSession.findMany({
      where: { userId: viewer.userId, workspaceId: viewer.workspaceId, startedAt: { lte: new Date(takenAt.getTime() + timeoutMs) }, OR: [{ endedAt: null }, { endedAt: { gte: new Date(takenAt.getTime() - timeoutMs) } }] },
    });
    const session = sessionFor(nearby.map((s) => ({ ...s, closedByApp: s.endReason === "app_closed" })), takenAt, timeoutMs);
    if (!session) return json(res, 409, { error: "No session of yours at that time", code: "CONFLICT" });
    const path = join(viewer.workspaceId, `${randomUUID()}.${ext}`);
    await mkdir(join(root, viewer.workspaceId), { recursive: true });
    await writeFile(join(root, path), bytes);
    const shot = await services.db.screenshot.create({ data: { sessionId: session.id, takenAt, mime, size: bytes.length, path } });
    json(res, 201, { id: shot.id, sessionId: session.id });
  };
}
