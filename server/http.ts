import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { RateLimitedError } from "../schema/identity/rate-limits.js";
import type { Authenticator } from "./auth.js";
import type { Config } from "./config.js";
import type { GraphQLServer } from "./graphql.js";
import { staticFiles } from "./static.js";

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** Rejects bodies over the limit before any of it is parsed. */
function bodyTooLarge(req: IncomingMessage, res: ServerResponse, limit: number) {
  const length = Number(req.headers["content-length"] ?? 0);
  if (length > limit) {
    json(res, 413, { errors: [{ message: `Request body over the limit of ${limit} bytes`, extensions: { code: "PAYLOAD_TOO_LARGE" } }] });
    return true;
  }
  if (req.method === "POST" && req.headers["transfer-encoding"] && !req.headers["content-length"]) {
    // Without a length we can't enforce the limit up front; every client we serve sends one.
    json(res, 411, { errors: [{ message: "Content-Length required", extensions: { code: "LENGTH_REQUIRED" } }] });
    return true;
  }
  return false;
}

/**
 * A GET request's `variables` and `extensions` are JSON that graphql-yoga parses without a catch: a
 * malformed one would surface as an internal error rather than the client's mistake it is.
 */
function malformedQueryJson(req: IncomingMessage, res: ServerResponse) {
  const params = new URL(req.url ?? "/", "http://x").searchParams;
  for (const name of ["variables", "extensions"]) {
    const value = params.get(name);
    if (value === null) continue;
    try {
      JSON.parse(value);
    } catch {
      json(res, 400, { errors: [{ message: `${name}: not valid JSON`, extensions: { code: "VALIDATION" } }] });
      return true;
    }
  }
  return false;
}

export interface HttpDeps {
  config: Config;
  yoga: GraphQLServer;
  auth: Authenticator;
  /** Plain endpoints by path prefix (bulk ingestion, files, feeds, MCP). */
  routes?: Record<string, Route>;
  /** Routes that take larger bodies than the API's limit (imports), by the same prefix. */
  bodyLimits?: Record<string, number>;
  webRoot: string;
}

export function createHttpServer({ config, yoga, routes = {}, bodyLimits = {}, webRoot }: HttpDeps) {
  const web = staticFiles(webRoot);
  let ready = false;
  const server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    try {
      if (path === "/healthz") return json(res, ready ? 200 : 503, { ok: ready });
      if (path === "/graphql") {
        if (bodyTooLarge(req, res, config.maxBodyBytes) || malformedQueryJson(req, res)) return;
        return await yoga.handle(req, res);
      }
      const prefix = Object.keys(routes).find((p) => path === p || path.startsWith(p + "/"));
      if (prefix) {
        if (bodyTooLarge(req, res, bodyLimits[prefix] ?? config.maxBodyBytes)) return;
        return await routes[prefix](req, res);
      }
      return await web(req, res);
    } catch (error) {
      // Plain endpoints count credential and ingestion use as they authenticate; a spent limit lands here.
      if (error instanceof RateLimitedError && !res.headersSent) {
        res.setHeader("Retry-After", String(error.retryAfterSeconds));
        return json(res, 429, { error: error.message, code: error.code, retryAfter: error.retryAfterSeconds });
      }
      console.error("[http]", error);
      if (!res.headersSent) json(res, 500, { errors: [{ message: "Internal error" }] });
      else res.end();
    }
  });
  server.keepAliveTimeout = 65_000;

  // Graceful stop: responses in flight are told to close their connection once sent, so no
  // keep-alive socket has to be cut (destroying one with unflushed data would reset the client).
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  server.on("request", (_req, res: ServerResponse) => {
    if (draining) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once("close", () => inFlight.delete(res));
  });
  async function drain(): Promise<void> {
    draining = true;
    ready = false; // /healthz now says 503, so a balancer stops sending new work
    for (const res of inFlight) {
      if (!res.headersSent) res.shouldKeepAlive = false;
      else res.once("finish", () => res.socket?.end());
    }
    // Keep accepting for a grace period: connections already queued in the kernel's backlog were
    // sent before the signal and are served rather than reset.
    await new Promise((resolve) => setTimeout(resolve, config.shutdownGraceMs));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Streams (SSE) never finish by themselves: give them a moment, then end them. Other requests
    // (a sign-in hashing its password on a busy machine) finish first, up to a hard limit.
    const endStreams = setTimeout(() => {
      for (const res of inFlight) if (String(res.getHeader("content-type") ?? "").startsWith("text/event-stream")) res.end();
      server.closeIdleConnections();
    }, 5000);
    const force = setTimeout(() => server.closeAllConnections(), 30_000);
    return closed.finally(() => (clearTimeout(endStreams), clearTimeout(force)));
  }

  return { server, markReady: () => (ready = true), drain };
}
