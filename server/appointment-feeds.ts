import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../schema/common/context.js";
import { renderFeed } from "../schema/appointments/feeds.js";

/** GET /api/appointments/feeds/<secret>.ics: the secret in the URL is the credential (calendar apps send no headers). */
export function appointmentFeedsRoute(services: Services) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const secret = /^\/api\/appointments\/feeds\/(sf_[A-Za-z0-9_-]{20,64})\.ics$/.exec((req.url ?? "").split("?")[0])?.[1];
    if (req.method !== "GET" || !secret) return void res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
    const feed = await renderFeed(services, secret, "sessions-platform");
    if (feed.status !== 200) return void res.writeHead(feed.status, { "content-type": "text/plain" }).end(feed.body);
    res.writeHead(200, { "content-type": "text/calendar; charset=utf-8", "cache-control": "private, max-age=300" }).end(feed.body);
  };
}
