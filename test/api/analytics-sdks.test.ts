// The analytics SDKs product teams already run (Segment, PostHog, RudderStack), from npm and unchanged,
// send to our Segment-spec and PostHog endpoints: batching, retries after a lost answer and the flush
// on shutdown deliver each event once, into the same sessions and business events as POST /api/events.
import { createServer, request, type Server } from "node:http";
import { gzipSync } from "node:zlib";
import { Analytics } from "@segment/analytics-node";
import RudderAnalytics from "@rudderstack/rudder-sdk-node";
import { PostHog } from "posthog-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, type Auth } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { newWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: Auth;
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

async function define(appId: string, input: object) {
  const created = await ok(url, `mutation($app: ID!, $input: BusinessEventDefinitionInput!) { createBusinessEventDefinition(input: { appId: $app, definition: $input }) { __typename } }`, { app: appId, input }, owner);
  expect(created.createBusinessEventDefinition.__typename).toBe("BusinessEventDefinition");
}

beforeAll(async () => {
  stack = await startStack({ worker: true });
  url = stack.urls[0];
  network = await startNetwork(url);
});
// A hook of its own: on a busy machine, starting the stack and setting up the workspace each take a while.
beforeAll(async () => {
  // A workspace of its own: its sessions are only these tests'.
  owner = { token: (await newWorkspace(url)).owner.token };
  await ok(url, `mutation { updateAnalyticsSettings(input: { inactivityMinutes: 1 }) { ... on AnalyticsSettings { inactivityMinutes } } }`, {}, owner);
  const app = await ok(url, `mutation { createAnalyticsApp(input: { name: "Shop" }) { ... on AnalyticsAppWithKey { writeKey app { id } } } }`, {}, owner);
  writeKey = app.createAnalyticsApp.writeKey;
  const appId = app.createAnalyticsApp.app.id;
  await define(appId, { name: "Signed Up", eventName: "signup", descriptionTemplate: "Signed up with {{method}}", parameters: ["method"] });
  await define(appId, { name: "Identified", eventName: "$identify", parameters: ["$set.plan"] });
  await define(appId, { name: "Viewed Pricing", eventName: "$pageview", conditions: [{ property: "$pathname", op: "EQ", value: "/pricing" }] });
  await define(appId, { name: "Linked", eventName: "$create_alias", parameters: ["alias"] });
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

/** A user's sessions once finalised with all their events, in full. */
async function finalisedSessions(userId: string, events: number) {
  const read = async () => {
    const edges = (await ok(url, SESSIONS, { f: { userIdSearch: userId } }, owner)).userSessions.edges;
    const ids = edges.map((e: { node: { id: string; userId: string } }) => e.node).filter((n: { userId: string }) => n.userId === userId);
    return Promise.all(ids.map(async (n: { id: string }) => (await ok(url, DETAIL, { id: n.id }, owner)).node));
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
  userAgent: string | null;
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

describe("the wire formats, by plain HTTP", () => {
  const basic = () => `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`;
  const send = async (path: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) => {
    const res = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    return { status: res.status, body: await res.json(), headers: res.headers };
  };
  const segment = (call: string, message: object) => send(`/v1/${call}`, JSON.stringify(message), { authorization: basic() });

  it("Segment's single calls: messageId makes a resend harmless, the device clock's skew is corrected by sentAt", async () => {
    // The device's clock runs an hour fast: its timestamps and its send time alike.
    const ahead = (d: Date) => new Date(+d + 3600_000).toISOString();
    const sentAt = ahead(new Date());
    const common = { userId: "calls-1", sentAt, context: { userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", library: { name: "analytics-python", version: "2.3.3" } } };
    const calls: [string, object][] = [
      ["identify", { messageId: "c-1", traits: { plan: "pro" }, timestamp: ahead(at(0)), anonymousId: "anon-9" }],
      ["track", { messageId: "c-2", event: "signup", properties: { method: "email" }, timestamp: ahead(at(10)) }],
      ["alias", { messageId: "c-3", previousId: "anon-9", timestamp: ahead(at(20)) }],
      ["page", { messageId: "c-4", name: "Pricing", timestamp: ahead(at(30)), context: { page: { path: "/pricing", url: "https://shop.test/pricing" } } }],
      ["screen", { messageId: "c-5", name: "Cart", timestamp: ahead(at(40)) }],
      ["group", { messageId: "c-6", groupId: "acme", traits: { seats: 5 }, timestamp: ahead(at(50)) }],
    ];
    for (const [call, message] of calls) {
      const answer = await segment(call, { ...common, ...message });
      expect(answer.body).toMatchObject({ success: true, accepted: 1, rejected: [] });
    }
    expect((await segment("track", { ...common, ...calls[1][1] })).body.accepted).toBe(1);
    const [s] = await finalisedSessions("calls-1", 6);
    expect(Math.abs(Date.parse(s.startedAt) - +at(0))).toBeLessThan(2000);
    expect(s).toMatchObject({ durationSeconds: 50, userAgent: common.context.userAgent });
    expect(s.businessEvents.map((e) => [e.name, e.parameters])).toEqual([
      ["Identified", { "$set.plan": "pro" }],
      ["Signed Up", { method: "email" }],
      ["Linked", { alias: "anon-9" }],
      ["Viewed Pricing", {}],
    ]);
  });

  it("PostHog's browser encodings: data= as base64 or plain, gzip, the `_` send time; an anonymous visitor's $session_id is the session", async () => {
    const ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
    const event = (uuid: string, name: string, seconds: number) => ({
      uuid,
      event: name,
      timestamp: at(seconds).toISOString(),
      properties: { distinct_id: "visitor-1", token: writeKey, $session_id: "browser-tab", $is_identified: false, $raw_user_agent: ua, $pathname: "/pricing" },
    });
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const base64 = Buffer.from(JSON.stringify([event("p-1", "$pageview", 0), event("p-2", "signup", 5)])).toString("base64");
    expect((await send("/e/?compression=base64", `data=${encodeURIComponent(base64)}`, form)).body).toMatchObject({ status: 1, accepted: 2 });
    expect((await send("/e/", `data=${encodeURIComponent(JSON.stringify(event("p-3", "checkout", 10)))}`, form)).body.accepted).toBe(1);
    // Sent by a device whose clock is ten minutes slow (its send time in `_`, epoch ms).
    const slow = { ...event("p-4", "checkout", 0), timestamp: new Date(+at(20) - 600_000).toISOString() };
    const gzipped = new Uint8Array(gzipSync(JSON.stringify({ api_key: writeKey, batch: [slow] })));
    expect((await send(`/batch/?compression=gzip-js&_=${Date.now() - 600_000}`, gzipped, { "content-type": "text/plain" })).body.accepted).toBe(1);
    expect((await send("/capture/", JSON.stringify({ api_key: writeKey, ...event("p-1", "$pageview", 0) }))).body.accepted).toBe(1);
    const [s] = await finalisedSessions("visitor-1", 4);
    expect(s).toMatchObject({ identified: false, clientSessionId: "browser-tab", userAgent: ua, durationSeconds: 20 });
    expect(s.businessEvents.map((e) => e.name)).toEqual(["Viewed Pricing", "Signed Up"]);
  });

  it("refuses what it can't take with a clear reason, in each SDK's field names, and stores only the good events", async () => {
    expect((await send("/v1/track", "{}", { authorization: "Basic " + Buffer.from("wrong:").toString("base64") })).status).toBe(401);
    expect((await send("/batch/", JSON.stringify({ api_key: "wrong", batch: [] }))).status).toBe(401);
    expect((await send("/v1/batch", "{not json", { authorization: basic() })).body).toMatchObject({ code: "VALIDATION", error: "Malformed JSON" });
    expect((await send("/e/", new Uint8Array([0x1f, 0x8b, 1, 2, 3]))).status).toBe(400);
    expect((await send("/v1/batch", JSON.stringify({ messages: [] }), { authorization: basic() })).body.error).toBe('Expected a message object, or {"batch": [...]} on /v1/batch');
    expect((await segment("teleport", { userId: "x" })).status).toBe(404);

    const seg = await segment("batch", {
      batch: [
        { type: "track", messageId: "r-1", userId: "refused-1", event: "kept", timestamp: at(0).toISOString() },
        { type: "track", messageId: "r-2", event: "no user", timestamp: at(1).toISOString() },
        { type: "teleport", messageId: "r-3", userId: "refused-1" },
        { type: "track", messageId: "r-4", userId: "refused-1", event: "e", timestamp: "yesterday" },
        { type: "track", messageId: "r-5", userId: "refused-1", timestamp: at(2).toISOString() },
      ],
    });
    expect(seg.body.accepted).toBe(1);
    expect(seg.body.rejected).toEqual([
      { index: 1, eventId: "r-2", reason: "userId or anonymousId is required" },
      { index: 2, eventId: "r-3", reason: "type must be one of track, page, screen, identify, alias, group" },
      { index: 3, eventId: "r-4", reason: "timestamp must be ISO-8601 with an offset" },
      { index: 4, eventId: "r-5", reason: "event must be a string of 1 to 200 characters" },
    ]);
    const ph = await send("/batch/", JSON.stringify({ api_key: writeKey, batch: [{ uuid: "q-1", event: "e", timestamp: at(0).toISOString() }, "junk", { uuid: "q-2", distinct_id: "refused-1", timestamp: at(3).toISOString() }] }));
    expect(ph.body.rejected).toEqual([
      { index: 0, eventId: "q-1", reason: "distinct_id is required" },
      { index: 1, eventId: null, reason: "must be an object" },
      { index: 2, eventId: "q-2", reason: "event must be a string of 1 to 200 characters" },
    ]);
    expect((await finalisedSessions("refused-1", 1))[0].rawEventCount).toBe(1);
  });

  it("refuses an event nested too deep on every path, alone: the rest of its batch is stored", async () => {
    // Written as text: JSON.stringify can't write 100,000 levels, which JSON.parse reads.
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const time = (seconds: number) => JSON.stringify(at(seconds).toISOString());
    const direct = await fetch(`${url}/api/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${writeKey}`, "content-type": "application/json" },
      body: `{"events": [{"eventId": "d-1", "userId": "deep-1", "name": "e", "timestamp": ${time(0)}, "properties": {"a": ${deep}}},
        {"eventId": "d-2", "userId": "deep-1", "name": "kept", "timestamp": ${time(1)}}]}`,
    });
    expect(direct.status).toBeLessThan(300);
    expect(await direct.json()).toMatchObject({ accepted: 1, rejected: [{ index: 0, eventId: "d-1", reason: "properties nested more than 64 levels deep" }] });
    // PostHog: a field the translation ignores, in a message without an id (so hashed whole for one).
    const ph = await send("/capture/", `{"api_key": "${writeKey}", "batch": [{"event": "e", "distinct_id": "deep-1", "timestamp": ${time(2)}, "extra": ${deep}},
      {"uuid": "d-3", "event": "kept", "distinct_id": "deep-1", "timestamp": ${time(3)}}]}`);
    expect(ph.body).toMatchObject({ accepted: 1, rejected: [{ index: 0, eventId: null, reason: "extra nested more than 64 levels deep" }] });
    const seg = await send("/v1/batch", `{"batch": [{"type": "track", "messageId": "d-4", "userId": "deep-1", "event": "e", "timestamp": ${time(4)}, "properties": {"a": ${deep}}},
      {"type": "track", "messageId": "d-5", "userId": "deep-1", "event": "kept", "timestamp": ${time(5)}}]}`, { authorization: basic() });
    expect(seg.body).toMatchObject({ accepted: 1, rejected: [{ index: 0, eventId: "d-4", reason: "properties nested more than 64 levels deep" }] });
    expect((await finalisedSessions("deep-1", 3))[0].rawEventCount).toBe(3);
  });

  it("lets browser SDKs post from the app's own origin", async () => {
    const res = await fetch(`${url}/e/`, { method: "OPTIONS", headers: { origin: "https://shop.test", "access-control-request-method": "POST" } });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });
});
