import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { log, REQUEST_ID_HEADER, requestIdFrom } from "../schema/common/log.js";
import { RateLimitedError } from "../schema/identity/rate-limits.js";
import type { Authenticator } from "./auth.js";
import type { Config } from "../platform/config.js";
import type { GraphQLServer } from "./graphql.js";
import type { Health } from "./health.js";
import type { Metrics } from "./metrics.js";
import { staticFiles } from "./static.js";
import { isUnavailable, RETRY_AFTER_SECONDS } from "./unavailable.js";

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** Plain endpoints answer errors as `{error, code}`: the code, counted once the response is sent. */
const errorCodes = new WeakMap<ServerResponse, string>();

export function json(res: ServerResponse, status: number, body: unknown) {
  const answer = body as { code?: unknown; errors?: { extensions?: { code?: unknown } }[] } | null;
  const code = answer?.code ?? answer?.errors?.[0]?.extensions?.code ?? (status >= 500 ? "INTERNAL" : undefined);
  if (status >= 400 && typeof code === "string") errorCodes.set(res, code);
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** Rejects bodies over the limit before any of it is parsed. */
function bodyTooLarge(req: IncomingMessage, res: ServerResponse, limit: number) {
  const length = Number(req.headers["content-length"] ?? 0);
  if (length > limit) {
    json(res, 413, { errors: [{ message: `Request body over the limit of ${limit} bytes`, extensions: { code: "PAYLOAD_TOO_LARGE" } }] });
    return true;
  }
  if (req.headers["transfer-encoding"] && !req.headers["content-length"]) {
    // Without a length we can't enforce the limit up front; every client we serve sends one. This
    // is the only limit on /graphql (yoga's is off), so it holds for every method.
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
  if (!req.url?.includes("?")) return false; // a POST's usual URL: nothing to parse, no URL to build
  const params = new URL(req.url, "http://x").searchParams;
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
  health: Health;
  metrics: Metrics;
}


export function createHttpServer({ config, yoga, routes = {}, bodyLimits = {}, webRoot, health, metrics }: HttpDeps) {
  const web = staticFiles(webRoot);
  let ready = false;
  const server = createServer((req, res) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    void handle(req, res, requestId);
  });

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string) {
    const path = (req.url ?? "/").split("?")[0];
    const route = path === "/healthz" || path === "/graphql" ? path : (Object.keys(routes).find((p) => path === p || path.startsWith(p + "/")) ?? "web");
    observe(req, res, route, requestId);
    try {
      if (path === "/healthz") {
        const report = await health.report(ready);
        return json(res, report.ok ? 200 : 503, report);
      }
      if (path === "/graphql") {
        if (bodyTooLarge(req, res, config.maxBodyBytes) || malformedQueryJson(req, res)) return;
        return await yoga.handle(req, res);
      }
      if (route !== "web") {
        if (bodyTooLarge(req, res, bodyLimits[route] ?? config.maxBodyBytes)) return;
        return await routes[route](req, res);
      }
      return await web(req, res);
    } catch (error) {
      // Plain endpoints count credential and ingestion use as they authenticate; a spent limit lands here.
      if (error instanceof RateLimitedError && !res.headersSent) {
        res.setHeader("Retry-After", String(error.retryAfterSeconds));
        return json(res, 429, { error: error.message, code: error.code, retryAfter: error.retryAfterSeconds });
      }
      // PostgreSQL or Redis is down (restarting): nothing was stored, the client may send it again.
      if (isUnavailable(error)) {
        log.warn({ err: (error as Error).message, requestId }, "backing store unavailable");
        if (res.headersSent) return void res.end();
        res.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
        return json(res, 503, { error: "The service is briefly unavailable; retry shortly", code: "UNAVAILABLE", retryAfter: RETRY_AFTER_SECONDS });
      }
      log.error({ err: error, requestId }, "unexpected error");
      if (!res.headersSent) json(res, 500, { errors: [{ message: "Internal error" }] });
      else res.end();
    }
  }

  /** One log line and the request metrics for every response, once it is sent. */
  function observe(req: IncomingMessage, res: ServerResponse, route: string, requestId: string) {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      metrics.httpRequests.inc({ route, method: req.method ?? "", status: String(res.statusCode) });
      const code = errorCodes.get(res);
      if (code) metrics.errors.inc({ code });
      // The route, not the path: paths carry secrets (calendar feeds) and IDs.
      log.info({ method: req.method, route, status: res.statusCode, ms: Math.round(ms * 10) / 10, requestId }, "request");
    });
  }
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
