import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { contentMatches } from "../schema/common/content-types.js";
import type { Services } from "../schema/common/context.js";
import { can } from "../schema/common/policy.js";
import { readableScreenshot, SCREENSHOT_TYPES, screenshotsRoot, storeScreenshot } from "../schema/work/screenshots.js";
import { type Authenticator, viewerOfRequest } from "./auth.js";
import type { Config } from "./config.js";
import { json } from "./http.js";

/**
 * POST /api/work/screenshots?takenAt=<ISO>: the desktop app uploads an image (PNG, JPEG or WebP as
 * the raw body); it joins your session of that moment. GET /api/work/screenshots/<id>: the image,
 * only to whoever may see that session.
 */
export function screenshotsRoute(services: Services, auth: Authenticator, config: Config) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const viewer = await viewerOfRequest(req, auth, config.allowedOrigins);
    if (!viewer) return json(res, 401, { error: "Sign in or send a token", code: "UNAUTHENTICATED" });
    const url = new URL(req.url ?? "", "http://x");
    const id = /^\/api\/work\/screenshots\/([0-9a-f-]{36})$/.exec(url.pathname)?.[1];
    if (req.method === "GET" && id) {
      const shot = await readableScreenshot(services, viewer, id);
      if (!shot) return json(res, 404, { error: "No such screenshot", code: "NOT_FOUND" });
      res.writeHead(200, { "content-type": shot.mime, "content-length": shot.size, "cache-control": "private, max-age=3600", "x-content-type-options": "nosniff" });
      return void createReadStream(join(screenshotsRoot(config.dataDir), shot.path)).pipe(res);
    }
    if (req.method !== "POST" || url.pathname !== "/api/work/screenshots") return json(res, 404, { error: "Not found" });
    if (!can(viewer, "work.record")) return json(res, 403, { error: "You can't record sessions", code: "FORBIDDEN" });
    const mime = (req.headers["content-type"] ?? "").split(";")[0].trim();
    if (!SCREENSHOT_TYPES[mime]) return json(res, 415, { error: "Send a PNG, JPEG or WebP image as the body", code: "VALIDATION" });
    const takenAt = new Date(url.searchParams.get("takenAt") ?? "");
    if (Number.isNaN(takenAt.getTime()) || takenAt.getTime() > Date.now() + 60_000)
      return json(res, 400, { error: "takenAt must be an ISO-8601 instant, not in the future", code: "VALIDATION" });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    if (!bytes.length) return json(res, 400, { error: "The image is empty", code: "VALIDATION" });
    if (!contentMatches(mime, bytes)) return json(res, 400, { error: `The body is not a ${mime} image: its first bytes don't match the Content-Type`, code: "VALIDATION" });
    const shot = await storeScreenshot(services, viewer, config.dataDir, { mime, takenAt, bytes });
    if (!shot) return json(res, 409, { error: "No session of yours at that time", code: "CONFLICT" });
    json(res, 201, { id: shot.id, sessionId: shot.sessionId });
  };
}
