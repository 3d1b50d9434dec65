import { createReadStream } from "node:fs";
import { join } from "node:path";
import { contentMatches } from "../schema/common/content-types.js";
import type { Services } from "../schema/common/context.js";
import { AppError, ConflictError } from "../schema/common/errors.js";
import { instantInRange, UUID } from "../schema/common/input-limits.js";
import { MAX_SCREENSHOT_BYTES, readableScreenshot, SCREENSHOT_TYPES, screenshotsRoot, storeScreenshot } from "../schema/work/screenshots.js";
import { desktopInstant } from "../schema/work/events.js";
import type { Authenticator } from "./auth.js";
import type { Config } from "../platform/config.js";
import { json } from "./http.js";
import { BadRequestError, demand, endpoint, readBody, signedIn } from "./rest.js";

/**
 * POST /api/work/screenshots?takenAt=<ISO>: the desktop app uploads an image (PNG, JPEG or WebP as
 * the raw body); it joins your session of that moment. GET /api/work/screenshots/<id>: the image,
 * only to whoever may see that session.
 */
export function screenshotsRoute(services: Services, auth: Authenticator, config: Config) {
  return endpoint(async (req, res) => {
    const viewer = await signedIn(req, auth, config);
    const url = new URL(req.url ?? "", "http://x");
    const id = /^\/api\/work\/screenshots\/([^/]+)$/.exec(url.pathname)?.[1];
    if (req.method === "GET" && id && UUID.test(id)) {
      const shot = await readableScreenshot(services, viewer, id);
      if (!shot) throw new AppError("NOT_FOUND", "No such screenshot");
      res.writeHead(200, { "content-type": shot.mime, "content-length": shot.size, "cache-control": "private, max-age=3600", "x-content-type-options": "nosniff" });
      return void createReadStream(join(screenshotsRoot(config.dataDir), shot.path)).pipe(res);
    }
    if (req.method !== "POST" || url.pathname !== "/api/work/screenshots") return json(res, 404, { error: "Not found" });
    demand(viewer, "work.record", "You can't record sessions");
    const mime = (req.headers["content-type"] ?? "").split(";")[0].trim();
    if (!SCREENSHOT_TYPES[mime]) return json(res, 415, { error: "Send a PNG, JPEG or WebP image as the body", code: "VALIDATION" });
    const takenAt = desktopInstant(url.searchParams.get("takenAt") ?? "");
    if (!takenAt || !instantInRange(takenAt) || takenAt.getTime() > Date.now() + 60_000)
      throw new BadRequestError("takenAt must be an ISO-8601 instant with an offset, between the years 1900 and 9999, not in the future");
    const bytes = await readBody(req, MAX_SCREENSHOT_BYTES);
    if (!bytes.length) throw new BadRequestError("The image is empty");
    if (!contentMatches(mime, bytes)) throw new BadRequestError(`The body is not a ${mime} image: its first bytes don't match the Content-Type`);
    const shot = await storeScreenshot(services, viewer, { dataDir: config.dataDir, quota: config.screenshotQuota }, { mime, takenAt, bytes });
    if (!shot) throw new ConflictError("No session of yours at that time");
    json(res, 201, { id: shot.id, sessionId: shot.sessionId });
  });
}
