import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ok, rawSocket, subscribe, tokenFor, wsClient } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

type Board = { liveBoard: { sessions: { id: string }[] } };
const BOARD = `subscription { liveBoard { sessions { id } } }`;

// Two stateless API processes and a worker sharing one PostgreSQL and one Redis.
describe.runIf(inject("redisUrl"))("two API instances behind a balancer", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ instances: 2, worker: true });
  });
  afterAll(() => stack?.stop());

  it("a mutation handled by one instance reaches a subscriber on the other", async () => {
    const [a, b] = stack.urls;
    const ws: TestWorkspace = await newWorkspace(a);
    const [tom, lisa] = [ws.employee.token, ws.manager.token];
    const client = wsClient(b, { token: lisa });
    const sub = subscribe<Board>(client, BOARD);
    await sub.next();
    const { startTimer } = await ok(a, `mutation { startTimer(input: { description: "across" }) { ... on TimeEntry { id } } }`, {}, { token: tom });
    await sub.next((v) => v.liveBoard.sessions.some((s) => s.id === startTimer.id));
    await ok(b, `mutation { stopTimer { __typename } }`, {}, { token: tom });
    await sub.next((v) => !v.liveBoard.sessions.some((s) => s.id === startTimer.id));
    await client.dispose();
  });

  it("a token revoked on one instance closes its socket on the other at once", async () => {
    const [a, b] = stack.urls;
    const created = await ok(a, `mutation { createPersonalAccessToken(input: { name: "wall" }) { ... on CreatedToken { secret token { id } } } }`, {}, { token: (await newWorkspace(a)).manager.token });
    const { secret, token } = created.createPersonalAccessToken;
    const client = wsClient(b, { token: secret });
    const closed = new Promise<number>((resolve) => client.on("closed", (e) => resolve((e as { code: number }).code)));
    const sub = subscribe<Board>(client, BOARD);
    await sub.next();
    for (const _ of [1, 2]) await ok(b, `{ viewer { role } }`, {}, { token: secret }); // b caches the credential
    await ok(a, `mutation($id: ID!) { revokeToken(input: { id: $id }) { __typename } }`, { id: token.id }, { token: secret });
    // At once: b's very next request, whether or not pub/sub has told b yet.
    const res = await fetch(`${b}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${secret}` }, body: JSON.stringify({ query: "{ viewer { role } }" }) });
    expect(res.status).toBe(401);
    expect(await closed).toBe(4401);
  });
});

/** A sign-in over its own connection; resolves `sent` once the request is fully written. */
function signInRequest(url: string) {
  let sent!: () => void;
  const written = new Promise<void>((r) => (sent = r));
  const body = JSON.stringify({ query: `mutation { signIn(input: { email: "tom@demo.test", password: "demo-password" }) { __typename } }` });
  const response = new Promise<[number, string]>((resolve, reject) => {
    const req = request(`${url}/graphql`, { method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve([res.statusCode!, JSON.parse(text).data.signIn.__typename]));
    });
    req.on("error", reject);
    req.end(body, () => sent());
  });
  return { written, response };
}

/** A raw graphql-ws socket, open; with a token, also past connection_init (acknowledged). */
async function openSocket(url: string, token?: string, options: { autoPong?: boolean } = {}) {
  const raw = rawSocket(url, options);
  await raw.opened;
  if (token) {
    raw.socket.send(JSON.stringify({ type: "connection_init", payload: { token } }));
    await expect.poll(() => raw.heard).toContainEqual({ type: "connection_ack" });
  }
  return raw;
}

// An API process of its own, pinging sockets every 300 ms.
describe("an API process of its own", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { WS_PING_MS: "300" } });
  }, 120_000); // a stack of its own takes a hook's time on a busy machine
  afterAll(() => stack?.stop());

  it("drops a socket that leaves a ping unanswered, and keeps one that answers", async () => {
    const url = stack.urls[0];
    const token = await tokenFor(url, "lisa@demo.test");
    const answering = await openSocket(url, token);
    const silent = await openSocket(url, token, { autoPong: false });
    const started = Date.now();
    // Dropped at the second ping it leaves unanswered, well before the 3 s connection_init wait.
    expect((await silent.closed).code).toBe(1006);
    expect(Date.now() - started).toBeLessThan(2000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    answering.socket.send(JSON.stringify({ type: "ping" }));
    await expect.poll(() => answering.heard.map((m) => m.type)).toContain("pong");
    answering.socket.close();
  });

});

// Another, at the default ping interval: twenty real password hashes load the machine, and a pong
// held up past a 300 ms ping would drop the display's socket (1006) before the signal comes.
describe("an API process of its own, stopped", () => {
  let stack: Stack;
  beforeAll(async () => {
    // Real password hashes, so the sign-ins are still in flight when the signal comes, and the
    // default grace period, so those still in the kernel's backlog are served too.
    stack = await startStack({ env: { TEST_CHEAP_PASSWORD_HASHES: "0", SHUTDOWN_GRACE_MS: "1000" } });
  }, 120_000);
  afterAll(() => stack?.stop());

  it("finishes in-flight requests on SIGTERM, closes every socket (1001), then exits cleanly", async () => {
    const url = stack.urls[0];
    // A wall display watching the board, and a socket that hasn't yet sent connection_init.
    const display = await openSocket(url, await tokenFor(url, "lisa@demo.test"));
    display.socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: BOARD } }));
    const fresh = await openSocket(url);
    let answered = 0;
    const requests = Array.from({ length: 20 }, () => signInRequest(url));
    const responses = requests.map((r) => r.response.then((v) => (answered++, v)));
    await Promise.all(requests.map((r) => r.written));
    await new Promise((r) => setTimeout(r, 50)); // the server has read them: they are in flight
    const exit = stack.apis[0].stop("SIGTERM");
    expect(answered).toBeLessThan(20); // some were still being worked on when the signal came
    expect(await Promise.all(responses)).toEqual(Array.from({ length: 20 }, () => [200, "SignInPayload"]));
    const goingAway = { code: 1001, reason: "Server shutting down" };
    expect(await Promise.all([display.closed, fresh.closed])).toMatchObject([goingAway, goingAway]);
    expect(await exit).toBe(0);
  });
});
