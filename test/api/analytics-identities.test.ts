// An anonymous visitor who signs up keeps their history: identifies and aliases, sent by the real
// Segment and PostHog SDKs or to POST /api/events, link the anonymous id to the user id, and the
// sessions of either id are the user's, before and after sign-in, live and late.
import { Analytics } from "@segment/analytics-node";
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

beforeAll(async () => {
  stack = await startStack({ worker: true });
  url = stack.urls[0];
});
// A hook of its own: on a busy machine, starting the stack and setting up the workspace each take a while.
beforeAll(async () => {
  owner = { token: (await newWorkspace(url)).owner.token };
  // A one-minute inactivity window: visits of half an hour ago are finalised at once.
  await ok(url, `mutation { updateAnalyticsSettings(input: { inactivityMinutes: 1 }) { ... on AnalyticsSettings { inactivityMinutes } } }`, {}, owner);
  const app = await ok(url, `mutation { createAnalyticsApp(input: { name: "Shop" }) { ... on AnalyticsAppWithKey { writeKey app { id } } } }`, {}, owner);
  writeKey = app.createAnalyticsApp.writeKey;
  const define = (input: object) =>
    ok(url, `mutation($app: ID!, $input: BusinessEventDefinitionInput!) { createBusinessEventDefinition(input: { appId: $app, definition: $input }) { __typename } }`, { app: app.createAnalyticsApp.app.id, input }, owner);
  await define({ name: "Viewed Pricing", eventName: "pricing_viewed" });
  await define({ name: "Signed Up", eventName: "signup" });
});
afterAll(() => stack?.stop());

/** Seconds from half an hour ago (the visits of each test apart from the others'). */
const base = Date.now() - 30 * 60_000;
const at = (seconds: number) => new Date(base + seconds * 1000);

interface Session {
  id: string;
  userId: string;
  anonymousId: string | null;
  identified: boolean;
  inProgress: boolean;
  startedAt: string;
  rawEventCount: number;
  businessEvents: { name: string }[];
}

const SESSIONS = `query($f: UserSessionFilter) { userSessions(filter: $f, first: 50) { edges { node {
  id userId anonymousId identified inProgress startedAt rawEventCount businessEvents { name } } } } }`;

/** What the user-id filter finds, oldest first. */
async function found(search: string): Promise<Session[]> {
  const edges = (await ok(url, SESSIONS, { f: { userIdSearch: search } }, owner)).userSessions.edges;
  return edges.map((e: { node: Session }) => e.node).sort((a: Session, b: Session) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
}

const finalised = (sessions: Session[]) => sessions.every((s) => !s.inProgress);
const events = (sessions: Session[]) => sessions.reduce((n, s) => n + s.rawEventCount, 0);
/** Sessions as a reader compares them: whose, since when (to the second: SDKs correct times for clock skew by milliseconds), how many events. */
const shape = (sessions: Session[]) => sessions.map((s) => [s.userId, s.anonymousId, Math.round((Date.parse(s.startedAt) - base) / 1000), s.rawEventCount]);

const post = async (list: object[]) => {
  const res = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${writeKey}`, "content-type": "application/json" }, body: JSON.stringify({ events: list }) });
  return { status: res.status, body: await res.json() };
};
const ev = (eventId: string, who: { userId?: string; anonymousId?: string }, name: string, seconds: number, properties: object = {}) => ({
  eventId,
  ...who,
  name,
  timestamp: at(seconds).toISOString(),
  properties,
});

describe("identities", () => {
  it("Segment: sessions before and after sign-in are the user's, the visit that spans it one session; the user-id filter finds them all", async () => {
    const before = new Analytics({ writeKey, host: url, flushAt: 100, flushInterval: 60_000 });
    before.track({ anonymousId: "anon-a", event: "pricing_viewed", timestamp: at(0) });
    before.track({ anonymousId: "anon-a", event: "page", timestamp: at(20) });
    // The visit that signs in, begun anonymously.
    before.track({ anonymousId: "anon-a", event: "pricing_viewed", timestamp: at(300) });
    await before.closeAndFlush();
    await until(() => found("anon-a"), (s) => events(s) === 3);

    const after = new Analytics({ writeKey, host: url, flushAt: 100, flushInterval: 60_000 });
    after.identify({ userId: "user-a", anonymousId: "anon-a", traits: { plan: "pro" }, timestamp: at(320) });
    after.track({ userId: "user-a", event: "signup", timestamp: at(340) });
    // A later visit, partly signed out on the same device.
    after.track({ userId: "user-a", event: "page", timestamp: at(900) });
    after.track({ anonymousId: "anon-a", event: "page", timestamp: at(920) });
    await after.closeAndFlush();

    const sessions = await until(() => found("user-a"), (s) => events(s) === 7 && s.length === 3 && finalised(s));
    expect(sessions.map((s) => s.inProgress)).toEqual([false, false, false]);
    expect(shape(sessions)).toEqual([
      ["user-a", "anon-a", 0, 2],
      ["user-a", "anon-a", 300, 3],
      ["user-a", "anon-a", 900, 2],
    ]);
    expect(sessions.every((s) => s.identified)).toBe(true);
    expect(sessions[1].businessEvents.map((e) => e.name)).toEqual(["Viewed Pricing", "Signed Up"]);
    // The anonymous id finds the same sessions; none is left under it alone.
    expect(shape(await found("anon-a"))).toEqual(shape(sessions));
  });

  it("PostHog: a visit in progress that signs in goes on as the same session, now the user's", async () => {
    const posthog = new PostHog(writeKey, { host: url, flushAt: 1, flushInterval: 0 });
    posthog.capture({ distinctId: "ph-anon-b", event: "pricing_viewed", properties: { $is_identified: false }, timestamp: new Date(Date.now() - 20_000) });
    await posthog.flush();
    const [anonymous] = await until(() => found("ph-anon-b"), (s) => s.length === 1);
    expect(anonymous).toMatchObject({ userId: "ph-anon-b", identified: false, inProgress: true });

    posthog.identify({ distinctId: "ph-user-b", properties: { $anon_distinct_id: "ph-anon-b", plan: "pro" } });
    posthog.capture({ distinctId: "ph-user-b", event: "signup" });
    await posthog.shutdown();
    const sessions = await until(() => found("ph-user-b"), (s) => events(s) === 3);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ id: anonymous.id, userId: "ph-user-b", anonymousId: "ph-anon-b", identified: true, rawEventCount: 3 });
  });

  it("a late identify moves finalised sessions under the user in the background and makes the visit it split one; sent again, it changes nothing", async () => {
    await post([
      ev("l-1", { anonymousId: "anon-l" }, "page", 100),
      ev("l-2", { anonymousId: "anon-l" }, "pricing_viewed", 600),
      ev("l-3", { anonymousId: "anon-l" }, "page", 620),
      ev("l-4", { userId: "user-l" }, "signup", 650),
      ev("l-5", { userId: "user-l" }, "page", 680),
    ]);
    const split = await until(
      async () => [...(await found("anon-l")), ...(await found("user-l"))],
      (s) => events(s) === 5 && finalised(s),
    );
    expect(shape(split)).toEqual([
      ["anon-l", null, 100, 1],
      ["anon-l", null, 600, 2],
      ["user-l", null, 650, 2],
    ]);

    const identify = ev("l-identify", { userId: "user-l", anonymousId: "anon-l" }, "$identify", 690);
    expect((await post([identify])).body).toMatchObject({ accepted: 1, rejected: [] });
    const joined = await until(() => found("user-l"), (s) => s.length === 2 && events(s) === 6 && finalised(s));
    expect(shape(joined)).toEqual([
      ["user-l", "anon-l", 100, 1],
      ["user-l", "anon-l", 600, 5],
    ]);
    // The earlier session survives the merge; both halves' business events are worked out again together.
    expect(joined[1].id).toBe(split[1].id);
    expect(joined[1].businessEvents.map((e) => e.name)).toEqual(["Viewed Pricing", "Signed Up"]);

    // A retry, and another identify of the same pair: the link is there already, nothing moves.
    await post([identify, ev("l-identify-2", { userId: "user-l", anonymousId: "anon-l" }, "$identify", 1000)]);
    const again = await until(() => found("user-l"), (s) => events(s) === 7 && finalised(s));
    expect(shape(again)).toEqual([...shape(joined), ["user-l", "anon-l", 1000, 1]]);
    expect(again.slice(0, 2).map((s) => s.id)).toEqual(joined.map((s) => s.id));
  });

  it("PostHog alias of two user ids: the previous id's sessions, earlier and later, are the new id's", async () => {
    await post([ev("m-1", { userId: "old-m" }, "page", 1000)]);
    await until(() => found("old-m"), (s) => s.length === 1 && finalised(s));
    const posthog = new PostHog(writeKey, { host: url, flushAt: 1, flushInterval: 0 });
    posthog.alias({ distinctId: "new-m", alias: "old-m" });
    await posthog.shutdown();
    await until(() => found("new-m"), (s) => s.length === 2);
    await post([ev("m-2", { userId: "old-m" }, "page", 1300)]);
    const sessions = await until(() => found("new-m"), (s) => events(s) === 3 && s.every((x) => x.userId === "new-m"));
    expect(sessions.map((s) => [s.userId, s.rawEventCount])).toEqual([
      ["new-m", 1],
      ["new-m", 1],
      ["new-m", 1],
    ]);
    expect(await found("old-m")).toEqual([]);
  });

  it("concurrent identifies of one anonymous id as different users store one link: the first wins, and stays", async () => {
    await post([ev("c-0", { anonymousId: "anon-c" }, "page", 1100)]);
    await until(() => found("anon-c"), (s) => s.length === 1);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => post([ev(`c-identify-${i}`, { userId: `user-c${i}`, anonymousId: "anon-c" }, "$identify", 1200 + i)])),
    );
    expect(answers.map((a) => [a.status < 300, a.body.accepted])).toEqual(answers.map(() => [true, 1]));
    // The anonymous visitor comes back after signing in.
    await post([ev("c-9", { anonymousId: "anon-c" }, "page", 1400)]);
    const sessions = await until(() => found("anon-c"), (s) => s.length === 3 && s.every((x) => x.userId !== "anon-c"));
    const winner = sessions[0].userId;
    expect(winner).toMatch(/^user-c\d$/);
    expect(sessions.map((s) => [s.userId, s.anonymousId])).toEqual([
      [winner, "anon-c"],
      [winner, "anon-c"],
      [winner, "anon-c"],
    ]);
    // The others kept their identify's own session, without the anonymous id.
    const losers = (await found("user-c")).filter((s) => s.userId !== winner);
    expect(losers.map((s) => [s.anonymousId, s.rawEventCount])).toEqual(Array.from({ length: 7 }, () => [null, 1]));
  });

  it("refuses an identify without a user id and an alias without the id it aliases, naming the field in each SDK's words, and stores nothing", async () => {
    const basic = `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`;
    const send = async (path: string, body: object, headers: Record<string, string> = {}) =>
      (await fetch(url + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) })).json();
    const time = at(1500).toISOString();
    expect(await send("/v1/identify", { messageId: "x-1", anonymousId: "anon-x", traits: {}, timestamp: time }, { authorization: basic })).toMatchObject({
      accepted: 0,
      rejected: [{ index: 0, eventId: "x-1", reason: "userId is required for $identify" }],
    });
    expect(await send("/v1/alias", { messageId: "x-2", userId: "user-x", timestamp: time }, { authorization: basic })).toMatchObject({
      accepted: 0,
      rejected: [{ index: 0, eventId: "x-2", reason: "previousId must be a string of 1 to 200 characters" }],
    });
    const posthog = { api_key: writeKey, batch: [{ uuid: "x-3", event: "$identify", distinct_id: "anon-x", properties: { $is_identified: false }, timestamp: time }] };
    expect(await send("/batch/", posthog)).toMatchObject({ accepted: 0, rejected: [{ index: 0, eventId: "x-3", reason: "distinct_id is required for $identify" }] });
    expect((await post([ev("x-4", { userId: "user-x" }, "$create_alias", 1500)])).body).toMatchObject({
      accepted: 0,
      rejected: [{ index: 0, eventId: "x-4", reason: "properties.alias must be a string of 1 to 200 characters" }],
    });
    expect(await found("-x")).toEqual([]);
  });
});
