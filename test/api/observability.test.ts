// What operators see: structured JSON logs tagged with request ids, and Prometheus metrics behind a token.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, subscribe, wsClient } from "../support/client.js";
import { logLines } from "../support/process.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const TOKEN = "metrics-secret-for-tests";
let stack: Stack;
let url: string;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack({ env: { METRICS_TOKEN: TOKEN } });
  url = stack.urls[0];
  ws = await newWorkspace(url);
});
afterAll(() => stack?.stop());

async function scrape(): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one sample, e.g. `http_requests_total{route="/graphql",method="POST",status="200"}`; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const line = text.split("\n").find((l) => {
    if (!l.startsWith(name + "{") && !l.startsWith(name + " ")) return false;
    return Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`));
  });
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("metrics", () => {
  it("are served only with the metrics token", async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(403);
    // A member's own token is no metrics token.
    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ws.owner.token}` } })).status).toBe(403);
  });

  it("move with traffic: requests, errors by code, operation latency, ingestion, pool and queue", async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++) await ok(url, `{ viewer { role } }`, {}, { token: ws.employee.token });
    const denied = await gql(url, `{ viewer { role } }`, {}, { token: "not-a-token" });
    expect(denied.status).toBe(401);
    const batch = await fetch(`${url}/api/work/events`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ws.employee.token}` },
      body: JSON.stringify({
        events: [
          { id: "m-1", type: "window", timestamp: new Date(Date.now() - 60_000).toISOString(), duration: 5, data: { app: "Code", title: "a.ts" } },
          { id: "m-2", type: "window", timestamp: "not a time", duration: 5, data: { app: "Code", title: "b.ts" } },
        ],
      }),
    });
    expect(batch.status).toBe(200);
    const after = await scrape();

    const ok200 = { route: "/graphql", method: "POST", status: "200" };
    expect(sample(after, "http_requests_total", ok200) - sample(before, "http_requests_total", ok200)).toBeGreaterThanOrEqual(3);
    expect(sample(after, "api_errors_total", { code: "UNAUTHENTICATED" }) - sample(before, "api_errors_total", { code: "UNAUTHENTICATED" })).toBe(1);
    const queries = (text: string) => sample(text, "graphql_operation_duration_seconds_count", { type: "query" });
    expect(queries(after) - queries(before)).toBeGreaterThanOrEqual(3);
    expect(sample(after, "ingested_events_total", { kind: "work", outcome: "accepted" }) - sample(before, "ingested_events_total", { kind: "work", outcome: "accepted" })).toBe(1);
    expect(sample(after, "ingested_events_total", { kind: "work", outcome: "rejected" }) - sample(before, "ingested_events_total", { kind: "work", outcome: "rejected" })).toBe(1);
    expect(sample(after, "postgres_pool_connections", { state: "total" })).toBeGreaterThan(0);
    expect(after).toMatch(/^jobs_queued\{state="(waiting|delayed|active|failed)"\} \d+/m);
    expect(after).toMatch(/^websocket_open_sockets \d+/m);
    expect(after).toMatch(/^live_subscribers \d+/m);
  });
});

describe("metrics over WebSocket", () => {
  it("count the errors of WebSocket answers by code, and time subscriptions to their first payload", async () => {
    const before = await scrape();
    const client = wsClient(url, { token: ws.employee.token });
    const board = subscribe(client, `subscription { liveBoard { sessions { id } } }`);
    await board.next();
    // Refused before it runs (graphql-ws onError), and in its execution (onNext).
    const invalid = subscribe(client, `{ noSuchField }`);
    await until(async () => invalid.errors.length, (n) => n > 0, 5000);
    const refused = subscribe(client, `{ node(id: "not-an-id") { id } }`);
    await until(async () => refused.errors.length, (n) => n > 0, 5000);
    await client.dispose();
    const after = await scrape();
    const subscriptions = (text: string) => sample(text, "graphql_operation_duration_seconds_count", { type: "subscription" });
    expect(subscriptions(after) - subscriptions(before)).toBe(1);
    const validation = (text: string) => sample(text, "api_errors_total", { code: "GRAPHQL_VALIDATION_FAILED" });
    expect(validation(after) - validation(before)).toBe(1);
    const refusedIds = (text: string) => sample(text, "api_errors_total", { code: "VALIDATION" });
    expect(refusedIds(after) - refusedIds(before)).toBe(1);
    expect(sample(after, "api_errors_total", { code: "INTERNAL" })).toBe(0);
  });
});

describe("logs", () => {
  it("are JSON lines carrying the caller's request id, echoed in the response", async () => {
    const id = `trace-${Date.now()}`;
    const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": id }, body: JSON.stringify({ query: "{ __typename }" }) });
    expect(res.headers.get("x-request-id")).toBe(id);
    const lines = await until(async () => logLines(stack.apis[0]).filter((l) => l.requestId === id), (l) => l.length > 0, 5000);
    expect(lines[0]).toMatchObject({ msg: "request", route: "/graphql", status: 200, requestId: id, level: 30 });
    expect(typeof lines[0].time).toBe("string");
  });

  it("give a request without a usable id a new one", async () => {
    const res = await fetch(`${url}/healthz`, { headers: { "x-request-id": "bad id with spaces" } });
    const id = res.headers.get("x-request-id")!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const lines = await until(async () => logLines(stack.apis[0]).filter((l) => l.requestId === id), (l) => l.length > 0, 5000);
    expect(lines[0]).toMatchObject({ msg: "request", route: "/healthz" });
  });
});
