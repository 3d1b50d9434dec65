import { connect } from "node:net";
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, rawSocket, signIn, subscribe, tokenFor, wsClient } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let tom: string;
let lisa: string;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  ws = await newWorkspace(url);
  tom = ws.employee.token;
  lisa = ws.manager.token;
});
afterAll(() => stack?.stop());

const BOARD = `subscription($ticks: Boolean) { liveBoard(ticks: $ticks) { reason serverTime sessions { id kind title person personId state ticking startedAt accumulatedSeconds serverTime } } }`;
const START = `mutation($d: String) { startTimer(input: { description: $d }) { ... on TimeEntry { id startedAt } ... on Error { code message } } }`;
const STOP = `mutation { stopTimer { ... on TimeEntry { id durationSeconds } ... on Error { code } } }`;

type Board = { liveBoard: { reason: string; sessions: { id: string; title: string; accumulatedSeconds: number; ticking: boolean; state: string; person: string; personId: string }[] } };
const has = (id: string) => (b: Board) => b.liveBoard.sessions.some((s) => s.id === id);

function closeCode(client: ReturnType<typeof wsClient>) {
  return new Promise<number>((resolve) => client.on("closed", (event) => resolve((event as { code: number }).code)));
}

describe("liveBoard over graphql-ws", () => {
  it("shows a session when it opens, ticks, and drops it when it closes", async () => {
    const client = wsClient(url, { token: lisa });
    const sub = subscribe<Board>(client, BOARD, { ticks: true });
    const first = await sub.next();
    expect(first.liveBoard.reason).toBe("SNAPSHOT");

    const started = await ok(url, START, { d: "Fix the login bug" }, { token: tom });
    const id = started.startTimer.id;
    const opened = await sub.next(has(id));
    const row = opened.liveBoard.sessions.find((s) => s.id === id)!;
    expect(row).toMatchObject({ title: "Fix the login bug", person: "Tom Employee", state: "RUNNING", ticking: true });
    expect(row.personId).toBe((await ok(url, `{ viewer { user { id } } }`, {}, { token: tom })).viewer.user.id);

    // Ticks: one batched payload per interval, the counter advancing with server time.
    const tick = await sub.next((b) => b.liveBoard.reason === "TICK" && b.liveBoard.sessions.find((s) => s.id === id)!.accumulatedSeconds >= 1, 5000);
    expect(tick.liveBoard.sessions.find((s) => s.id === id)!.accumulatedSeconds).toBeGreaterThanOrEqual(1);

    await ok(url, STOP, {}, { token: tom });
    const closed = await sub.next((b) => !has(id)(b));
    expect(closed.liveBoard.reason).toBe("CHANGE");
    await client.dispose();
  });

  it("without ticks, sends only changes", async () => {
    const client = wsClient(url, { token: lisa });
    const sub = subscribe<Board>(client, BOARD, { ticks: false });
    await sub.next();
    const { startTimer } = await ok(url, START, { d: "quiet" }, { token: tom });
    await sub.next(has(startTimer.id));
    await new Promise((r) => setTimeout(r, 2500));
    expect(sub.values.filter((v) => v.liveBoard.reason === "TICK")).toEqual([]);
    await ok(url, STOP, {}, { token: tom });
    await client.dispose();
  });

  it("employees see only their own sessions on the board", async () => {
    const emma = ws.employee2.token;
    const client = wsClient(url, { token: emma });
    const sub = subscribe<Board>(client, BOARD);
    await sub.next();
    const { startTimer } = await ok(url, START, { d: "Tom's private work" }, { token: tom });
    const { startTimer: own } = await ok(url, START, { d: "Emma's work" }, { token: emma });
    const board = await sub.next(has(own.id));
    expect(board.liveBoard.sessions.map((s) => s.id)).not.toContain(startTimer.id);
    await ok(url, STOP, {}, { token: tom });
    await ok(url, STOP, {}, { token: emma });
    await client.dispose();
  });

  it("shares one payload only among viewers who see the same rows", async () => {
    // Same operation, same variables, same workspace: only what each may see differs, and the
    // server builds each payload once per group of identical ones.
    const viewers = { lisa, tom, emma: ws.employee2.token, lisa2: lisa };
    const clients = Object.fromEntries(Object.entries(viewers).map(([name, token]) => [name, wsClient(url, { token })]));
    const subs = Object.fromEntries(Object.entries(clients).map(([name, client]) => [name, subscribe<Board>(client, BOARD, { ticks: true })]));
    for (const sub of Object.values(subs)) await sub.next();
    const { startTimer: toms } = await ok(url, START, { d: "Tom's, hidden from Emma" }, { token: tom });
    const { startTimer: emmas } = await ok(url, START, { d: "Emma's, hidden from Tom" }, { token: viewers.emma });
    const both = (b: Board) => has(toms.id)(b) && has(emmas.id)(b);
    const ids = (b: Board) => b.liveBoard.sessions.map((s) => s.id);

    expect(ids(await subs.lisa.next(both))).toEqual(expect.arrayContaining([toms.id, emmas.id]));
    expect(ids(await subs.lisa2.next(both))).toEqual(expect.arrayContaining([toms.id, emmas.id]));
    const tomsBoard = await subs.tom.next((b) => has(toms.id)(b) && b.liveBoard.reason === "TICK");
    const emmasBoard = await subs.emma.next((b) => has(emmas.id)(b) && b.liveBoard.reason === "TICK");
    expect(ids(tomsBoard)).not.toContain(emmas.id);
    expect(ids(emmasBoard)).not.toContain(toms.id);
    // Every payload either of them got, not just the last: none carried the other's session.
    expect(subs.tom.values.flatMap(ids)).not.toContain(emmas.id);
    expect(subs.emma.values.flatMap(ids)).not.toContain(toms.id);

    await ok(url, STOP, {}, { token: tom });
    await ok(url, STOP, {}, { token: viewers.emma });
    for (const client of Object.values(clients)) await client.dispose();
  });

  it("ends a shared payload when its last viewer leaves: the next viewer starts from a fresh snapshot", async () => {
    const first = wsClient(url, { token: lisa });
    const watching = subscribe<Board>(first, BOARD, { ticks: false });
    expect((await watching.next()).liveBoard.reason).toBe("SNAPSHOT");
    const { startTimer } = await ok(url, START, { d: "seen, then left" }, { token: tom });
    expect((await watching.next(has(startTimer.id))).liveBoard.reason).toBe("CHANGE");
    watching.dispose(); // the operation completes; the socket stays open
    await new Promise((r) => setTimeout(r, 300));

    // A group that outlived its viewers would hand the newcomer its last payload, the CHANGE above.
    const next = wsClient(url, { token: lisa });
    const board = await subscribe<Board>(next, BOARD, { ticks: false }).next();
    expect(board.liveBoard.reason).toBe("SNAPSHOT");
    expect(board.liveBoard.sessions.map((s) => s.id)).toContain(startTimer.id);
    await ok(url, STOP, {}, { token: tom });
    await first.dispose();
    await next.dispose();
  });

  it("sends a viewer no payload for changes to rows it can't see", async () => {
    // Not even an empty CHANGE: when others' sessions change, and how often, is theirs to know.
    const emma = ws.employee2.token;
    const [watcher, manager] = [wsClient(url, { token: emma }), wsClient(url, { token: lisa })];
    const [emmas, lisas] = [subscribe<Board>(watcher, BOARD, { ticks: true }), subscribe<Board>(manager, BOARD, { ticks: true })];
    await emmas.next();
    await lisas.next();
    const { startTimer: toms } = await ok(url, START, { d: "Tom's, not Emma's business" }, { token: tom });
    await lisas.next(has(toms.id));
    await lisas.next((b) => b.liveBoard.reason === "TICK" && has(toms.id)(b));
    await ok(url, STOP, {}, { token: tom });
    await lisas.next((b) => !has(toms.id)(b));
    expect(emmas.values).toHaveLength(1);
    // Her own session still reaches her.
    const { startTimer: own } = await ok(url, START, { d: "Emma's" }, { token: emma });
    await emmas.next(has(own.id));
    await ok(url, STOP, {}, { token: emma });
    await watcher.dispose();
    await manager.dispose();
  });

  it("publishes typed status events", async () => {
    const client = wsClient(url, { token: lisa });
    const sub = subscribe<{ sessionStatusChanged: { sessionId: string; status: string; kind: string } }>(
      client,
      `subscription { sessionStatusChanged { sessionId kind status previousStatus at } }`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const { startTimer } = await ok(url, START, { d: "status" }, { token: tom });
    expect((await sub.next()).sessionStatusChanged).toMatchObject({ sessionId: startTimer.id, kind: "TIMER", status: "RUNNING" });
    await ok(url, STOP, {}, { token: tom });
    expect((await sub.next()).sessionStatusChanged).toMatchObject({ sessionId: startTimer.id, status: "STOPPED" });
    await client.dispose();
  });

  it("tells the board and status subscribers of a desktop session only when what they show changes", async () => {
    type Status = { sessionStatusChanged: { sessionId: string; kind: string; status: string; previousStatus: string | null } };
    const emma = ws.employee2;
    const client = wsClient(url, { token: lisa });
    const board = subscribe<Board>(client, BOARD, { ticks: false });
    const statuses = subscribe<Status>(client, `subscription { sessionStatusChanged { sessionId kind status previousStatus } }`);
    await board.next();
    await new Promise((r) => setTimeout(r, 300));
    // Five minutes ago onwards: well inside the inactivity window, so the session stays open.
    const t0 = Date.now() - 5 * 60_000;
    const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
    const beat = (id: string, seconds: number) => ({ id, type: "window", timestamp: at(seconds), duration: 5, data: { app: "Code", title: "main.ts" } });
    const send = async (events: unknown[]) => {
      const res = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${emma.token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
      expect(res.status).toBe(200);
    };
    const emmas = (b: Board) => b.liveBoard.sessions.find((s) => s.person === emma.name && s.title === "Desktop work");

    await send([beat("b1", 0), beat("b2", 5)]);
    const opened = await board.next((b) => emmas(b)?.state === "WORKING");
    const id = emmas(opened)!.id;
    // Heartbeats that only extend the session: the board's row and its state stay as they are.
    await send([beat("b3", 10), beat("b4", 60)]);
    await send([beat("b5", 65), { id: "k1", type: "afk", timestamp: at(70), duration: 0, data: { status: "afk" } }]);
    const away = await board.next((b) => emmas(b)?.state === "AFK");
    expect(board.values.indexOf(away)).toBe(board.values.indexOf(opened) + 1);
    await send([{ id: "k2", type: "afk", timestamp: at(120), duration: 0, data: { status: "not-afk" } }, beat("b6", 121), { id: "c1", type: "close", timestamp: at(130) }]);
    await board.next((b) => !b.liveBoard.sessions.some((s) => s.id === id));

    await statuses.next((s) => s.sessionStatusChanged.sessionId === id && s.sessionStatusChanged.status === "CLOSED");
    expect(statuses.values.filter((s) => s.sessionStatusChanged.sessionId === id).map((s) => s.sessionStatusChanged)).toEqual([
      { sessionId: id, kind: "WORK", status: "WORKING", previousStatus: null },
      { sessionId: id, kind: "WORK", status: "AFK", previousStatus: "WORKING" },
      { sessionId: id, kind: "WORK", status: "CLOSED", previousStatus: "AFK" },
    ]);
    await client.dispose();
  });
});

const CHANGES = `subscription($ticks: Boolean) { liveBoardChanges(ticks: $ticks) { reason serverTime sessions { id title state accumulatedSeconds serverTime } removedIds } }`;
type Changes = { liveBoardChanges: { reason: string; serverTime: string; sessions: { id: string; title: string; state: string }[]; removedIds: string[] } };
const ids = (c: Changes) => c.liveBoardChanges.sessions.map((s) => s.id);
const reason = (r: string) => (c: Changes) => c.liveBoardChanges.reason === r;

/** The board a client holds after applying each payload in turn, as the schema tells clients to. */
function applied(payloads: Changes[]) {
  const board = new Map<string, string>();
  for (const { liveBoardChanges: p } of payloads) {
    if (p.reason === "SNAPSHOT") board.clear();
    for (const s of p.sessions) board.set(s.id, s.state);
    for (const id of p.removedIds) board.delete(id);
  }
  return board;
}

describe("liveBoardChanges over graphql-ws", () => {
  it("sends the whole board, then only the sessions that changed, and ends as the whole board would", async () => {
    const own = await newWorkspace(url);
    const { startTimer: before } = await ok(url, START, { d: "open before" }, { token: own.employee.token });
    const client = wsClient(url, { token: own.manager.token });
    const sub = subscribe<Changes>(client, CHANGES);
    const first = await sub.next();
    expect([first.liveBoardChanges.reason, ids(first), first.liveBoardChanges.removedIds]).toEqual(["SNAPSHOT", [before.id], []]);

    const { startTimer: opened } = await ok(url, START, { d: "opened while watched" }, { token: own.employee2.token });
    const change = await sub.next();
    expect(change.liveBoardChanges).toMatchObject({ reason: "CHANGE", removedIds: [], sessions: [{ id: opened.id, title: "opened while watched", state: "RUNNING" }] });

    await ok(url, STOP, {}, { token: own.employee.token });
    const closed = await sub.next();
    expect([closed.liveBoardChanges.reason, ids(closed), closed.liveBoardChanges.removedIds]).toEqual(["CHANGE", [], [before.id]]);

    const whole = await ok(url, `{ liveBoard { sessions { id state } } }`, {}, { token: own.manager.token });
    expect([...applied(sub.values)]).toEqual(whole.liveBoard.sessions.map((s: { id: string; state: string }) => [s.id, s.state]));
    await ok(url, STOP, {}, { token: own.employee2.token });
    await client.dispose();
  });

  it("ticks with the server's time only: counters tick on the client", async () => {
    const own = await newWorkspace(url);
    const client = wsClient(url, { token: own.manager.token });
    const sub = subscribe<Changes>(client, CHANGES, { ticks: true });
    await sub.next();
    await ok(url, START, { d: "ticking" }, { token: own.employee.token });
    await sub.next(reason("CHANGE"));
    const [one, two] = [await sub.next(reason("TICK"), 5000), await sub.next(reason("TICK"), 5000)];
    for (const tick of [one, two]) expect([ids(tick), tick.liveBoardChanges.removedIds]).toEqual([[], []]);
    expect(Date.parse(two.liveBoardChanges.serverTime) - Date.parse(one.liveBoardChanges.serverTime)).toBeGreaterThanOrEqual(900);
    await ok(url, STOP, {}, { token: own.employee.token });
    await client.dispose();
  });

  it("tells employees of their own sessions only: no rows, no removed ids, no payload for others'", async () => {
    const own = await newWorkspace(url);
    const [watcher, manager] = [wsClient(url, { token: own.employee2.token }), wsClient(url, { token: own.manager.token })];
    const [emmas, lisas] = [subscribe<Changes>(watcher, CHANGES, { ticks: true }), subscribe<Changes>(manager, CHANGES)];
    await emmas.next();
    await lisas.next();
    const { startTimer: toms } = await ok(url, START, { d: "Tom's" }, { token: own.employee.token });
    await lisas.next((c) => ids(c).includes(toms.id));
    await ok(url, STOP, {}, { token: own.employee.token });
    await lisas.next((c) => c.liveBoardChanges.removedIds.includes(toms.id));
    const { startTimer: hers } = await ok(url, START, { d: "Emma's" }, { token: own.employee2.token });
    const mine = await emmas.next();
    expect([mine.liveBoardChanges.reason, ids(mine)]).toEqual(["CHANGE", [hers.id]]);
    expect(emmas.values).toHaveLength(2);
    await ok(url, STOP, {}, { token: own.employee2.token });
    await watcher.dispose();
    await manager.dispose();
  });

  it("starts a socket that joins a running stream from the whole board, and sends the others only the changes", async () => {
    const own = await newWorkspace(url);
    const early = wsClient(url, { token: own.manager.token });
    const watching = subscribe<Changes>(early, CHANGES);
    await watching.next();
    const { startTimer: first } = await ok(url, START, { d: "before the second viewer" }, { token: own.employee.token });
    await watching.next((c) => ids(c).includes(first.id));

    const late = wsClient(url, { token: own.manager.token });
    const joined = subscribe<Changes>(late, CHANGES);
    const snapshot = await joined.next();
    expect([snapshot.liveBoardChanges.reason, ids(snapshot)]).toEqual(["SNAPSHOT", [first.id]]);
    const { startTimer: second } = await ok(url, START, { d: "after" }, { token: own.employee2.token });
    for (const sub of [watching, joined]) expect(ids(await sub.next())).toEqual([second.id]);
    expect(watching.values.map((c) => c.liveBoardChanges.reason)).toEqual(["SNAPSHOT", "CHANGE", "CHANGE"]);
    expect(joined.values.map((c) => c.liveBoardChanges.reason)).toEqual(["SNAPSHOT", "CHANGE"]);
    for (const token of [own.employee.token, own.employee2.token]) await ok(url, STOP, {}, { token });
    await early.dispose();
    await late.dispose();
  });

  it("streams over SSE too, whole board first", async () => {
    const own = await newWorkspace(url);
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${own.manager.token}` },
      body: JSON.stringify({ query: `subscription { liveBoardChanges { reason sessions { id } removedIds } }` }),
    });
    const reader = res.body!.getReader();
    let text = "";
    const until = async (part: string) => {
      while (!text.includes(part)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until("SNAPSHOT");
    const { startTimer } = await ok(url, START, { d: "over SSE" }, { token: own.employee.token });
    await until(startTimer.id);
    expect(text).toContain(JSON.stringify({ reason: "CHANGE", sessions: [{ id: startTimer.id }], removedIds: [] }));
    await reader.cancel();
    await ok(url, STOP, {}, { token: own.employee.token });
  });
});

describe("WebSocket auth", () => {
  it("takes the token as `token` or as `authorization: Bearer …`", async () => {
    for (const params of [{ token: ws.manager.token }, { authorization: `Bearer ${ws.manager.token}` }]) {
      const client = wsClient(url, params);
      expect((await subscribe<Board>(client, BOARD).next()).liveBoard.reason).toBe("SNAPSHOT");
      await client.dispose();
    }
  });

  it("closes with 4401 for a bad token, one that isn't text, and none", async () => {
    for (const params of [{ token: "sp_pat_wrong" }, { token: 42 }, { token: `${ws.manager.token} x` }, undefined]) {
      const client = wsClient(url, params);
      const code = closeCode(client);
      subscribe(client, BOARD);
      expect(await code).toBe(4401);
      await client.dispose();
    }
  });

  it("accepts the browser cookie from the same origin and closes 4403 for another origin", async () => {
    const cookie = await signIn(url, ws.manager.email);
    const good = wsClient(url, undefined, { cookie, origin: url });
    const sub = subscribe<Board>(good, BOARD);
    expect((await sub.next()).liveBoard.reason).toBe("SNAPSHOT");
    await good.dispose();

    const bad = wsClient(url, undefined, { cookie, origin: "https://evil.example" });
    const code = closeCode(bad);
    subscribe(bad, BOARD);
    expect(await code).toBe(4403);
    await bad.dispose();
  });

  it("closes an open socket as soon as its token is revoked", async () => {
    const cookie = await signIn(url, ws.manager.email);
    const created = await ok(url, `mutation { createPersonalAccessToken(input: { name: "wall" }) { ... on CreatedToken { secret token { id } } } }`, {}, { cookie });
    const client = wsClient(url, { token: created.createPersonalAccessToken.secret });
    const sub = subscribe<Board>(client, BOARD);
    await sub.next();
    const code = closeCode(client);
    await ok(url, `mutation($id: ID!) { revokeToken(input: { id: $id }) { __typename } }`, { id: created.createPersonalAccessToken.token.id }, { cookie });
    expect(await code).toBe(4401);
  });

  it("rejects a subscription the token's permissions don't allow, without data", async () => {
    const owner = ws.owner.token;
    const key = (await ok(url, `mutation { createApiKey(input: { name: "k", scopes: [JOBS_READ] }) { ... on CreatedToken { secret } } }`, {}, { token: owner })).createApiKey.secret;
    const client = wsClient(url, { token: key });
    const sub = subscribe(client, BOARD);
    await new Promise((r) => setTimeout(r, 1000));
    expect(JSON.stringify(sub.errors)).toContain("FORBIDDEN");
    expect(sub.values.filter(Boolean)).toEqual([]);
    await client.dispose();
  });
});

describe("graphql-ws protocol on a raw socket", () => {
  it("closes a socket that sends no connection_init within 3 s with 4408, and keeps one that did", async () => {
    const silent = rawSocket(url);
    const greeted = rawSocket(url);
    greeted.socket.on("open", () => greeted.socket.send(JSON.stringify({ type: "connection_init", payload: { token: tom } })));
    const openedAt = await silent.opened;
    const { code, at } = await silent.closed;
    expect(code).toBe(4408);
    expect(at - openedAt).toBeGreaterThanOrEqual(2900);
    expect(greeted.heard).toContainEqual({ type: "connection_ack" });
    greeted.socket.send(JSON.stringify({ type: "ping" }));
    await expect.poll(() => greeted.heard.map((m) => m.type)).toContain("pong");
    expect(greeted.socket.readyState).toBe(WebSocket.OPEN);
    greeted.socket.close();
  });

  it.each([["text that isn't JSON", "{not json"], ["JSON that isn't a message", "5"], ["a message of no known type", JSON.stringify({ type: "hello" })]])(
    "closes with 4400 on %s",
    async (_name, text) => {
      const client = rawSocket(url);
      await client.opened;
      client.socket.send(JSON.stringify({ type: "connection_init", payload: { token: tom } }));
      await expect.poll(() => client.heard).toContainEqual({ type: "connection_ack" });
      client.socket.send(text);
      expect((await client.closed).code).toBe(4400);
    },
  );
});

describe("limits", () => {
  const tooDeep = `{ clients { nodes { projects { client { projects { client { projects { client { projects { client { projects { id } } } } } } } } } } } }`;
  const tooManyAliases = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: viewer { role }`).join(" ")} }`;
  const tooManyTokens = `{ ${"__typename ".repeat(2100)} }`;

  it.each([
    ["depth", tooDeep, /depth/i],
    ["aliases", tooManyAliases, /alias/i],
    ["tokens", tooManyTokens, /token/i],
  ])("rejects over-%s queries on HTTP and on WebSocket, naming the limit", async (_name, query, pattern) => {
    const res = await gql(url, query, {}, { token: tom });
    expect(res.body.errors![0].message).toMatch(pattern);
    expect(res.body.data ?? null).toBeNull();

    const client = wsClient(url, { token: tom });
    const sub = subscribe(client, query);
    await expect.poll(() => JSON.stringify(sub.errors)).toMatch(pattern);
    expect(sub.values.filter(Boolean)).toEqual([]);
    await client.dispose();
  });

  it("caps subscriptions per socket", async () => {
    const client = wsClient(url, { token: lisa });
    const subs = Array.from({ length: 21 }, () => subscribe(client, BOARD));
    await expect.poll(() => JSON.stringify(subs[20].errors)).toMatch(/limit 20/);
    for (const sub of subs.slice(0, 20)) await sub.next();
    await client.dispose();
  });

  it("refuses bodies over the size limit with 413", async () => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tom}` },
      body: JSON.stringify({ query: "{ viewer { role } }", variables: { pad: "x".repeat(1_100_000) } }),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].message).toMatch(/limit of 1000000 bytes/);
  });

  it("refuses a body without Content-Length (chunked) with 411, whatever the method", async () => {
    for (const method of ["POST", "PUT"]) {
      const body = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(JSON.stringify({ query: "{ viewer { role } }" }))), c.close()) });
      const res = await fetch(`${url}/graphql`, { method, headers: { "content-type": "application/json", authorization: `Bearer ${tom}` }, body, duplex: "half" } as RequestInit);
      expect(res.status).toBe(411);
    }
  });

  it("reads no more of a body than its Content-Length says: the rest is a malformed next request", async () => {
    const body = JSON.stringify({ query: "{ viewer { role } }" });
    const { host, port } = new URL(url);
    const head = `POST /graphql HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${tom}\r\nContent-Length: ${body.length}\r\n\r\n`;
    // An excess that arrives with the request: had the server read past Content-Length, the body would
    // be bad JSON and the answer a GraphQL error. (Megabytes of excess the server never reads make its
    // close a TCP reset, which can drop its 400 before this client reads it.)
    const answer = await rawExchange(Number(port), head + body + "x".repeat(1_000));
    // Node's parser refuses the excess at once, often before the query's answer is written: the
    // answer for the declared body may or may not come first, but never a GraphQL error about it.
    expect(answer).toMatch(/^(HTTP\/1\.1 200 [\s\S]*\{"data":\{"viewer":\{"role":"EMPLOYEE"\}\}\})?HTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n\r\n$/);
  });
});

/** Writes bytes to a fresh connection and returns everything the server answered until it closed. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(request));
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk));
    // The server may close while we still write the excess: what it answered so far is the result.
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" || error.code === "EPIPE" ? resolve(answer) : reject(error)));
    socket.on("close", () => resolve(answer));
  });
}

describe("GraphQL over HTTP", () => {
  it("answers malformed JSON with 400 and a message", async () => {
    const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{ nope" });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].message).toBeTruthy();
  });

  it("answers a GraphQL syntax error with 400", async () => {
    const res = await gql(url, "{ viewer { ", {}, { token: tom });
    expect(res.status).toBe(400);
    expect(res.body.errors![0].message).toMatch(/Syntax Error/);
  });

  it("serves queries over GET and refuses mutations over GET", async () => {
    const q = encodeURIComponent("{ viewer { role } }");
    const res = await fetch(`${url}/graphql?query=${q}`, { headers: { authorization: `Bearer ${tom}`, accept: "application/graphql-response+json" } });
    expect(res.status).toBe(200);
    expect((await res.json()).data.viewer.role).toBe("EMPLOYEE");
    const m = encodeURIComponent("mutation { stopTimer { __typename } }");
    const refused = await fetch(`${url}/graphql?query=${m}`, { headers: { authorization: `Bearer ${tom}` } });
    expect(refused.status).toBe(405);
  });

  it("streams subscriptions over SSE", async () => {
    const controller = new AbortController();
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      signal: controller.signal,
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${lisa}` },
      body: JSON.stringify({ query: `subscription { liveBoard { reason } }` }),
    });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("SNAPSHOT")) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/event: next/);
    controller.abort();
  });

  it("masks unexpected errors", async () => {
    const res = await gql(url, `query($id: ID!) { node(id: $id) { id } }`, { id: "not-base64-!!" }, { token: tom });
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/prisma|postgres|stack/i);
  });
});
