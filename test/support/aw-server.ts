// A stand-in for a running aw-server (ActivityWatch's own server is Python or Rust, neither
// installable here): buckets, heartbeats merged as aw-core merges them, and events read back as its
// REST API serves them (newest first, those reaching past `start`), for the tracker's sync mode.
import { createServer, type Server } from "node:http";
import { heartbeat, type Newest } from "../../tracker/heartbeats.js";

interface StoredEvent extends Newest {
  id: number;
}

export async function startAwServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const buckets = new Map<string, { meta: Record<string, unknown>; events: StoredEvent[] }>();
  let nextId = 1;
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://aw");
    const [, , , resource, id, action] = url.pathname.replace(/\/+$/, "").split("/").map(decodeURIComponent);
    let body = "";
    for await (const chunk of req) body += chunk;
    const send = (status: number, value?: unknown) => (res.writeHead(status, { "content-type": "application/json" }), res.end(value === undefined ? undefined : JSON.stringify(value)));
    if (resource === "info") return send(200, { hostname: "followed", version: "v0.13.2", testing: false });
    if (resource !== "buckets") return send(404);
    if (!id) return send(200, Object.fromEntries([...buckets].map(([key, b]) => [key, { id: key, ...b.meta }])));
    const bucket = buckets.get(id);
    if (!action && req.method === "POST") {
      if (bucket) return send(304);
      buckets.set(id, { meta: { ...JSON.parse(body), created: new Date().toISOString() }, events: [] });
      return send(200, {});
    }
    if (!bucket) return send(404, { message: "no such bucket" });
    if (action === "heartbeat") {
      const e = JSON.parse(body) as { timestamp: string; duration?: number; data: Record<string, unknown> };
      const start = Date.parse(e.timestamp);
      const last = bucket.events.at(-1) ?? null;
      const { newest, started } = heartbeat(last, { start, end: start + (e.duration ?? 0) * 1000, data: e.data }, Number(url.searchParams.get("pulsetime")));
      if (started) bucket.events.push({ ...newest, id: nextId++ });
      else Object.assign(last!, { end: newest.end });
      return send(200, {});
    }
    if (action === "events" && req.method === "GET") {
      const from = url.searchParams.has("start") ? Date.parse(url.searchParams.get("start")!) : -Infinity;
      const events = bucket.events.filter((e) => e.end >= from).reverse();
      return send(200, events.map((e) => ({ id: e.id, timestamp: new Date(e.start).toISOString(), duration: (e.end - e.start) / 1000, data: e.data })));
    }
    send(405);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
