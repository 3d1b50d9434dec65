// Prometheus metrics at /metrics, so operators see faults (errors by code, a database pool
// running dry, a queue backing up) as they happen. Served only with METRICS_TOKEN set.
import type { IncomingMessage, ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import client from "prom-client";
import type pg from "pg";
import { json } from "./http.js";

export interface MetricSources {
  pool: pg.Pool;
  /** Jobs by state (waiting, active, delayed, failed), when this process can see the queue. */
  jobCounts?: () => Promise<Record<string, number>>;
  openSockets: () => number;
  liveSubscribers: () => number;
}

function counter<L extends string>(registry: client.Registry, name: string, help: string, labelNames: readonly L[]) {
  return new client.Counter<L>({ name, help, labelNames, registers: [registry] });
}

export class Metrics {
  readonly registry = new client.Registry();
  readonly httpRequests = counter(this.registry, "http_requests_total", "HTTP requests by route (path prefix), method and status", ["route", "method", "status"]);
  readonly errors = counter(this.registry, "api_errors_total", "Errors answered over HTTP and WebSocket, by code (GraphQL extensions.code or plain endpoint code)", ["code"]);
  readonly ingested = counter(
    this.registry,
    "ingested_events_total",
    "Events taken in by the ingestion endpoints, by kind (analytics, work) and outcome (accepted, rejected)",
    ["kind", "outcome"],
  );
  readonly operationSeconds = new client.Histogram({
    name: "graphql_operation_duration_seconds",
    help: "GraphQL query and mutation execution time, over HTTP and WebSocket; for subscriptions, the time to their first payload",
    labelNames: ["type"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Counts a GraphQL answer's errors by their code (one without a code is an internal one). */
  countErrors(errors: readonly { extensions?: Readonly<Record<string, unknown>> }[]) {
    for (const error of errors) this.errors.inc({ code: String(error.extensions?.code ?? "INTERNAL") });
  }

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    new client.Gauge({ name: "websocket_open_sockets", help: "Open GraphQL WebSockets", registers, collect() { this.set(sources.openSockets()); } });
    new client.Gauge({ name: "live_subscribers", help: "Running WebSocket subscriptions", registers, collect() { this.set(sources.liveSubscribers()); } });
    new client.Gauge({
      name: "postgres_pool_connections",
      help: "PostgreSQL pool connections by state (total, idle, waiting requests)",
      labelNames: ["state"] as const,
      registers,
      collect() {
        this.set({ state: "total" }, sources.pool.totalCount);
        this.set({ state: "idle" }, sources.pool.idleCount);
        this.set({ state: "waiting" }, sources.pool.waitingCount);
      },
    });
    if (sources.jobCounts) {
      const jobCounts = sources.jobCounts;
      new client.Gauge({
        name: "jobs_queued",
        help: "Jobs in the queue by state (waiting, active, delayed, failed)",
        labelNames: ["state"] as const,
        registers,
        async collect() {
          // A queue we can't read right now (Redis restarting) shows no value rather than failing the scrape.
          const counts = await jobCounts().catch(() => ({}));
          this.reset();
          for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
        },
      });
    }
  }
}

/** GET /metrics with `Authorization: Bearer $METRICS_TOKEN`; without a configured token there is no such page. */
export function metricsRoute(metrics: Metrics, token: string | null) {
  const expected = Buffer.from(`Bearer ${token ?? ""}`);
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (!token) return json(res, 404, { error: "Not found" });
    const sent = req.headers.authorization;
    if (!sent) return json(res, 401, { error: "Send the metrics token as a Bearer token", code: "UNAUTHENTICATED" });
    const given = Buffer.from(sent);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return json(res, 403, { error: "Wrong metrics token", code: "FORBIDDEN" });
    res.writeHead(200, { "content-type": metrics.registry.contentType }).end(await metrics.registry.metrics());
  };
}
