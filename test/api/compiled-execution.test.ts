// A document that keeps coming back is compiled (server/compiled-execution.ts): every answer after
// that is the one the interpreter gave, data, typed errors and refused variables alike.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, subscribe, wsClient, type Auth } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";
import { COMPILE_AFTER } from "../../server/compiled-execution.js";

let stack: Stack;
let url: string;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack({ env: { LIVE_TICK_MS: "200" } });
  url = stack.urls[0];
  ws = await newWorkspace(url);
});
afterAll(() => stack?.stop());

/** Enough runs for the last few to be compiled ones. */
const RUNS = COMPILE_AFTER + 3;

/** Each run's status and body, in order. */
async function answers(query: string, variables: Record<string, unknown>, auth: Auth) {
  const all: unknown[] = [];
  for (let i = 0; i < RUNS; i++) {
    const res = await gql(url, query, variables, auth);
    all.push({ status: res.status, body: res.body });
  }
  return all;
}

describe("documents run often enough to be compiled", () => {
  it("answer a query with nested lists as before", async () => {
    const owner = { token: ws.owner.token };
    for (const name of ["Beta", "Alpha"]) {
      const client = (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: name }, owner)).createClient.id;
      await ok(url, `mutation($c: ID!, $n: String!) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: 9000 }) { ... on Project { id } } }`, { c: client, n: `${name} site` }, owner);
    }
    const query = `query($n: Int!) { viewer { role user { name } } clients(first: $n) { nodes { name projects { name hourlyRateCents client { name } } } } }`;
    const [first, ...rest] = await answers(query, { n: 10 }, owner);
    expect(first).toEqual({
      status: 200,
      body: {
        data: {
          viewer: { role: "OWNER", user: { name: ws.owner.name } },
          clients: {
            nodes: [
              { name: "Alpha", projects: [{ name: "Alpha site", hourlyRateCents: "9000", client: { name: "Alpha" } }] },
              { name: "Beta", projects: [{ name: "Beta site", hourlyRateCents: "9000", client: { name: "Beta" } }] },
            ],
          },
        },
      },
    });
    for (const answer of rest) expect(answer).toEqual(first);
  });

  it("keep a refusal's code and path, and a refused variable's message", async () => {
    const employee = { token: ws.employee.token };
    const [refused, ...refusedAgain] = await answers(`{ viewer { role } failedJobs { __typename } }`, {}, employee);
    expect(refused).toMatchObject({ status: 200, body: { data: null, errors: [{ path: ["failedJobs"], extensions: { code: "FORBIDDEN" } }] } });
    for (const answer of refusedAgain) expect(answer).toEqual(refused);

    const [badVariable, ...badAgain] = await answers(`query($n: Int!) { clients(first: $n) { nodes { name } } }`, { n: "ten" }, employee);
    expect(badVariable).toMatchObject({ body: { errors: [{ message: expect.stringContaining("Int cannot represent") }] } });
    for (const answer of badAgain) expect(answer).toEqual(badVariable);
  });

  it("answer a mutation whose literal argument graphql-jit can't compile", async () => {
    const owner = { token: ws.owner.token };
    const client = (await ok(url, `mutation { createClient(input: { name: "Literal" }) { ... on Client { id } } }`, {}, owner)).createClient.id;
    // hourlyRateCents is a BigInt: written into the document, it stays with the interpreter.
    const mutation = `mutation($c: ID!, $n: String!) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: 6000 }) { __typename ... on Project { name hourlyRateCents } } }`;
    for (let i = 0; i < RUNS; i++) {
      const created = await ok(url, mutation, { c: client, n: `Run ${i}` }, owner);
      expect(created.createProject).toEqual({ __typename: "Project", name: `Run ${i}`, hourlyRateCents: "6000" });
    }
  });

  it("keep @skip and @include around fragments (graphql-jit's issue 111)", async () => {
    const query = `query($only: Boolean!) { viewer { role a: user @skip(if: $only) { ...who } b: user @include(if: $only) { ...who } } } fragment who on User { name }`;
    for (const only of [true, false]) {
      const [first, ...rest] = await answers(query, { only }, { token: ws.staff.token });
      const user = { name: ws.staff.name };
      expect(first).toEqual({ status: 200, body: { data: { viewer: { role: "STAFF", ...(only ? { b: user } : { a: user }) } } } });
      for (const answer of rest) expect(answer).toEqual(first);
    }
  });

  it("leave subscriptions to the interpreter, whose resolvers get their arguments", async () => {
    await ok(url, `mutation { startTimer(input: { description: "compiled" }) { __typename } }`, {}, { token: ws.employee.token });
    const client = wsClient(url, { token: ws.employee.token });
    try {
      for (const [query, variables] of [[`subscription { liveBoard(ticks: true) { reason } }`, {}], [`subscription($t: Boolean) { liveBoard(ticks: $t) { reason } }`, { t: true }]] as const) {
        for (let i = 0; i < RUNS; i++) {
          const sub = subscribe(client, query, variables);
          // The running timer ticks: a board that asked for ticks gets one within a few intervals.
          await sub.next((board) => board.liveBoard.reason === "TICK", 5000);
          sub.dispose();
        }
      }
    } finally {
      await client.dispose();
    }
  });
});
