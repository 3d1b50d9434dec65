// Inputs and races that could stall, crash or corrupt the API for everyone: hostile patterns,
// many ids at once, disguised uploads, concurrent settings changes and large amounts.
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, signIn } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let url: string;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
});
afterAll(() => stack?.stop());

const ERR = `... on ValidationError { code problems { path message } } ... on Error { code message }`;

/** The demo owner, signed in and acting in a workspace of its own. */
async function ownWorkspace(name: string) {
  const cookie = await signIn(url, "owner@demo.test");
  const created = await ok(url, `mutation($n: String!) { createWorkspace(name: $n) { ... on Workspace { id } } }`, { n: name }, { cookie });
  await ok(url, `mutation($w: ID!) { switchWorkspace(workspaceId: $w) { ... on Workspace { id } } }`, { w: created.createWorkspace.id }, { cookie });
  return { cookie, workspaceId: created.createWorkspace.id as string };
}

describe("custom-field patterns", () => {
  const NEW_FIELD = `mutation($k: String!, $i: FieldDefinitionInput!) { createFieldDefinition(target: pre_session, key: $k, type: text, input: $i) { ... on FieldDefinition { id } ${ERR} } }`;
  const CREATE = `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ... on AppointmentPayload { appointment { id } } ${ERR} } }`;

  it("are refused at definition time when the linear-time engine can't run them", async () => {
    const { cookie } = await ownWorkspace("Patterns refused");
    for (const pattern of ["(?=a)b", "(a)\\1", "("]) {
      const r = (await ok(url, NEW_FIELD, { k: "code", i: { label: "Code", validation: { pattern } } }, { cookie })).createFieldDefinition;
      expect(r.code).toBe("VALIDATION");
      expect(r.problems.map((p: { path: string[] }) => p.path.join("."))).toEqual(["input.validation.pattern"]);
    }
    const list = await ok(url, `{ fieldDefinitions(target: pre_session) { key } }`, {}, { cookie });
    expect(list.fieldDefinitions).toEqual([]);
  });

  it("a catastrophic-backtracking pattern checks a hostile value at once, and the server keeps answering", async () => {
    const { cookie } = await ownWorkspace("Patterns hostile");
    const field = await ok(url, NEW_FIELD, { k: "code", i: { label: "Code", validation: { pattern: "(a+)+$" } } }, { cookie });
    expect(field.createFieldDefinition.id).toBeTruthy();
    const client = (await ok(url, `mutation { createClient(name: "Pat") { ... on Client { id } } }`, {}, { cookie })).createClient.id;
    const input = (code: string) => ({ name: "Check", clientId: client, startsAt: DateTime.now().plus({ days: 1 }).toISO(), fields: { code } });

    const hostile = ok(url, CREATE, { i: input("a".repeat(40) + "!") }, { cookie });
    const started = Date.now();
    await ok(url, `{ viewer { user { id } } }`, {}, { cookie });
    expect(Date.now() - started).toBeLessThan(2_000);
    const refused = (await hostile).createAppointment;
    expect(refused.problems).toEqual([{ path: ["fields", "code"], message: "Doesn't match the required format" }]);
    expect((await ok(url, CREATE, { i: input("aaaa") }, { cookie })).createAppointment.appointment.id).toBeTruthy();
  });
});
