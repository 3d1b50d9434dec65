import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, rowId, signIn, subscribe, tokenFor, wsClient } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { query, queuedBehind } from "../support/queued.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: string;
let writeKey: string;
let appId: string;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack({ worker: true });
  url = stack.urls[0];
  ws = await newWorkspace(url);
  owner = await signIn(url, ws.owner.email);
  const created = await ok(url, `mutation { createAnalyticsApp(input: { name: "Web app" }) { ... on AnalyticsAppWithKey { writeKey app { id } } } }`, {}, { cookie: owner });
  writeKey = created.createAnalyticsApp.writeKey;
  appId = created.createAnalyticsApp.app.id;
});
afterAll(() => stack?.stop());

const post = async (events: unknown[], key = writeKey) => {
  const res = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  return { status: res.status, body: await res.json() };
};

/** Minutes from a fixed point two hours ago, as ISO timestamps. */
const base = Date.now() - 2 * 3600_000;
const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
const ev = (eventId: string, userId: string, minutes: number, extra: object = {}) => ({ eventId, userId, name: "page_view", timestamp: at(minutes), ...extra });

const SESSIONS = `query($f: UserSessionFilter, $s: UserSessionSort, $first: Int, $after: String) {
  userSessions(filter: $f, sort: $s, first: $first, after: $after) {
    edges { cursor node { id userId startedAt lastEventAt durationSeconds rawEventCount isBot isDev isInternal inProgress clientSessionId } }
    pageInfo { hasNextPage endCursor } } }`;

const sessionsOf = async (userId: string, filter: object = {}) =>
  (await ok(url, SESSIONS, { f: { userIdSearch: userId, ...filter } }, { cookie: owner })).userSessions.edges.map((e: { node: any }) => e.node).filter((n: { userId: string }) => n.userId === userId);

const totalEvents = (sessions: { rawEventCount: number }[]) => sessions.reduce((n, s) => n + s.rawEventCount, 0);

describe("ingestion", () => {
  it("stores the good events of a batch, gives each bad one its reason, clamps the future, and stores nothing twice", async () => {
    const batch = [
      ev("i1", "ana", 0),
      ev("i2", "ana", 5, { properties: { page: "/pricing" } }),
      ev("i3", "ana", 7, { timestamp: new Date(Date.now() + 365 * 86_400_000).toISOString() }),
      { eventId: "bad1", name: "page_view", timestamp: at(1) },
      { eventId: "bad2", userId: "ana", name: "page_view", timestamp: "yesterday" },
      ev("bad3", "ana", 2, { properties: "x" }),
    ];
    const first = await post(batch);
    expect([200, 202]).toContain(first.status);
    expect(first.body.accepted).toBe(3);
    expect(first.body.rejected.map((r: { eventId: string; reason: string }) => [r.eventId, r.reason])).toEqual([
      ["bad1", "userId or anonymousId is required"],
      ["bad2", "timestamp must be ISO-8601 with an offset"],
      ["bad3", "properties must be an object"],
    ]);
    const stored = await until(() => sessionsOf("ana"), (s) => totalEvents(s) === 3);
    expect(totalEvents(stored)).toBe(3);
    // The clamped event landed at the receive time, far from the others: a session of its own.
    expect(stored.map((s: { rawEventCount: number }) => s.rawEventCount).sort()).toEqual([1, 2]);
    const clamped = stored.find((s: { rawEventCount: number }) => s.rawEventCount === 1);
    expect(Math.abs(Date.parse(clamped.startedAt) - Date.now())).toBeLessThan(60_000);

    // The client retries the same batch (its answer was lost), then sends one more event.
    const retry = await post(batch);
    expect(retry.body.accepted).toBe(3);
    // Stored before the answer (no queue): the answer says what a retry skipped.
    if (retry.status === 200) expect(retry.body.duplicates).toBe(3);
    await post([ev("i4", "ana", 6)]);
    await until(() => sessionsOf("ana"), (s) => totalEvents(s) === 4);
    await new Promise((r) => setTimeout(r, 1000));
    const after = await sessionsOf("ana");
    expect(totalEvents(after)).toBe(4);
    expect(after).toHaveLength(2);
  });

  it("puts late events into their session and merges two sessions a late event bridges", async () => {
    await post([ev("l1", "ben", 0), ev("l2", "ben", 10), ev("l3", "ben", 50), ev("l4", "ben", 60)]);
    const two = await until(() => sessionsOf("ben"), (s) => totalEvents(s) === 4);
    expect(two).toHaveLength(2);
    // Late and out of order: one joins the second session at its start, one bridges the gap.
    await post([ev("l5", "ben", 45)]);
    await until(() => sessionsOf("ben"), (s) => totalEvents(s) === 5);
    await post([ev("l6", "ben", 28)]);
    const one = await until(() => sessionsOf("ben"), (s) => s.length === 1);
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ startedAt: at(0), lastEventAt: at(60), rawEventCount: 6, durationSeconds: 3600 });
  });

  it("keeps one session and no duplicate events under concurrent, overlapping batches of one user", async () => {
    const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 20 }, (_, i) => ev(`cc${(b * 10 + i) % 70}`, "dora", ((b * 10 + i) % 70) / 10)));
    const answers = await Promise.all(batches.map((batch) => post(batch)));
    expect(answers.every((a) => a.body.accepted === 20)).toBe(true);
    const sessions = await until(() => sessionsOf("dora"), (s) => totalEvents(s) === 70);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ rawEventCount: 70, startedAt: at(0), lastEventAt: at(6.9) });
  });

  it("honours the app's own session id across any gap", async () => {
    await post([ev("c1", "cara", 0, { sessionId: "tab-1" }), ev("c2", "cara", 90, { sessionId: "tab-1" }), ev("c3", "cara", 91)]);
    const sessions = await until(() => sessionsOf("cara"), (s) => totalEvents(s) === 3);
    expect(sessions.map((s: { clientSessionId: string | null; rawEventCount: number }) => [s.clientSessionId, s.rawEventCount]).sort()).toEqual([
      [null, 1],
      ["tab-1", 2],
    ]);
  });

  it("flags bots, development traffic and internal users; filters leave them out", async () => {
    await post([
      ev("b1", "crawler-1", 0, { userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" }),
      ev("b2", "dev-1", 0, { environment: "development" }),
      ev("b4", "human-1", 0, { userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36" }),
    ]);
    const internal = await ok(url, `mutation { createAnalyticsApp(input: { name: "Admin", internalUserIds: ["staff-1"] }) { ... on AnalyticsAppWithKey { writeKey } } }`, {}, { cookie: owner });
    await post([ev("b3", "staff-1", 0)], internal.createAnalyticsApp.writeKey);
    await until(() => sessionsOf("human-1"), (s) => s.length === 1);
    await until(() => sessionsOf("staff-1"), (s) => s.length === 1);
    const flags = async (userId: string) => (await sessionsOf(userId))[0];
    expect(await flags("crawler-1")).toMatchObject({ isBot: true, isDev: false });
    expect(await flags("dev-1")).toMatchObject({ isBot: false, isDev: true });
    expect(await flags("staff-1")).toMatchObject({ isInternal: true });
    expect(await flags("human-1")).toMatchObject({ isBot: false, isDev: false, isInternal: false });
    const clean = (await ok(url, SESSIONS, { f: { excludeBots: true, excludeDev: true }, first: 100 }, { cookie: owner })).userSessions.edges.map((e: { node: { userId: string } }) => e.node.userId);
    expect(clean).toContain("human-1");
    expect(clean).not.toContain("crawler-1");
    expect(clean).not.toContain("dev-1");
    expect(clean).not.toContain("staff-1");
  });

  it("refuses unknown write keys, malformed JSON and oversized bodies", async () => {
    expect((await post([ev("x1", "x", 0)], "sp_wk_nope")).status).toBe(401);
    const malformed = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${writeKey}` }, body: "{nope" });
    expect(malformed.status).toBe(400);
    const huge = JSON.stringify({ events: [ev("h1", "x", 0, { properties: { blob: "x".repeat(6_000_000) } })] });
    const tooLarge = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${writeKey}`, "content-type": "application/json" }, body: huge });
    expect(tooLarge.status).toBe(413);
  });
});

describe("session list", () => {
  it("shows the demo workspace's seeded sessions, finalised with their flows", async () => {
    // The one test of the demo's own contents: its seeded visit of alice, in the demo workspace.
    const demoOwner = await signIn(url, "owner@demo.test");
    const { viewer } = await ok(url, `{ viewer { workspaces { id name } } }`, {}, { cookie: demoOwner });
    const demoWorkspace = viewer.workspaces.find((w: { name: string }) => w.name === "Demo Workspace").id;
    await ok(url, `mutation($w: ID!) { switchWorkspace(input: { workspaceId: $w }) { __typename } }`, { w: demoWorkspace }, { cookie: demoOwner });
    const { userSessions } = await ok(url, SESSIONS, { f: { userIdSearch: "alice@example.com", startedFrom: new Date(Date.now() - 3 * 86_400_000).toISOString() } }, { cookie: demoOwner });
    const demo = userSessions.edges.map((e: { node: { userId: string; inProgress: boolean } }) => e.node).filter((n: { userId: string }) => n.userId === "alice@example.com");
    expect(demo).toHaveLength(1);
    expect(demo[0].inProgress).toBe(false);
  });

  it("pages with cursors, sorts by start or last event, and checks its filter", async () => {
    const users = ["pg-1", "pg-2", "pg-3"];
    await post(users.map((u, i) => ev(`p${i}`, u, 100 + i)).concat([ev("p9", "pg-1", 104)]));
    const page = async (sort: string, after?: string) =>
      (await until(() => ok(url, SESSIONS, { f: { userIdSearch: "PG-" }, s: sort, first: 2, after }, { cookie: owner }), (d) => d.userSessions.edges.length > 0)).userSessions;
    await until(() => ok(url, SESSIONS, { f: { userIdSearch: "pg-" } }, { cookie: owner }), (d) => totalEvents(d.userSessions.edges.map((e: { node: any }) => e.node)) === 4);
    const first = await page("STARTED_AT");
    expect(first.edges.map((e: { node: { userId: string } }) => e.node.userId)).toEqual(["pg-3", "pg-2"]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page("STARTED_AT", first.pageInfo.endCursor);
    expect(second.edges.map((e: { node: { userId: string } }) => e.node.userId)).toEqual(["pg-1"]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const byLast = await page("LAST_EVENT_AT");
    expect(byLast.edges[0].node.userId).toBe("pg-1");

    const bad = await gql(url, `query { userSessions(first: 500, filter: { minDurationSeconds: 10, maxDurationSeconds: 5 }) { edges { cursor } } }`, {}, { cookie: owner });
    expect(JSON.stringify(bad.body)).toContain("Must not be below the minimum");
    const employee = await signIn(url, ws.employee.email);
    const denied = await gql(url, `query { userSessions { edges { cursor } } }`, {}, { cookie: employee });
    expect(denied.body.errors?.[0].extensions?.code).toBe("FORBIDDEN");
  });
});

describe("apps and definitions", () => {
  const CREATE = `mutation($n: String!) { createAnalyticsApp(input: { name: $n }) { __typename ... on AnalyticsAppWithKey { writeKey app { id name } } ... on ValidationError { problems { path message } } ... on ForbiddenError { code } } }`;
  const DEFINE = `mutation($a: ID!, $i: BusinessEventDefinitionInput!) { createBusinessEventDefinition(input: { appId: $a, definition: $i }) {
    __typename ... on ValidationError { problems { path message } } ... on BusinessEventDefinition { id name conditions { property op value } } } }`;

  it("keeps app names unique per workspace, even when created at the same time, and only lets managers of analytics create them", async () => {
    const results = await Promise.all([1, 2, 3].map(() => ok(url, CREATE, { n: "Mobile" }, { cookie: owner })));
    const types = results.map((r) => r.createAnalyticsApp.__typename).sort();
    expect(types).toEqual(["AnalyticsAppWithKey", "ValidationError", "ValidationError"]);
    expect(results.find((r) => r.createAnalyticsApp.problems)!.createAnalyticsApp.problems).toEqual([{ path: ["name"], message: "An app with this name exists" }]);
    const blank = await ok(url, CREATE, { n: "  " }, { cookie: owner });
    expect(blank.createAnalyticsApp.problems).toEqual([{ path: ["name"], message: "Required" }]);
    const lisa = await signIn(url, ws.manager.email);
    expect((await ok(url, CREATE, { n: "Lisa's" }, { cookie: lisa })).createAnalyticsApp).toEqual({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    // Managers read analytics, though.
    expect((await ok(url, `{ analyticsApps { nodes { name } } }`, {}, { cookie: lisa })).analyticsApps.nodes.map((a: { name: string }) => a.name)).toContain("Mobile");
  });

  it("names each failing field of a definition and stores nothing", async () => {
    const bad = await ok(
      url,
      DEFINE,
      { a: appId, i: { name: "", eventName: "checkout", conditions: [{ property: "total", op: "GT", value: "lots" }, { property: " ", op: "EXISTS" }], parameters: [""] } },
      { cookie: owner },
    );
    expect(bad.createBusinessEventDefinition.problems).toEqual([
      { path: ["input", "definition", "name"], message: "1 to 100 characters" },
      { path: ["input", "definition", "conditions", "0", "value"], message: "Must be a number" },
      { path: ["input", "definition", "conditions", "1", "property"], message: "Required" },
      { path: ["input", "definition", "parameters", "0"], message: "Must not be empty" },
    ]);
    const { node } = await ok(url, `query($id: ID!) { node(id: $id) { ... on AnalyticsApp { businessEventDefinitions { name } } } }`, { id: appId }, { cookie: owner });
    expect(node.businessEventDefinitions.map((d: { name: string }) => d.name)).not.toContain("");
    const good = await ok(url, DEFINE, { a: appId, i: { name: "Big Checkout", eventName: "checkout", conditions: [{ property: "total", op: "GT", value: 100 }] } }, { cookie: owner });
    expect(good.createBusinessEventDefinition).toMatchObject({ name: "Big Checkout", conditions: [{ property: "total", op: "GT", value: 100 }] });
    const removed = await ok(url, `mutation($id: ID!) { deleteBusinessEventDefinition(input: { id: $id }) { __typename } }`, { id: good.createBusinessEventDefinition.id }, { cookie: owner });
    expect(removed.deleteBusinessEventDefinition.__typename).toBe("BusinessEventDefinition");
  });

  it("a rotated write key works at once; a deleted app takes its sessions with it", async () => {
    const created = (await ok(url, CREATE, { n: "Short-lived" }, { cookie: owner })).createAnalyticsApp;
    const rotated = await ok(url, `mutation($id: ID!) { rotateAnalyticsWriteKey(input: { id: $id }) { ... on AnalyticsAppWithKey { writeKey } } }`, { id: created.app.id }, { cookie: owner });
    const key = rotated.rotateAnalyticsWriteKey.writeKey;
    expect(key).not.toBe(created.writeKey);
    expect((await post([ev("sl1", "short-1", 0)], key)).body.accepted).toBe(1);
    await until(() => sessionsOf("short-1"), (s) => s.length === 1);
    const deleted = await ok(url, `mutation($id: ID!) { deleteAnalyticsApp(input: { id: $id }) { __typename } }`, { id: created.app.id }, { cookie: owner });
    expect(deleted.deleteAnalyticsApp.__typename).toBe("AnalyticsApp");
    expect(await sessionsOf("short-1")).toEqual([]);
  });
});

describe("deleting an app while a batch of it is being stored", () => {
  it("waits for the batch and takes its raw events with the app", async () => {
    if (!stack.databaseUrl) return; // the embedded database belongs to the server process
    const created = (await ok(url, `mutation { createAnalyticsApp(input: { name: "Deleted mid-batch" }) { ... on AnalyticsAppWithKey { writeKey app { id } } } }`, {}, { cookie: owner })).createAnalyticsApp;
    const key = created.writeKey;
    expect((await post([ev("mid-1", "mid-user", 0)], key)).body.accepted).toBe(1);
    await until(() => sessionsOf("mid-user"), (s) => s.length === 1);
    const app = rowId(created.app.id);
    // Holding the visitor's session row, the next batch (stored by the worker) waits to store its event into it.
    const [, deleted] = await queuedBehind(stack.databaseUrl, [`SELECT 1 FROM "UserSession" WHERE "appId" = $1 FOR UPDATE`, [app]], [
      () => post([ev("mid-2", "mid-user", 1)], key),
      () => ok(url, `mutation($id: ID!) { deleteAnalyticsApp(input: { id: $id }) { __typename } }`, { id: created.app.id }, { cookie: owner }),
    ]);
    expect((deleted as { deleteAnalyticsApp: unknown }).deleteAnalyticsApp).toEqual({ __typename: "AnalyticsApp" });
    const left = await query(stack.databaseUrl, `SELECT (SELECT count(*)::int FROM "RawEvent" WHERE "appId" = $1) AS events, (SELECT count(*)::int FROM "AnalyticsEventId" WHERE "appId" = $1) AS ids`, [app]);
    expect(left).toEqual([{ events: 0, ids: 0 }]);
  });
});

describe("live", () => {
  it("pushes sessions as they appear, grow and merge; members without analytics access get nothing", async () => {
    const client = wsClient(url, { token: await tokenFor(url, ws.owner.email) });
    const sub = subscribe<{ userSessionsChanged: { changed: { id: string; userId: string; rawEventCount: number; inProgress: boolean }[]; removedIds: string[] } }>(
      client,
      `subscription { userSessionsChanged { changed { id userId rawEventCount inProgress } removedIds } }`,
    );
    // Subscribed once a warm-up event comes through.
    for (let i = 0; ; i++) {
      await post([ev(`warm-${i}`, "live-warm", i)]);
      if (await sub.next((v) => v.userSessionsChanged.changed.some((c) => c.userId === "live-warm"), 500).catch(() => null)) break;
    }
    const forUser = (n: number) => (v: { userSessionsChanged: { changed: { userId: string; rawEventCount: number }[] } }) =>
      v.userSessionsChanged.changed.some((c) => c.userId === "live-1" && c.rawEventCount === n);
    await post([ev("lv1", "live-1", 0)]);
    const appeared = await sub.next(forUser(1));
    expect(appeared.userSessionsChanged.changed[0]).toMatchObject({ userId: "live-1", inProgress: true });
    await post([ev("lv2", "live-1", 50)]);
    await sub.next(forUser(1));
    await post([ev("lv3", "live-1", 25)]);
    const merged = await sub.next((v) => v.userSessionsChanged.removedIds.length > 0);
    expect(merged.userSessionsChanged.changed[0]).toMatchObject({ userId: "live-1", rawEventCount: 3 });
    expect(merged.userSessionsChanged.removedIds).toHaveLength(1);
    sub.dispose();
    await client.dispose();

    const employee = wsClient(url, { token: await tokenFor(url, ws.employee.email) });
    const denied = subscribe(employee, `subscription { userSessionsChanged { removedIds } }`);
    await new Promise((r) => setTimeout(r, 500));
    expect(JSON.stringify(denied.errors)).toContain("permission");
    await employee.dispose();
  });
});

describe("finalisation", () => {
  const DETAIL = `query($id: ID!) { node(id: $id) { ... on UserSession { inProgress title businessEventCount rawEventCount
    summary { title tldr narrative source }
    businessEvents { position name description parameters isError }
    flowOutcomes { flowName outcome lastStep mistakeCount durationSeconds } } } }`;
  const recent = Date.now() - 20 * 60_000;
  const sec = (s: number) => new Date(recent + s * 1000).toISOString();
  const step = (eventId: string, userId: string, name: string, s: number, properties: object = {}) => ({ eventId, userId, name, timestamp: sec(s), properties });

  beforeAll(async () => {
    await ok(url, `mutation { updateAnalyticsSettings(input: { inactivityMinutes: 1 }) { ... on AnalyticsSettings { inactivityMinutes } } }`, {}, { cookie: owner });
    const define = (input: object) =>
      ok(url, `mutation($app: ID!, $input: BusinessEventDefinitionInput!) { createBusinessEventDefinition(input: { appId: $app, definition: $input }) { __typename ... on Error { message } } }`, { app: appId, input }, { cookie: owner });
    await define({ name: "Signed Up", eventName: "signup", descriptionTemplate: "Signed up with {{method}}", parameters: ["method"] });
    await define({ name: "Created Project", eventName: "project_created", descriptionTemplate: "Created project {{name}}", parameters: ["name"] });
    await define({ name: "Invited Member", eventName: "invite", conditions: [{ property: "role", op: "EXISTS" }], parameters: ["role"] });
    await define({ name: "Form Error", eventName: "error", isError: true, descriptionTemplate: "{{message}}", parameters: ["message"] });
    const flow = await ok(
      url,
      `mutation($app: ID!, $input: FlowDefinitionInput!) { createFlowDefinition(input: { appId: $app, definition: $input }) { __typename ... on ValidationError { problems { path message } } } }`,
      { app: appId, input: { name: "Onboarding", steps: ["Signed Up", "Created Project", "Invited Member"] } },
      { cookie: owner },
    );
    expect(flow.createFlowDefinition.__typename).toBe("FlowDefinition");
  });

  const finalised = async (userId: string) => {
    const [s] = await until(() => sessionsOf(userId), (list) => list.length === 1 && !list[0].inProgress);
    expect(s.inProgress).toBe(false);
    return (await ok(url, DETAIL, { id: s.id }, { cookie: owner })).node;
  };

  it("rejects a flow whose steps are not business events of the app", async () => {
    const res = await ok(
      url,
      `mutation($app: ID!, $input: FlowDefinitionInput!) { createFlowDefinition(input: { appId: $app, definition: $input }) { __typename ... on ValidationError { problems { path message } } } }`,
      { app: appId, input: { name: "Broken", steps: ["Signed Up", "Teleported"] } },
      { cookie: owner },
    );
    expect(res.createFlowDefinition.problems).toEqual([{ path: ["input", "definition", "steps", "1"], message: 'No business event named "Teleported" in this app' }]);
  });

  it("Completed: business events numbered with parameters, a flow outcome and a summary", async () => {
    await post([
      step("fd1", "f-done", "signup", 0, { method: "google" }),
      step("fd2", "f-done", "page_view", 50),
      step("fd3", "f-done", "page_view", 100),
      step("fd4", "f-done", "project_created", 120, { name: "Apollo" }),
      step("fd5", "f-done", "page_view", 170),
      step("fd6", "f-done", "page_view", 220),
      step("fd7", "f-done", "invite", 252, { role: "admin" }),
    ]);
    const s = await finalised("f-done");
    expect(s.businessEvents).toEqual([
      { position: 1, name: "Signed Up", description: "Signed up with google", parameters: { method: "google" }, isError: false },
      { position: 2, name: "Created Project", description: "Created project Apollo", parameters: { name: "Apollo" }, isError: false },
      { position: 3, name: "Invited Member", description: "Invited Member", parameters: { role: "admin" }, isError: false },
    ]);
    expect(s.flowOutcomes).toEqual([{ flowName: "Onboarding", outcome: "COMPLETED", lastStep: "Invited Member", mistakeCount: 0, durationSeconds: 252 }]);
    expect(s.summary).toMatchObject({ title: "Completed Onboarding", tldr: "Completed Onboarding in 4:12 - 3 business events", source: "deterministic" });
    expect(s).toMatchObject({ title: "Completed Onboarding", businessEventCount: 3, rawEventCount: 7 });
    const completed = (await ok(url, SESSIONS, { f: { flowOutcome: "COMPLETED", appId } }, { cookie: owner })).userSessions.edges.map((e: { node: { userId: string } }) => e.node.userId);
    expect(completed).toEqual(["f-done"]);
  });

  it("Mistakes: completed with an error along the way", async () => {
    await post([
      step("fm1", "f-oops", "signup", 0),
      step("fm2", "f-oops", "error", 20, { message: "Name is required" }),
      step("fm3", "f-oops", "project_created", 40, { name: "X" }),
      step("fm4", "f-oops", "invite", 60, { role: "viewer" }),
    ]);
    const s = await finalised("f-oops");
    expect(s.flowOutcomes[0]).toMatchObject({ outcome: "MISTAKES", mistakeCount: 1 });
    expect(s.summary.tldr).toBe("Completed Onboarding with mistakes in 1:00 - 4 business events - 1 error");
    expect(s.businessEvents[1]).toMatchObject({ position: 2, name: "Form Error", description: "Name is required", isError: true });
  });

  it("Dropped-off: started, never finished, the last step kept; a late event makes it summarised again", async () => {
    await post([step("fq1", "f-quit", "signup", 0), step("fq2", "f-quit", "project_created", 30, { name: "Y" })]);
    const s = await finalised("f-quit");
    expect(s.flowOutcomes[0]).toMatchObject({ outcome: "DROPPED_OFF", lastStep: "Created Project" });
    expect(s.summary.tldr).toBe("Dropped off Onboarding at Created Project after 0:30 - 2 business events");
    const dropped = (await ok(url, SESSIONS, { f: { flowOutcome: "DROPPED_OFF", appId } }, { cookie: owner })).userSessions.edges.map((e: { node: { userId: string } }) => e.node.userId);
    expect(dropped).toEqual(["f-quit"]);

    // The invite was sent from a phone that was offline: it arrives late and completes the flow.
    await post([step("fq3", "f-quit", "invite", 50, { role: "admin" })]);
    const again = await until(
      async () => (await ok(url, DETAIL, { id: (await sessionsOf("f-quit"))[0].id }, { cookie: owner })).node,
      (n) => !n.inProgress && n.summary.source === "deterministic" && n.flowOutcomes[0].outcome === "COMPLETED",
    );
    expect(again.summary.tldr).toBe("Completed Onboarding in 0:50 - 3 business events");
  });

  it("filters by business event count, duration and time range", async () => {
    const users = async (f: object) =>
      (await ok(url, SESSIONS, { f: { appId, userIdSearch: "f-", ...f } }, { cookie: owner })).userSessions.edges.map((e: { node: { userId: string } }) => e.node.userId).sort();
    expect(await users({})).toEqual(["f-done", "f-oops", "f-quit"]);
    expect(await users({ minBusinessEvents: 4 })).toEqual(["f-oops"]);
    expect(await users({ maxBusinessEvents: 3 })).toEqual(["f-done", "f-quit"]);
    expect(await users({ minDurationSeconds: 200 })).toEqual(["f-done"]);
    expect(await users({ maxDurationSeconds: 60 })).toEqual(["f-oops", "f-quit"]);
    expect(await users({ startedFrom: sec(-60), startedBefore: sec(60) })).toEqual(["f-done", "f-oops", "f-quit"]);
    expect(await users({ startedBefore: sec(-60) })).toEqual([]);
  });

  it("filters by business events or flow outcome only among finalised sessions: one in progress has no final count yet", async () => {
    const now = Date.now();
    await post([0, 1, 2].map((i) => ({ eventId: `unfinished-${i}`, userId: "unfinished-user", name: i ? "project_created" : "signup", timestamp: new Date(now - (3 - i) * 1000).toISOString() })));
    const users = async (f: object) =>
      (await ok(url, SESSIONS, { f: { appId, userIdSearch: "unfinished-user", ...f } }, { cookie: owner })).userSessions.edges.map((e: { node: { userId: string; inProgress: boolean } }) => e.node);
    const [live] = await until(() => users({}), (list) => list.length === 1);
    expect(live).toMatchObject({ userId: "unfinished-user", inProgress: true });
    // Stored as 0 until it is finalised, the session matched "at most 0 business events" while its
    // row in the list showed 3.
    for (const f of [{ maxBusinessEvents: 0 }, { minBusinessEvents: 1 }, { flowOutcome: "DROPPED_OFF" }]) expect(await users(f), JSON.stringify(f)).toEqual([]);
  });

  it("works finalised sessions out again when a definition changes", async () => {
    const detail = async (userId: string) => (await ok(url, DETAIL, { id: (await sessionsOf(userId))[0].id }, { cookie: owner })).node;
    const created = await ok(
      url,
      `mutation($app: ID!, $input: BusinessEventDefinitionInput!) { createBusinessEventDefinition(input: { appId: $app, definition: $input }) { ... on BusinessEventDefinition { id } } }`,
      { app: appId, input: { name: "Viewed Page", eventName: "page_view" } },
      { cookie: owner },
    );
    // f-done viewed four pages: they become business events in the session already finalised.
    const again = await until(() => detail("f-done"), (n) => n.businessEventCount === 7);
    expect(again.businessEvents.map((e: { name: string }) => e.name)).toEqual(["Signed Up", "Viewed Page", "Viewed Page", "Created Project", "Viewed Page", "Viewed Page", "Invited Member"]);
    expect(again.summary.tldr).toBe("Completed Onboarding in 4:12 - 7 business events");
    expect((await detail("f-oops")).businessEventCount).toBe(4); // no page views: unchanged

    await ok(url, `mutation($id: ID!) { deleteBusinessEventDefinition(input: { id: $id }) { __typename } }`, { id: created.createBusinessEventDefinition.id }, { cookie: owner });
    const back = await until(() => detail("f-done"), (n) => n.businessEventCount === 3);
    expect(back.summary.tldr).toBe("Completed Onboarding in 4:12 - 3 business events");
  });
});
