import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { WebSocket } from "ws";
import { ok, subscribe, tokenFor, wsClient } from "../support/client.js";
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
    await ok(b, `{ viewer { role } }`, {}, { token: secret }); // warm b's token cache too
    await ok(a, `mutation($id: ID!) { revokeToken(input: { id: $id }) { __typename } }`, { id: token.id }, { token: secret });
    expect(await closed).toBe(4401);
    const res = await fetch(`${b}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${secret}` }, body: JSON.stringify({ query: "{ viewer { role } }" }) });
    expect(res.status).toBe(401);
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

/** When a socket closes, with its code and reason. */
function closing(socket: WebSocket) {
  return new Promise<[number, string]>((resolve) => socket.on("close", (code, reason) => resolve([code, String(reason)])));
}

describe("graceful shutdown", () => {
  it("finishes in-flight requests on SIGTERM, closes every socket (1001), then exits cleanly", async () => {
    const stack = await startStack();
    const url = stack.urls[0];
    const wsUrl = url.replace(/^http/, "ws") + "/graphql";
    // A wall display watching the board, and a socket that hasn't yet sent connection_init.
    const display = new WebSocket(wsUrl, "graphql-transport-ws");
    const displayClosed = closing(display);
    await new Promise((resolve) => display.on("open", resolve));
    display.send(JSON.stringify({ type: "connection_init", payload: { token: await tokenFor(url, "lisa@demo.test") } }));
    const acknowledged = new Promise((resolve) => display.on("message", (data) => JSON.parse(String(data)).type === "connection_ack" && resolve(true)));
    expect(await acknowledged).toBe(true);
    display.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: BOARD } }));
    const fresh = new WebSocket(wsUrl, "graphql-transport-ws");
    const freshClosed = closing(fresh);
    await new Promise((resolve) => fresh.on("open", resolve));
    let answered = 0;
    const requests = Array.from({ length: 20 }, () => signInRequest(url));
    const responses = requests.map((r) => r.response.then((v) => (answered++, v)));
    await Promise.all(requests.map((r) => r.written));
    await new Promise((r) => setTimeout(r, 50)); // the server has read them: they are in flight
    const exit = stack.apis[0].stop("SIGTERM");
    expect(answered).toBeLessThan(20); // some were still being worked on when the signal came
    expect(await Promise.all(responses)).toEqual(Array.from({ length: 20 }, () => [200, "SignInPayload"]));
    const goingAway: [number, string] = [1001, "Server shutting down"];
    expect(await Promise.all([displayClosed, freshClosed])).toEqual([goingAway, goingAway]);
    expect(await exit).toBe(0);
    await stack.stop();
  }, 120_000); // it starts its own stack, which takes a hook's time on a busy machine
});
