// Client profiles with the practice's own fields: defined like session fields (target CLIENT),
// validated the same way, shown on the client, filterable, and private to the practice side.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  ws = await newWorkspace(url);
});
afterAll(() => stack?.stop());

const ERR = `... on ValidationError { code problems { path message } } ... on Error { code }`;
const NEW_FIELD = `mutation($k: String!, $ty: FieldType!, $i: FieldDefinitionInput!) { createFieldDefinition(input: { target: CLIENT, key: $k, type: $ty, definition: $i }) { __typename ... on FieldDefinition { id } ${ERR} } }`;
const SAVE = `mutation($id: ID!, $f: JSON!) { saveClientFields(input: { id: $id, fields: $f }) { __typename ... on Client { fieldValues } ${ERR} } }`;
const BY_FIELDS = `query($f: JSON!) { clientsByFields(fields: $f) { nodes { name } } }`;

async function newClient(name: string) {
  return (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: name }, { token: ws.owner.token })).createClient.id as string;
}

describe("client fields", () => {
  it("are defined like session fields, saved with field-level problems, filterable, and read only on the practice side", async () => {
    const owner = ws.owner.token;
    const field = (k: string, ty: string, i: object) => ok(url, NEW_FIELD, { k, ty, i: { label: k, ...i } }, { token: owner }).then((d) => d.createFieldDefinition);
    expect((await field("referral", "SELECT", { filterable: true, validation: { options: ["GP", "Self", "Insurer"] } })).__typename).toBe("FieldDefinition");
    expect((await field("birthYear", "NUMBER", { required: true, validation: { min: 1900, max: 2030 } })).__typename).toBe("FieldDefinition");
    expect((await field("goals", "MULTI_SELECT", { filterable: true, validation: { options: ["Mobility", "Pain", "Sleep"] } })).__typename).toBe("FieldDefinition");
    // A client profile holds no files.
    expect(await field("scan", "FILE", {})).toMatchObject({ code: "VALIDATION", problems: [{ path: ["input", "type"], message: "Client fields can't hold files: attach them to a session" }] });
    expect((await ok(url, `{ fieldDefinitions(target: CLIENT) { key } }`, {}, { token: owner })).fieldDefinitions.map((d: { key: string }) => d.key)).toEqual(["referral", "birthYear", "goals"]);

    const ann = await newClient("Ann Client");
    const ben = await newClient("Ben Client");
    // Staff save profiles; each bad value is named, and nothing is stored.
    const staff = ws.staff.token;
    const bad = (await ok(url, SAVE, { id: ann, f: { referral: "Friend", birthYear: 1850 } }, { token: staff })).saveClientFields;
    expect(bad.code).toBe("VALIDATION");
    expect(bad.problems.map((p: { path: string[] }) => p.path.join("."))).toEqual(expect.arrayContaining(["fields.referral", "fields.birthYear"]));
    expect((await ok(url, `query($id: ID!) { node(id: $id) { ... on Client { fieldValues } } }`, { id: ann }, { token: staff })).node.fieldValues).toEqual({});
    expect((await ok(url, SAVE, { id: ann, f: { referral: "GP" } }, { token: staff })).saveClientFields.problems).toEqual([{ path: ["fields", "birthYear"], message: "Required" }]);

    expect((await ok(url, SAVE, { id: ann, f: { referral: "GP", birthYear: 1984, goals: ["Mobility", "Sleep"] } }, { token: staff })).saveClientFields.fieldValues).toEqual({ referral: "GP", birthYear: 1984, goals: ["Mobility", "Sleep"] });
    await ok(url, SAVE, { id: ben, f: { referral: "Self", birthYear: 1990, goals: ["Sleep"] } }, { token: staff });
    // A field left out is cleared.
    expect((await ok(url, SAVE, { id: ben, f: { referral: "Self", birthYear: 1990 } }, { token: staff })).saveClientFields.fieldValues).toEqual({ referral: "Self", birthYear: 1990 });

    const names = async (f: object) => (await ok(url, BY_FIELDS, { f }, { token: staff })).clientsByFields.nodes.map((c: { name: string }) => c.name);
    expect(await names({ referral: "GP" })).toEqual(["Ann Client"]);
    expect(await names({ goals: "Sleep" })).toEqual(["Ann Client"]);
    expect(await names({})).toEqual(["Ann Client", "Ben Client"]);
    const refused = await ok(url, `query($f: JSON!) { clientsByFields(fields: $f) { nodes { name } } }`, { f: { birthYear: 1984 } }, { token: staff }).catch((e: Error) => e.message);
    expect(String(refused)).toContain("Not a filterable client field");

    // The owner reads them; an employee (who reads sessions but doesn't update them) can't write them.
    const member = (await ok(url, `query($id: ID!) { node(id: $id) { ... on Client { name fieldValues } } }`, { id: ann }, { token: ws.owner.token })).node;
    expect(member).toEqual({ name: "Ann Client", fieldValues: { referral: "GP", birthYear: 1984, goals: ["Mobility", "Sleep"] } });
    const employee = await ok(url, SAVE, { id: ann, f: { referral: "Self", birthYear: 1 } }, { token: ws.employee.token }).catch((e: Error) => e.message);
    expect(JSON.stringify(employee)).toMatch(/permission|FORBIDDEN/i);
  });
});
