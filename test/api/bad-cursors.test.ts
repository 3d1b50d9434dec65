// Cursors and IDs the API never issued: a list answers such a cursor with a validation error naming
// the argument that carried it, a file or PDF address with such an id 404, never an unexpected error
// from the database underneath.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok } from "../support/client.js";
import { calendar, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let ws: TestWorkspace;
let client: string;

beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  ws = await newWorkspace(url);
  client = (await ok(url, `mutation { createClient(input: { name: "Cursor Client" }) { ... on Client { id } } }`, {}, { token: ws.owner.token })).createClient.id;
}, 120_000);
afterAll(() => stack?.stop());

const base64 = (text: string) => Buffer.from(text).toString("base64");

/** The answer's one error as `code message`, or "ok" and the page when there is none. */
async function answer(query: string, variables: Record<string, unknown>) {
  const res = await gql(url, query, variables, { token: ws.owner.token });
  expect(res.status).toBe(200);
  const error = res.body.errors?.[0];
  return error ? `${error.extensions?.code} ${error.message}` : "ok";
}

describe("offset-paged lists", () => {
  // newWorkspace's time zone.
  const today = calendar("Europe/Berlin").today;
  const PAGE = `(first: 5, after: $after, before: $before) { nodes { id } pageInfo { endCursor } }`;
  const VARS = `$after: String, $before: String`;
  const lists: Record<string, [string, Record<string, unknown>?]> = {
    timeEntries: [`query(${VARS}) { timeEntries${PAGE} }`],
    agentSessions: [`query(${VARS}) { agentSessions${PAGE} }`],
    invoices: [`query(${VARS}) { invoices${PAGE} }`],
    workSessions: [
      `query(${VARS}, $from: LocalDate!, $to: LocalDate!) { workSessions(from: $from, to: $to, first: 5, after: $after, before: $before) { nodes { id } pageInfo { endCursor } } }`,
      { from: isoDate(today.minus({ days: 7 })), to: isoDate(today) },
    ],
    afkPrompts: [`query(${VARS}) { afkPrompts${PAGE} }`],
    workSessionMerges: [`query(${VARS}) { workSessionMerges${PAGE} }`],
    "Client.evaluations": [`query(${VARS}, $client: ID!) { node(id: $client) { ... on Client { evaluations${PAGE} } } }`],
  };
  const variables = (name: string) => ({ ...lists[name][1], client });

  for (const name of Object.keys(lists)) {
    it(`${name} refuses an offset that is not a number, too large or negative, at the argument that carried it`, async () => {
      const [query] = lists[name];
      for (const offset of ["x", "99999999999999999999", "-5"]) {
        expect(await answer(query, { ...variables(name), after: base64(`OffsetConnection:${offset}`) })).toBe("VALIDATION after: Not a cursor of this list");
        expect(await answer(query, { ...variables(name), before: base64(`OffsetConnection:${offset}`) })).toBe("VALIDATION before: Not a cursor of this list");
      }
      expect(await answer(query, { ...variables(name), after: "not base64!" })).toBe("VALIDATION after: Not a cursor of this list");
    });
  }

  it("the appointment lists refuse such a cursor too: the list view at its ValidationError, a client's history as an error", async () => {
    const after = base64("OffsetConnection:-5");
    const LIST = `query($after: String, $from: LocalDate!, $to: LocalDate!) { appointments(from: $from, to: $to, first: 5, after: $after) {
      __typename ... on ValidationError { problems { path message } } } }`;
    const list = await ok(url, LIST, { after, from: isoDate(today), to: isoDate(today) }, { token: ws.owner.token });
    expect(list.appointments).toEqual({ __typename: "ValidationError", problems: [{ path: ["after"], message: "Not a cursor of this list" }] });
    const HISTORY = `query($after: String, $client: ID!) { node(id: $client) { ... on Client { appointments(first: 5, after: $after) { nodes { id } } } } }`;
    expect(await answer(HISTORY, { after, client })).toBe("VALIDATION after: Not a cursor of this list");
  });

  it("still takes every cursor it issues, the end cursor of an empty page and the farthest offset included", async () => {
    const [query] = lists.timeEntries;
    const empty = await ok(url, query, {}, { token: ws.owner.token });
    expect(empty.timeEntries.pageInfo.endCursor).toBe(base64("OffsetConnection:-1"));
    expect(await answer(query, { after: empty.timeEntries.pageInfo.endCursor })).toBe("ok");
    expect(await answer(query, { after: base64(`OffsetConnection:${2 ** 31 - 1}`) })).toBe("ok");
    expect(await answer(query, { before: base64(`OffsetConnection:${2 ** 31 - 1}`) })).toBe("ok");
  });
});

describe("userSessions", () => {
  const QUERY = `query($after: String) { userSessions(first: 5, after: $after) { nodes { id } } }`;
  const keyset = (sortValue: number, id: string) => Buffer.from(JSON.stringify([sortValue, id])).toString("base64url");

  it("refuses a cursor whose instant is no date in range or whose id is no UUID, at after", async () => {
    for (const after of [keyset(1e300, "x"), keyset(1e300, randomUUID()), keyset(Date.UTC(1800, 0, 1), randomUUID()), keyset(0, "not-a-uuid")])
      expect(await answer(QUERY, { after })).toBe("VALIDATION after: Not a cursor of this list");
  });

  it("still takes a cursor of the form it issues", async () => {
    expect(await answer(QUERY, { after: keyset(Date.now(), randomUUID()) })).toBe("ok");
  });
});

describe("file and PDF addresses", () => {
  const today = calendar("Europe/Berlin").today;
  const period = `from=${isoDate(today.minus({ days: 30 }))}&to=${isoDate(today)}`;
  const addresses = (id: string) => [
    `/api/work/screenshots/${id}`,
    `/api/appointments/attachments/${id}`,
    `/api/invoices/${id}.pdf`,
    `/api/appointments/clients/${id}/progress.pdf?${period}`,
  ];

  it("answer 404 for an id that is no UUID, as for one that names nothing", async () => {
    const others: string[] = [];
    for (const id of ["-".repeat(36), "a".repeat(36), "0123456789abcdef0123456789abcdef0123", randomUUID()])
      for (const path of addresses(id)) {
        const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ws.owner.token}` } });
        if (res.status !== 404) others.push(`${res.status} ${path}`);
      }
    expect(others).toEqual([]);
  });
});
