// Rate limits as a client meets them: sign-in per address and per account, credential use on
// HTTP and WebSocket, ingestion per write key and per token; 429 with Retry-After. The stack
// trusts one proxy, so each test speaks from its own X-Forwarded-For address.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, signIn, subscribe, tokenFor, wsClient } from "../support/client.js";
import { logLines } from "../support/process.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";

let stack: Stack;
let url: string;
beforeAll(async () => {
  stack = await startStack({
    env: {
      // Real password hashes: an unknown email must cost as much as a wrong password.
      TEST_CHEAP_PASSWORD_HASHES: "0",
      TRUST_PROXY: "1",
      RATE_LIMIT_SIGN_IN_PER_ADDRESS: "5/60",
      RATE_LIMIT_SIGN_IN_PER_ACCOUNT: "3/60",
      RATE_LIMIT_TOKEN: "40/60",
      RATE_LIMIT_INGESTION: "3/60",
    },
  });
  url = stack.urls[0];
});
afterAll(() => stack?.stop());

const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { __typename } }`;

/** A sign-in as if from `address` behind the proxy; resolves with status, Retry-After, the result and its duration. */
async function signInFrom(address: string, email: string, password: string, proto?: string) {
  const started = performance.now();
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": address, ...(proto ? { "x-forwarded-proto": proto } : {}) },
    body: JSON.stringify({ query: SIGN_IN, variables: { e: email, p: password } }),
  });
  const body = await res.json();
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    cookie: res.headers.get("set-cookie"),
    result: body.data?.signIn?.__typename ?? body.errors?.[0]?.extensions?.code,
    ms: performance.now() - started,
  };
}

describe("sign-in", () => {
  it("refuses an account's guesser with 429 and Retry-After while its owner signs in from elsewhere", async () => {
    const attacker = "203.0.113.10";
    const guesses = await Promise.all([1, 2, 3].map((i) => signInFrom(attacker, "tom@demo.test", `guess-${i}`)));
    expect(guesses.map((g) => g.result)).toEqual(["ValidationError", "ValidationError", "ValidationError"]);
    const blocked = await signInFrom(attacker, "tom@demo.test", "demo-password");
    expect(blocked).toMatchObject({ status: 429, result: "RATE_LIMITED" });
    expect(Number(blocked.retryAfter)).toBeGreaterThan(0);

    // The burst goes on; every further guess is refused without costing a password hash.
    const burst = Array.from({ length: 10 }, (_, i) => signInFrom(attacker, "tom@demo.test", `more-${i}`));
    const owner = await signInFrom("198.51.100.20", "tom@demo.test", "demo-password");
    expect(owner).toMatchObject({ status: 200, result: "SignInPayload" });
    expect((await Promise.all(burst)).map((b) => b.status)).toEqual(Array(10).fill(429));
  });

  it("limits failures per address across accounts", async () => {
    const address = "203.0.113.11";
    const failures = await Promise.all([1, 2, 3, 4, 5].map((i) => signInFrom(address, `nobody-${i}@demo.test`, "whatever")));
    expect(failures.map((f) => f.result)).toEqual(Array(5).fill("ValidationError"));
    expect(await signInFrom(address, "lisa@demo.test", "demo-password")).toMatchObject({ status: 429, result: "RATE_LIMITED" });
    expect(await signInFrom("198.51.100.21", "lisa@demo.test", "demo-password")).toMatchObject({ status: 200, result: "SignInPayload" });
  });

  it("a burst sent all at once gets no more guesses than the budget, and a few hashes at a time", async () => {
    const address = "203.0.113.12";
    const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => signInFrom(address, `burst-${i}@demo.test`, "whatever")));
    // Before, all 30 passed the budget check together and each cost a password hash.
    expect(burst.filter((b) => b.result === "ValidationError")).toHaveLength(5);
    expect(burst.filter((b) => b.status === 429)).toHaveLength(25);
    expect(burst.every((b) => b.result === "ValidationError" || b.result === "RATE_LIMITED")).toBe(true);
  });

  it("takes as long for an unknown email as for a wrong password", async () => {
    await signInFrom("192.0.2.1", "warm-up@demo.test", "x"); // the first unknown email also makes the throwaway hash
    let unknown = 0;
    let wrong = 0;
    for (let i = 0; i < 2; i++) {
      unknown += (await signInFrom(`192.0.2.${10 + i}`, `ghost-${i}@demo.test`, "not-it")).ms;
      wrong += (await signInFrom(`192.0.2.${20 + i}`, "emma@demo.test", "not-it")).ms;
    }
    const ratio = unknown / wrong;
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it("sets a Secure cookie when the trusted proxy says the request came over https", async () => {
    expect((await signInFrom("192.0.2.30", "sam@demo.test", "demo-password", "https")).cookie).toMatch(/; Secure/);
    expect((await signInFrom("192.0.2.31", "sam@demo.test", "demo-password")).cookie).not.toMatch(/Secure/);
  });
});

describe("credentials", () => {
  it("counts every use of a token: 429 on HTTP and plain endpoints, 4429 on a new WebSocket, others unaffected", async () => {
    const tom = await tokenFor(url, "tom@demo.test");
    const uses = await Promise.all(Array.from({ length: 40 }, () => gql(url, `{ viewer { role } }`, {}, { token: tom })));
    expect(uses.map((u) => u.status)).toEqual(Array(40).fill(200));

    const id = `refused-${Date.now()}`;
    const refused = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tom}`, "x-request-id": id },
      body: JSON.stringify({ query: `{ viewer { role } }` }),
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await refused.json()).errors[0].extensions.code).toBe("RATE_LIMITED");
    // A refusal is the client's, not an error of ours: its request line, and nothing else anywhere.
    const lines = await until(async () => logLines(stack.apis[0]).filter((l) => l.requestId === id), (l) => l.length > 0, 5000);
    expect(lines).toEqual([expect.objectContaining({ msg: "request", status: 429, level: 30 })]);
    expect(stack.apis[0].output.join("")).not.toContain("RateLimitedError");
    const report = await fetch(`${url}/api/work/report.csv?month=2000-01`, { headers: { authorization: `Bearer ${tom}` } });
    expect(report.status).toBe(429);
    expect(Number(report.headers.get("retry-after"))).toBeGreaterThan(0);

    const client = wsClient(url, { token: tom });
    const closed = new Promise<number>((resolve) => client.on("closed", (e) => resolve((e as { code: number }).code)));
    client.subscribe({ query: `subscription { liveBoard { serverTime } } ` }, { next: () => {}, error: () => {}, complete: () => {} });
    expect(await closed).toBe(4429);

    expect((await ok(url, `{ viewer { role } }`, {}, { token: await tokenFor(url, "lisa@demo.test") })).viewer.role).toBe("MANAGER");
  });
});

describe("WebSocket operations", () => {
  it("count against the credential: over the limit an operation gets RATE_LIMITED with the seconds to wait", async () => {
    const token = await tokenFor(url, "sam@demo.test");
    const client = wsClient(url, { token });
    const run = () =>
      new Promise<{ data?: unknown; error?: { extensions?: { code?: string; retryAfter?: number } } }>((resolve) => {
        client.subscribe({ query: `{ viewer { role } }` }, {
          next: (result) => resolve({ data: result.data }),
          error: (error) => resolve({ error: (error as { extensions?: object }[])[0] }),
          complete: () => {},
        });
      });
    // A subscription keeps the one connection open (the client would reconnect between queries).
    const board = subscribe(client, `subscription { liveBoard { serverTime } }`);
    await board.next();
    const answers = [];
    for (let i = 0; i < 39; i++) answers.push(await run()); // connection and subscription used 2 of the 40
    expect(answers.slice(0, 38).filter((a) => !a.data)).toEqual([]);
    expect(answers[38].error?.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfter: expect.any(Number) });
    expect(board.completed).toBe(false);
    await client.dispose();
  });
});

describe("ingestion", () => {
  it("limits batches per analytics write key and per desktop token", async () => {
    const owner = await signIn(url, "owner@demo.test");
    const created = await ok(url, `mutation { createAnalyticsApp(input: { name: "Limited" }) { ... on AnalyticsAppWithKey { writeKey } } }`, {}, { cookie: owner });
    const post = (path: string, secret: string) =>
      fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${secret}` }, body: JSON.stringify({ events: [] }) });
    const writeKey = created.createAnalyticsApp.writeKey;
    for (let i = 0; i < 3; i++) expect((await post("/api/events", writeKey)).status).toBeLessThan(300);
    const refused = await post("/api/events", writeKey);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ code: "RATE_LIMITED" });

    const desktop = await tokenFor(url, "emma@demo.test");
    for (let i = 0; i < 3; i++) expect((await post("/api/work/events", desktop)).status).toBe(200);
    expect((await post("/api/work/events", desktop)).status).toBe(429);
    // The write key's limit is its own: the desktop token's is spent, other keys are not.
    const other = await ok(url, `mutation { createAnalyticsApp(input: { name: "Other" }) { ... on AnalyticsAppWithKey { writeKey } } }`, {}, { cookie: owner });
    expect((await post("/api/events", other.createAnalyticsApp.writeKey)).status).toBeLessThan(300);
  });
});
