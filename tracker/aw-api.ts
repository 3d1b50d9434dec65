// The part of aw-server's REST API (/api/0/...) that ActivityWatch's watchers and aw-client call,
// so they post to the tracker unchanged; and, at `/`, the AFK dialog's page for the employee.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { hostname } from "node:os";
import { afkPage, answerFromPage } from "./afk-page.js";
import { readText } from "./body.js";
import { Tracker, TrackerError } from "./tracker.js";

function send(res: ServerResponse, status: number, body?: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const text = await readText(req);
  try {
    return JSON.parse(text || "null");
  } catch {
    throw new TrackerError(400, "body must be JSON");
  }
}

async function route(tracker: Tracker, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://tracker");
  const parts = url.pathname.replace(/\/+$/, "").split("/").map(decodeURIComponent);
  if (url.pathname === "/" && req.method === "GET") return afkPage(tracker, url, res);
  if (parts[1] === "afk" && parts.length === 3 && req.method === "POST") return answerFromPage(tracker, parts[2], req, res);
  if (parts[1] !== "api" || parts[2] !== "0") throw new TrackerError(404, "not found");
  const [resource, id, action] = parts.slice(3);
  const method = req.method ?? "GET";
  if (resource === "info" && method === "GET") return send(res, 200, { hostname: hostname(), version: "v0.13.0 (sessions tracker)", testing: false, device_id: hostname() });
  if (resource !== "buckets") throw new TrackerError(404, "not found");
  if (!id && method === "GET") return send(res, 200, Object.fromEntries(tracker.listBuckets().map((b) => [b.id, b])));
  if (id && !action && method === "GET") return send(res, 200, tracker.bucket(id));
  if (id && !action && method === "POST") {
    const meta = ((await readBody(req)) ?? {}) as Record<string, string>;
    return tracker.createBucket(id, meta) ? send(res, 200, {}) : send(res, 304);
  }
  if (id && action === "heartbeat" && method === "POST") {
    const pulsetime = Number(url.searchParams.get("pulsetime"));
    if (!url.searchParams.has("pulsetime") || !Number.isFinite(pulsetime) || pulsetime < 0) throw new TrackerError(400, "pulsetime must be a number of seconds");
    return send(res, 200, tracker.heartbeat(id, await readBody(req), pulsetime));
  }
  if (id && action === "events" && method === "POST") {
    tracker.insert(id, await readBody(req));
    return send(res, 200, null);
  }
  throw new TrackerError(405, `${method} ${url.pathname} is not supported`);
}

export function awApi(tracker: Tracker): Server {
  return createServer((req, res) => {
    route(tracker, req, res).catch((error) => {
      if (error instanceof TrackerError) send(res, error.status, { message: error.message });
      else (console.error(error), send(res, 500, { message: "internal error" }));
    });
  });
}
