// Inputs and races that could stall, crash or corrupt the API for everyone: hostile patterns,
// many ids at once, disguised uploads, concurrent settings changes and large amounts.
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, signIn } from "../support/client.js";
import { settledScans } from "../support/database.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let url: string;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
});
afterAll(() => stack?.stop());

const ERR = `... on ValidationError { code problems { path message } } ... on Error { code message }`;

/**
 * The demo owner's token in a workspace of the test's own. Lighter than support/workspace.ts's
 * newWorkspace (one sign-in instead of five): these tests need no other members.
 */
async function ownWorkspace(timeZone = "Europe/Berlin") {
  const cookie = await signIn(url, "owner@demo.test");
  const created = await ok(url, `mutation($z: String) { createWorkspace(input: { name: "Hardening", timeZone: $z }) { ... on Workspace { id } } }`, { z: timeZone }, { cookie });
  await ok(url, `mutation($w: ID!) { switchWorkspace(input: { workspaceId: $w }) { ... on Workspace { id } } }`, { w: created.createWorkspace.id }, { cookie });
  const token = (await ok(url, `mutation { createPersonalAccessToken(input: { name: "test" }) { ... on CreatedToken { secret } } }`, {}, { cookie })).createPersonalAccessToken.secret as string;
  return { token };
}

describe("custom-field patterns", () => {
  const NEW_FIELD = `mutation($k: String!, $i: FieldDefinitionInput!) { createFieldDefinition(input: { target: PRE_SESSION, key: $k, type: TEXT, definition: $i }) { ... on FieldDefinition { id } ${ERR} } }`;
  const CREATE = `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ... on AppointmentPayload { appointment { id } } ${ERR} } }`;

  it("are refused at definition time when the linear-time engine can't run them", async () => {
    const auth = await ownWorkspace();
    for (const pattern of ["(?=a)b", "(a)\\1", "("]) {
      const r = (await ok(url, NEW_FIELD, { k: "code", i: { label: "Code", validation: { pattern } } }, auth)).createFieldDefinition;
      expect(r.code).toBe("VALIDATION");
      expect(r.problems.map((p: { path: string[] }) => p.path.join("."))).toEqual(["input.definition.validation.pattern"]);
    }
    const list = await ok(url, `{ fieldDefinitions(target: PRE_SESSION) { key } }`, {}, auth);
    expect(list.fieldDefinitions).toEqual([]);
  });

  const LIST_FIELD = `mutation($k: String!, $p: String!) { createFieldDefinition(input: { target: PRE_SESSION, key: $k, type: ARRAY, definition: { label: "Codes", fields: [{ key: "item", label: "Code", type: "text", validation: { pattern: $p } }] } }) { ... on FieldDefinition { id } ${ERR} } }`;

  it("are refused at definition time when their repeats expand too far to check quickly", async () => {
    const auth = await ownWorkspace();
    const r = (await ok(url, LIST_FIELD, { k: "codes", p: "(?:a?){1000}(?:a?){1000}(?:a?){1000}b" }, auth)).createFieldDefinition;
    expect(r).toMatchObject({ code: "VALIDATION", problems: [{ path: ["input", "definition", "fields", "0", "validation", "pattern"], message: expect.stringContaining("Too complex") }] });
    const list = await ok(url, `{ fieldDefinitions(target: PRE_SESSION) { key } }`, {}, auth);
    expect(list.fieldDefinitions).toEqual([]);
  });

  it("check at most a bounded amount of text per save: long values beyond it are refused at their paths", async () => {
    const auth = await ownWorkspace();
    // Just within the size limit: each 3,000-character value would cost more than a save may spend.
    expect((await ok(url, LIST_FIELD, { k: "codes", p: "(?:a?){498}b" }, auth)).createFieldDefinition.id).toBeTruthy();
    const client = (await ok(url, `mutation { createClient(input: { name: "Pat" }) { ... on Client { id } } }`, {}, auth)).createClient.id;
    const input = (codes: string[]) => ({ name: "Check", clientId: client, startsAt: DateTime.now().plus({ days: 1 }).toISO(), fields: { codes } });

    const refused = (await ok(url, CREATE, { i: input(Array(10).fill("a".repeat(3000))) }, auth)).createAppointment;
    expect(refused.code).toBe("VALIDATION");
    expect(refused.problems).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ path: ["fields", "codes", String(i)], message: "Too much text to check against the fields' formats in one save; shorten it" })),
    );
    const checked = (await ok(url, CREATE, { i: input(["aab", "c"]) }, auth)).createAppointment;
    expect(checked.problems).toEqual([{ path: ["fields", "codes", "1"], message: "Doesn't match the required format" }]);
    expect((await ok(url, CREATE, { i: input(["aab", "b"]) }, auth)).createAppointment.appointment.id).toBeTruthy();
  });

  it("a catastrophic-backtracking pattern checks a hostile value at once, and the server keeps answering", async () => {
    const auth = await ownWorkspace();
    const field = await ok(url, NEW_FIELD, { k: "code", i: { label: "Code", validation: { pattern: "(a+)+$" } } }, auth);
    expect(field.createFieldDefinition.id).toBeTruthy();
    const client = (await ok(url, `mutation { createClient(input: { name: "Pat" }) { ... on Client { id } } }`, {}, auth)).createClient.id;
    const input = (code: string) => ({ name: "Check", clientId: client, startsAt: DateTime.now().plus({ days: 1 }).toISO(), fields: { code } });

    const hostile = ok(url, CREATE, { i: input("a".repeat(40) + "!") }, auth);
    const started = Date.now();
    await ok(url, `{ viewer { user { id } } }`, {}, auth);
    expect(Date.now() - started).toBeLessThan(5_000); // a backtracking engine would hold the process for hours
    const refused = (await hostile).createAppointment;
    expect(refused.problems).toEqual([{ path: ["fields", "code"], message: "Doesn't match the required format" }]);
    expect((await ok(url, CREATE, { i: input("aaaa") }, auth)).createAppointment.appointment.id).toBeTruthy();
  });
});

describe("custom-field options", () => {
  it("that aren't a list are a validation error at their path, for a field and a sub-field", async () => {
    const auth = await ownWorkspace();
    const SELECT = `mutation($ty: FieldType!, $i: FieldDefinitionInput!) { createFieldDefinition(input: { target: PRE_SESSION, key: "sel", type: $ty, definition: $i }) { ... on FieldDefinition { id } ${ERR} } }`;
    const refused = async (ty: string, i: object) => (await ok(url, SELECT, { ty, i }, auth)).createFieldDefinition;
    expect(await refused("SELECT", { label: "S", validation: { options: "abc" } })).toMatchObject({
      code: "VALIDATION",
      problems: [{ path: ["input", "definition", "validation", "options"], message: "List at least one non-empty option" }],
    });
    expect(await refused("MULTI_SELECT", { label: "S", validation: { options: { a: 1 } } })).toMatchObject({ code: "VALIDATION" });
    expect(await refused("OBJECT", { label: "S", fields: [{ key: "pick", label: "Pick", type: "select", validation: { options: 5 } }] })).toMatchObject({
      code: "VALIDATION",
      problems: [{ path: ["input", "definition", "fields", "0", "validation", "options"], message: "List at least one non-empty option" }],
    });
  });
});

describe("nodes(ids:)", () => {
  const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Client { name } } }`;

  const settledClientScans = async () => (await settledScans(stack.databaseUrl!, ["Client"])).Client;

  it("answers up to 100 IDs, in order, null for what the caller may not see, with one query per type", async () => {
    const auth = await ownWorkspace();
    const names = Array.from({ length: 30 }, (_, i) => `Client ${i}`);
    const created = await Promise.all(names.map((n) => ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n }, auth)));
    const ids: string[] = created.map((c) => c.createClient.id);
    const foreignOwner = await signIn(url, "owner@demo.test");
    const foreign = (await ok(url, `mutation { createClient(input: { name: "Not yours" }) { ... on Client { id } } }`, {}, { cookie: foreignOwner })).createClient.id;

    const before = stack.databaseUrl ? await settledClientScans() : 0;
    const r = await ok(url, NODES, { ids: [...ids, foreign] }, auth);
    expect(r.nodes.slice(0, 30).map((n: { name: string }) => n.name)).toEqual(names);
    expect(r.nodes[30]).toBeNull();
    if (stack.databaseUrl) expect((await settledClientScans()) - before).toBeLessThanOrEqual(2);
  }, 60_000);

  it("refuses more than 100 IDs with a validation error naming the argument", async () => {
    const auth = await ownWorkspace();
    const id = (await ok(url, `mutation { createClient(input: { name: "One" }) { ... on Client { id } } }`, {}, auth)).createClient.id;
    const r = await gql(url, NODES, { ids: Array(101).fill(id) }, auth);
    expect(r.body.data).toBeNull();
    expect(r.body.errors?.[0]).toMatchObject({ message: "ids: At most 100 IDs at once", extensions: { code: "VALIDATION" } });
    expect((await ok(url, NODES, { ids: Array(100).fill(id) }, auth)).nodes).toHaveLength(100);
  });
});

describe("screenshots", () => {
  // A 1x1 PNG.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

  it("are refused with a 400 naming the reason when the bytes are not the claimed image type, and nothing is stored", async () => {
    const auth = await ownWorkspace();
    const headers = { authorization: `Bearer ${auth.token}` };
    const at = (minutesAgo: number) => DateTime.now().minus({ minutes: minutesAgo }).toUTC().toISO();
    const events = [{ id: "w-1", type: "window", timestamp: at(10), duration: 300, pulsetime: 60, data: { app: "Code", title: "main.ts" } }];
    const posted = await fetch(`${url}/api/work/events`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    expect(posted.status).toBe(200);
    const upload = (type: string, body: Buffer<ArrayBuffer>) =>
      fetch(`${url}/api/work/screenshots?takenAt=${encodeURIComponent(at(8)!)}`, { method: "POST", headers: { ...headers, "content-type": type }, body });

    for (const [type, body] of [["image/png", Buffer.from("<html><script>alert(1)</script></html>")], ["image/jpeg", png], ["image/webp", png]] as const) {
      const refused = await upload(type, body);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({ error: `The body is not a ${type} image: its first bytes don't match the Content-Type`, code: "VALIDATION" });
    }
    const stored = await upload("image/png", png);
    expect(stored.status).toBe(201);
    const { sessionId } = await stored.json();
    const session = await ok(url, `query($id: ID!) { node(id: $id) { ... on WorkSession { screenshots { mime size } } } }`, { id: Buffer.from(`WorkSession:${sessionId}`).toString("base64") }, auth);
    expect(session.node.screenshots).toEqual([{ mime: "image/png", size: png.length }]);
  });
});

describe("workspace settings", () => {
  it("changed by concurrent requests keep every change, round after round", async () => {
    const auth = await ownWorkspace();
    const call = (query: string, variables: Record<string, unknown> = {}) => ok(url, query, variables, auth);
    for (let i = 0; i < 10; i++) {
      const slotMinutes = [5, 10, 15, 20, 30, 60][i % 6];
      await Promise.all([
        call(`mutation($m: Int!) { updateWorkSettings(input: { inactivityMinutes: $m }) { __typename } }`, { m: 10 + i }),
        call(`mutation($t: Int!) { updateBillingSettings(input: { rounding: UP, roundingMinutes: 6, taxRateBp: $t }) { __typename } }`, { t: 100 + i }),
        call(`mutation($s: Int!) { updateAppointmentSettings(input: { slotMinutes: $s }) { __typename } }`, { s: slotMinutes }),
        call(`mutation($d: Int!) { updateAppointmentSettings(input: { defaultDurationMinutes: $d }) { __typename } }`, { d: 30 + i }),
        call(`mutation($m: Int!) { updateAnalyticsSettings(input: { inactivityMinutes: $m }) { __typename } }`, { m: 20 + i }),
      ]);
      const { settings } = (await call(`{ viewer { workspace { settings } } }`)).viewer.workspace;
      expect(settings).toMatchObject({
        work: { inactivityMinutes: 10 + i },
        billing: { rounding: { mode: "up", minutes: 6 }, taxRateBp: 100 + i },
        appointments: { slotMinutes, defaultDurationMinutes: 30 + i },
        analytics: { inactivityMinutes: 20 + i },
      });
    }
  });
});

describe("money", () => {
  it("bills amounts past 2^31 and 2^53 cents exactly, as strings, in the invoice and its PDF", async () => {
    const auth = await ownWorkspace("UTC");
    const call = (query: string, variables: Record<string, unknown> = {}) => ok(url, query, variables, auth);
    await call(`mutation { updateBillingSettings(input: { rounding: NONE, taxRateBp: 1900 }) { __typename } }`);
    const client = (await call(`mutation { createClient(input: { name: "Megacorp" }) { ... on Client { id } } }`)).createClient.id;
    const rate = "9007199254740993"; // 2^53 + 1 cents per hour: no double holds it
    const project = (
      await call(`mutation($c: ID!, $r: Money!) { createProject(input: { clientId: $c, name: "Merger", hourlyRateCents: $r }) { ... on Project { id hourlyRateCents } } }`, { c: client, r: rate })
    ).createProject;
    expect(project.hourlyRateCents).toBe(rate);
    const start = DateTime.now().toUTC().minus({ days: 1 }).startOf("hour");
    await call(`mutation($p: ID!, $s: DateTime!, $e: DateTime!) { logTime(input: { projectId: $p, startedAt: $s, endedAt: $e }) { __typename } }`, {
      p: project.id,
      s: start.toISO(),
      e: start.plus({ hours: 1 }).toISO(),
    });
    const created = await call(
      `mutation($c: ID!, $f: LocalDate!, $t: LocalDate!) { createInvoice(input: { clientId: $c, from: $f, to: $t }) { ... on MutationCreateInvoiceSuccess { data { id subtotalCents taxCents totalCents lines { rateCents amountCents } pdfUrl } } ${ERR} } }`,
      { c: client, f: start.minus({ days: 1 }).toISODate(), t: start.toISODate() },
    );
    const [invoice] = created.createInvoice.data;
    expect(invoice).toMatchObject({
      subtotalCents: rate,
      taxCents: "1711367858400789",
      totalCents: "10718567113141782",
      lines: [{ rateCents: rate, amountCents: rate }],
    });
    const pdf = await fetch(url + invoice.pdfUrl, { headers: { authorization: `Bearer ${auth.token}` } });
    expect(pdf.status).toBe(200);

    const tooBig = await gql(url, `mutation($c: ID!, $r: Money!) { createProject(input: { clientId: $c, name: "Overflow", hourlyRateCents: $r }) { __typename } }`, { c: client, r: "9223372036854775808" }, auth);
    expect(tooBig.body.errors?.[0].message).toContain("Money must be a whole number of minor units");
  });
});

describe("bad input", () => {
  const CREATE_CLIENT = `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } ${ERR} } }`;
  const clientCount = async (auth: { token: string }) => (await ok(url, `{ clients(first: 100) { nodes { id } } }`, {}, auth)).clients.nodes.length;
  const codes = (r: { body: { errors?: { extensions?: { code?: string } }[] } }) => r.body.errors?.map((e) => e.extensions?.code);

  it("strings with NUL characters, names too long for an index, lists too long and JSON too deep get a typed error naming the path, and change nothing", async () => {
    const auth = await ownWorkspace();
    const refused = async (variables: Record<string, unknown>) => (await ok(url, CREATE_CLIENT, variables, auth)).createClient;
    expect(await refused({ n: "Ann\u0000a" })).toMatchObject({ code: "VALIDATION", problems: [{ path: ["input", "name"], message: "Must not contain NUL characters" }] });
    expect(await refused({ n: "N".repeat(2_800) })).toMatchObject({ code: "VALIDATION", problems: [{ path: ["input", "name"], message: "At most 200 characters" }] });
    expect(await clientCount(auth)).toBe(0);

    let deep: unknown = "bottom";
    for (let i = 0; i < 1_000; i++) deep = { nested: deep };
    const NEW_FIELD = `mutation($i: FieldDefinitionInput!) { createFieldDefinition(input: { target: PRE_SESSION, key: "deep", type: TEXT, definition: $i }) { ... on FieldDefinition { id } ${ERR} } }`;
    const tooDeep = (await ok(url, NEW_FIELD, { i: { label: "Deep", validation: deep } }, auth)).createFieldDefinition;
    expect(tooDeep.code).toBe("VALIDATION");
    expect(tooDeep.problems[0].message).toBe("Nested more than 32 levels deep");
    const tooMany = (await ok(url, NEW_FIELD, { i: { label: "Many", validation: { options: Array(5_000).fill("x") } } }, auth)).createFieldDefinition;
    expect(tooMany.problems).toEqual([{ path: ["input", "definition", "validation", "options"], message: "At most 1000 items" }]);
    expect((await ok(url, `{ fieldDefinitions(target: PRE_SESSION) { key } }`, {}, auth)).fieldDefinitions).toEqual([]);
  });

  it("IDs that are not ours and instants far outside any calendar are refused, never a server error", async () => {
    const auth = await ownWorkspace();
    const notUuid = Buffer.from("Client:not-a-uuid").toString("base64");
    const node = await gql(url, `query($id: ID!) { node(id: $id) { id } }`, { id: notUuid }, auth);
    expect(codes(node)).toEqual(["VALIDATION"]);
    const update = await ok(url, `mutation($id: ID!) { updateClient(input: { id: $id, name: "x" }) { __typename ${ERR} } }`, { id: notUuid }, auth);
    expect(update.updateClient).toMatchObject({ code: "VALIDATION", problems: [{ path: ["input", "id"], message: "Not an ID of this API" }] });

    const year1 = await gql(url, `mutation($s: DateTime!) { logTime(input: { projectId: "x", startedAt: $s, endedAt: $s }) { __typename } }`, { s: "0001-01-01T00:00:00Z" }, auth);
    expect(year1.body.errors?.[0].message).toContain("between the years 1900 and 9999");

    const events = [
      { id: "bad\u0000id", type: "close", timestamp: DateTime.now().toUTC().toISO() },
      { id: "w-nul", type: "window", timestamp: DateTime.now().toUTC().toISO(), data: { app: "Co\u0000de", title: "x" } },
      { id: "old", type: "close", timestamp: "0001-01-01T00:00:00Z" },
    ];
    const posted = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${auth.token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    expect(posted.status).toBe(200);
    const answer = await posted.json();
    expect(answer.rejected.map((r: { index: number; reason: string }) => [r.index, r.reason])).toEqual([
      [0, "id must be a string of 1 to 200 characters, without NUL characters"],
      [1, "data.app is required: a string of 1 to 200 characters, without NUL characters"],
      [2, "timestamp must be between the years 1900 and 9999"],
    ]);
  });

  it("IDs the relay plugin can't decode, an employee parameter that isn't a User ID, lone surrogates, year 0001 months and GET variables that aren't JSON are the client's errors", async () => {
    const auth = await ownWorkspace();
    const headers = { authorization: `Bearer ${auth.token}` };
    const projectId = Buffer.from("Project:3f1d4a52-8a8e-4a52-9f0e-1c2d3e4f5a6b").toString("base64");
    for (const id of ["not base64 !!", projectId]) {
      const r = await gql(url, `mutation($id: ID!) { deleteClient(input: { id: $id }) { __typename } }`, { id }, auth);
      expect(codes(r)).toEqual(["VALIDATION"]);
    }
    const notUser = encodeURIComponent(Buffer.from("Client:not-a-uuid").toString("base64"));
    const report = await fetch(`${url}/api/work/report.csv?month=2026-01&employee=${notUser}`, { headers });
    expect(report.status).toBe(404);
    const imported = await fetch(`${url}/api/work/import?employee=${notUser}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ buckets: {} }) });
    expect(imported.status).toBe(404);
    const surrogate = (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { __typename ${ERR} } }`, { n: "Ann\ud800" }, auth)).createClient;
    expect(surrogate).toMatchObject({ code: "VALIDATION", problems: [{ path: ["input", "name"], message: "Must be well-formed Unicode (no lone surrogates)" }] });
    expect((await fetch(`${url}/api/work/report.csv?month=0001-01`, { headers })).status).toBe(400);
    const get = await fetch(`${url}/graphql?query=${encodeURIComponent("{ viewer { user { id } } }")}&variables=%7Bnot-json`, { headers });
    expect(get.status).toBe(400);
    expect((await get.json()).errors[0]).toEqual({ message: "variables: not valid JSON", extensions: { code: "VALIDATION" } });
  });

  it("a malformed % escape in a static file URL is a 400", async () => {
    expect((await fetch(`${url}/app/%E0%A4%A`)).status).toBe(400);
  });
});
