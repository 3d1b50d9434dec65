// The analytics SDKs product teams already run (Segment, PostHog, RudderStack), from npm and unchanged,
// send to our Segment-spec and PostHog endpoints: batching, retries after a lost answer and the flush
// on shutdown deliver each event once, into the same sessions and business events as POST /api/events.
import { createServer, request, type Server } from "node:http";
import { Analytics } from "@segment/analytics-node";
import RudderAnalytics from "@rudderstack/rudder-sdk-node";
import { PostHog } from "posthog-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, signIn } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let url: string;
let cookie: string;
let writeKey: string;
let network: Network;

/**
 * The network between an SDK and the API: it forwards every request, and when told to, loses the
 * answer to the next one on a path (the API got and took the request; the SDK sees a 503 and retries).
 */
interface Network {
  url: string;
  requests: string[];
  loseNextAnswer(path: string): void;
  close(): Promise<void>;
}

async function startNetwork(target: string): Promise<Network> {
  const requests: string[] = [];
  const toLose = new Set<string>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    requests.push(path);
    const lose = toLose.delete(path);
    const forward = request(target + req.url, { method: req.method, headers: req.headers }, (answer) => {
      if (lose) return answer.resume().on("end", () => res.writeHead(503).end());
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    loseNextAnswer: (path) => toLose.add(path),
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const define = (appId: string, input: object) =>
  ok(url, `mutation($app: ID!, $input: BusinessEventDefinitionInput!) { createBusinessEventDefinition(appId: $app, input: $input) { __typename } }`, { app: appId, input }, { cookie });

beforeAll(async () => {
  stack = await startStack({ worker: true });
  url = stack.urls[0];
  cookie = await signIn(url, "owner@demo.test");
  // A workspace of its own: its sessions are only these tests'.
  const created = await ok(url, `mutation { createWorkspace(name: "SDK traffic") { ... on Workspace { id } } }`, {}, { cookie });
  await ok(url, `mutation($w: ID!) { switchWorkspace(workspaceId: $w) { ... on Workspace { id } } }`, { w: created.createWorkspace.id }, { cookie });
  await ok(url, `mutation { updateAnalyticsSettings(inactivityMinutes: 1) { ... on AnalyticsSettings { inactivityMinutes } } }`, {}, { cookie });
  const app = await ok(url, `mutation { createAnalyticsApp(name: "Shop") { ... on AnalyticsAppWithKey { writeKey app { id } } } }`, {}, { cookie });
  writeKey = app.createAnalyticsApp.writeKey;
  const appId = app.createAnalyticsApp.app.id;
  await define(appId, { name: "Signed Up", eventName: "signup", descriptionTemplate: "Signed up with {{method}}", parameters: ["method"] });
  await define(appId, { name: "Identified", eventName: "$identify", parameters: ["$set.plan"] });
  await define(appId, { name: "Viewed Pricing", eventName: "$pageview", conditions: [{ property: "$pathname", op: "eq", value: "/pricing" }] });
  await define(appId, { name: "Linked", eventName: "$create_alias", parameters: ["alias"] });
  network = await startNetwork(url);
});
afterAll(async () => {
  await network?.close();
  await stack?.stop();
});

/** Seconds from a point twenty minutes ago: long enough ago that sessions are finalised at once. */
const base = Date.now() - 20 * 60_000;
const at = (seconds: number) => new Date(base + seconds * 1000);

const SESSIONS = `query($f: UserSessionFilter) { userSessions(filter: $f, first: 50) { edges { node { id userId } } } }`;
const DETAIL = `query($id: ID!) { node(id: $id) { ... on UserSession { userId inProgress identified startedAt lastEventAt durationSeconds rawEventCount clientSessionId userAgent
  businessEvents { position name description parameters } } } }`;

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A user's sessions once finalised with all their events, in full. */
async function finalisedSessions(userId: string, events: number) {
  const read = async () => {
    const edges = (await ok(url, SESSIONS, { f: { userIdSearch: userId } }, { cookie })).userSessions.edges;
    const ids = edges.map((e: { node: { id: string; userId: string } }) => e.node).filter((n: { userId: string }) => n.userId === userId);
    return Promise.all(ids.map(async (n: { id: string }) => (await ok(url, DETAIL, { id: n.id }, { cookie })).node));
  };
  const done = (list: Session[]) => list.reduce((n, s) => n + s.rawEventCount, 0) === events && list.every((s) => !s.inProgress);
  const sessions: Session[] = await until(read, done);
  expect(done(sessions)).toBe(true);
  return sessions;
}

interface Session {
  inProgress: boolean;
  identified: boolean;
  startedAt: string;
  durationSeconds: number;
  rawEventCount: number;
  clientSessionId: string | null;
  businessEvents: { name: string; parameters: object }[];
}

/** The same visit, whichever way it came in (the clock-skew correction moves times by the network's milliseconds). */
function expectSameVisit(viaSdk: Session, direct: Session) {
  const what = ({ identified, rawEventCount, businessEvents }: Session) => ({ identified, rawEventCount, businessEvents });
  expect(what(viaSdk)).toEqual(what(direct));
  expect(Math.abs(Date.parse(viaSdk.startedAt) - Date.parse(direct.startedAt))).toBeLessThan(2000);
  expect(Math.abs(viaSdk.durationSeconds - direct.durationSeconds)).toBeLessThanOrEqual(1);
}

/** A visit in the event names SDK calls become: [name, seconds from the base, properties]. */
const VISIT: [string, number, object][] = [
  ["$identify", 0, { $set: { plan: "pro" } }],
  ["signup", 10, { method: "google" }],
  ["$pageview", 40, { $pathname: "/pricing" }],
  ["checkout", 70, {}],
];

/** The visit sent straight to POST /api/events. */
async function sendDirect(userId: string, visit: [string, number, object][], extra: object = {}) {
  const events = visit.map(([name, seconds, properties], i) => ({ eventId: `${userId}-${i}`, userId, name, timestamp: at(seconds).toISOString(), properties, ...extra }));
  const res = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${writeKey}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  expect(res.status).toBeLessThan(300);
}

describe("Segment's SDK (@segment/analytics-node)", () => {
  it("batches, retries a batch whose answer was lost and flushes on shutdown: each event once, the same session and business events as POST /api/events", async () => {
    const analytics = new Analytics({ writeKey, host: network.url, flushAt: 3, flushInterval: 60_000, maxRetries: 3 });
    network.loseNextAnswer("/v1/batch");
    const sent = network.requests.length;
    analytics.identify({ userId: "seg-1", traits: { plan: "pro" }, timestamp: at(0) });
    analytics.track({ userId: "seg-1", event: "signup", properties: { method: "google" }, timestamp: at(10) });
    analytics.page({ userId: "seg-1", name: "Pricing", context: { page: { path: "/pricing" } }, timestamp: at(40) });
    // The fourth is still queued at shutdown: only the flush sends it.
    analytics.track({ userId: "seg-1", event: "checkout", timestamp: at(70) });
    await analytics.closeAndFlush();
    // Two batches, the first sent twice.
    expect(network.requests.slice(sent)).toEqual(["/v1/batch", "/v1/batch", "/v1/batch"]);
    await sendDirect("direct-seg", VISIT);

    const [viaSdk] = await finalisedSessions("seg-1", 4);
    const [direct] = await finalisedSessions("direct-seg", 4);
    expect(viaSdk.businessEvents).toEqual([
      { position: 1, name: "Identified", description: "Identified", parameters: { "$set.plan": "pro" } },
      { position: 2, name: "Signed Up", description: "Signed up with google", parameters: { method: "google" } },
      { position: 3, name: "Viewed Pricing", description: "Viewed Pricing", parameters: {} },
    ]);
    expectSameVisit(viaSdk, direct);
  });
});

describe("PostHog's SDK (posthog-node)", () => {
  it("gzipped batches, a retry after a lost answer and the flush on shutdown deliver each event once; $session_id is the session", async () => {
    const posthog = new PostHog(writeKey, { host: network.url, flushAt: 2, flushInterval: 60_000, fetchRetryDelay: 50 });
    network.loseNextAnswer("/batch/");
    const sent = network.requests.length;
    const visit: [string, number, object][] = [...VISIT, ["$create_alias", 20, { alias: "anon-ph-1" }]];
    for (const [event, seconds, properties] of visit)
      posthog.capture({ distinctId: "ph-1", event, properties: { ...properties, $session_id: "ph-tab-1" }, timestamp: at(seconds) });
    await posthog.shutdown();
    const requests = network.requests.slice(sent);
    expect(requests.every((p) => p === "/batch/")).toBe(true);
    // At least one batch and the retry of the one whose answer was lost.
    expect(requests.length).toBeGreaterThanOrEqual(2);
    await sendDirect("direct-ph", visit, { sessionId: "direct-tab" });

    const [viaSdk] = await finalisedSessions("ph-1", 5);
    const [direct] = await finalisedSessions("direct-ph", 5);
    expect(viaSdk).toMatchObject({ clientSessionId: "ph-tab-1", rawEventCount: 5 });
    expect(viaSdk.businessEvents.map((e) => [e.name, e.parameters])).toEqual([
      ["Identified", { "$set.plan": "pro" }],
      ["Signed Up", { method: "google" }],
      ["Linked", { alias: "anon-ph-1" }],
      ["Viewed Pricing", {}],
    ]);
    expectSameVisit(viaSdk, direct);
  });
});

describe("RudderStack's SDK (@rudderstack/rudder-sdk-node)", () => {
  it("its gzipped Segment-spec batches arrive once, a retried one included", async () => {
    const rudder = new RudderAnalytics(writeKey, { dataPlaneUrl: network.url, flushAt: 2, flushInterval: 60_000, retryCount: 3, logLevel: "error" });
    network.loseNextAnswer("/v1/batch");
    const sent = network.requests.length;
    rudder.identify({ userId: "rs-1", traits: { plan: "pro" }, originalTimestamp: at(0) } as never);
    rudder.track({ userId: "rs-1", event: "signup", properties: { method: "google" }, originalTimestamp: at(10) } as never);
    rudder.page({ userId: "rs-1", name: "Pricing", context: { page: { path: "/pricing" } }, originalTimestamp: at(40) } as never);
    rudder.track({ userId: "rs-1", event: "checkout", originalTimestamp: at(70) } as never);
    await rudder.flush();
    await sendDirect("direct-rs", VISIT);
    const [viaSdk] = await finalisedSessions("rs-1", 4);
    // At least two batches, and the retry of the one whose answer was lost.
    expect(network.requests.slice(sent).filter((p) => p === "/v1/batch").length).toBeGreaterThanOrEqual(3);
    const [direct] = await finalisedSessions("direct-rs", 4);
    expectSameVisit(viaSdk, direct);
  });
});
