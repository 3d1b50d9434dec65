// The paths of validation problems name the arguments as the printed schema nests them, so a client
// can put each problem at its input: field definitions, business events and flows (and their
// previews), which all take their fields under `input.definition`.
import { readFileSync } from "node:fs";
import { buildSchema, getNamedType, isInputObjectType, isListType, isNonNullType, type GraphQLField, type GraphQLInputType } from "graphql";
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

const schema = buildSchema(readFileSync(new URL("../../schema/schema.graphql", import.meta.url), "utf8"));

/** Whether `path` leads through the arguments of a root field to an input: into JSON, anything goes. */
function inSchema(root: GraphQLField<unknown, unknown>, path: string[]): boolean {
  let type: GraphQLInputType | undefined = root.args.find((a) => a.name === path[0])?.type;
  for (const step of path.slice(1)) {
    if (!type) return false;
    if (isNonNullType(type)) type = type.ofType;
    if (isListType(type)) type = /^\d+$/.test(step) ? type.ofType : undefined;
    else if (isInputObjectType(type)) type = type.getFields()[step]?.type;
    else return getNamedType(type).name === "JSON";
  }
  return !!type;
}

/** The problems' paths, dotted, after checking each names an input of `field` in the printed schema. */
function paths(field: string, result: { code?: string; problems?: { path: string[] }[] }): string[] {
  expect(result.code).toBe("VALIDATION");
  const root = schema.getMutationType()!.getFields()[field] ?? schema.getQueryType()!.getFields()[field];
  for (const p of result.problems!) expect(inSchema(root, p.path), p.path.join(".")).toBe(true);
  return result.problems!.map((p) => p.path.join("."));
}

const ERR = `... on ValidationError { code problems { path message } } ... on Error { code message }`;
const owner = () => ({ token: ws.owner.token });

describe("field definition problems", () => {
  const CREATE = `mutation($t: FieldTarget!, $k: String!, $ty: FieldType!, $i: FieldDefinitionInput!) { createFieldDefinition(input: { target: $t, key: $k, type: $ty, definition: $i }) { ... on FieldDefinition { id } ${ERR} } }`;
  const create = async (ty: string, i: object, k = "f", t = "PRE_SESSION") => (await ok(url, CREATE, { t, k, ty, i }, owner())).createFieldDefinition;

  it("are at the key and type beside the definition, and within input.definition for the rest", async () => {
    const image = await create("IMAGE", { label: " ", filterable: true, description: "d".repeat(2001), validation: { minLength: -1 } }, "Bad Key");
    expect(paths("createFieldDefinition", image)).toEqual([
      "input.key",
      "input.definition.label",
      "input.definition.validation.minLength",
      "input.definition.description",
      "input.definition.filterable",
    ]);
    expect(paths("createFieldDefinition", await create("OBJECT", { label: "O", fields: "x" }))).toEqual(["input.definition.fields", "input.definition.fields"]);
    const nested = await create("OBJECT", { label: "O", fields: [{ key: "a", label: " ", type: "select", validation: { pattern: "(" } }] });
    expect(paths("createFieldDefinition", nested)).toEqual([
      "input.definition.fields.0.label",
      "input.definition.fields.0.validation.pattern",
      "input.definition.fields.0.validation.options",
    ]);
    expect(paths("createFieldDefinition", await create("FILE", { label: "Scan" }, "scan", "CLIENT"))).toEqual(["input.type"]);
  });

  it("of a change are within input.definition too", async () => {
    const id = (await create("NUMBER", { label: "Pain" }, "pain")).id;
    const UPDATE = `mutation($id: ID!, $i: FieldDefinitionInput!) { updateFieldDefinition(input: { id: $id, definition: $i }) { ... on FieldDefinition { id } ${ERR} } }`;
    const changed = (await ok(url, UPDATE, { id, i: { label: "Pain", filterable: true, validation: { min: 5, max: 1 } } }, owner())).updateFieldDefinition;
    expect(paths("updateFieldDefinition", changed)).toEqual(["input.definition.validation.max"]);
  });
});

describe("business event and flow problems", () => {
  let appId: string;
  beforeAll(async () => {
    appId = (await ok(url, `mutation { createAnalyticsApp(input: { name: "Paths" }) { ... on AnalyticsAppWithKey { app { id } } } }`, {}, owner())).createAnalyticsApp.app.id;
    for (const name of ["Opened", "Closed"])
      await ok(url, `mutation($a: ID!, $n: String!) { createBusinessEventDefinition(input: { appId: $a, definition: { name: $n, eventName: "x" } }) { __typename } }`, { a: appId, n: name }, owner());
  });

  /** A definition's mutation or preview, its app or its own id as `id`. */
  const call = async (type: "BusinessEventDefinitionInput" | "FlowDefinitionInput", field: string, idArg: "appId" | "id", id: string, definition: object) => {
    const query = `${field.startsWith("preview") ? "query" : "mutation"}($id: ID!, $i: ${type}!) { ${field}(input: { ${idArg}: $id, definition: $i }) { __typename ${ERR} } }`;
    return (await ok(url, query, { id, i: definition }, owner()))[field];
  };
  const event = (field: string, idArg: "appId" | "id", id: string, definition: object) => call("BusinessEventDefinitionInput", field, idArg, id, definition);
  const flow = (field: string, idArg: "appId" | "id", id: string, definition: object) => call("FlowDefinitionInput", field, idArg, id, definition);

  it("of a business event, its preview and a name taken are within input.definition", async () => {
    const bad = { name: " ", eventName: "", conditions: [{ property: " ", op: "GT", value: "x" }], parameters: [""] };
    const expected = ["input.definition.name", "input.definition.eventName", "input.definition.conditions.0.property", "input.definition.conditions.0.value", "input.definition.parameters.0"];
    for (const field of ["createBusinessEventDefinition", "previewBusinessEventDefinition"])
      expect(paths(field, await event(field, "appId", appId, bad))).toEqual(expected);
    expect(paths("createBusinessEventDefinition", await event("createBusinessEventDefinition", "appId", appId, { name: "Opened", eventName: "y" }))).toEqual([
      "input.definition.name",
    ]);
    const { node } = await ok(url, `query($id: ID!) { node(id: $id) { ... on AnalyticsApp { businessEventDefinitions { id name } } } }`, { id: appId }, owner());
    const closed = node.businessEventDefinitions.find((d: { name: string }) => d.name === "Closed").id;
    expect(paths("updateBusinessEventDefinition", await event("updateBusinessEventDefinition", "id", closed, { name: "Opened", eventName: "x" }))).toEqual([
      "input.definition.name",
    ]);
  });

  it("of a flow, its preview and a name taken are within input.definition", async () => {
    const bad = { name: " ", steps: ["Opened", "Nope"], errorEvents: ["Gone"] };
    for (const field of ["createFlowDefinition", "previewFlowDefinition"])
      expect(paths(field, await flow(field, "appId", appId, bad))).toEqual(["input.definition.name", "input.definition.steps.1", "input.definition.errorEvents.0"]);
    expect(paths("createFlowDefinition", await flow("createFlowDefinition", "appId", appId, { name: "F", steps: ["Opened"] }))).toEqual(["input.definition.steps"]);
    const created = await ok(url, `mutation($a: ID!) { f: createFlowDefinition(input: { appId: $a, definition: { name: "F", steps: ["Opened", "Closed"] } }) { ... on FlowDefinition { id } } g: createFlowDefinition(input: { appId: $a, definition: { name: "G", steps: ["Closed", "Opened"] } }) { ... on FlowDefinition { id } } }`, { a: appId }, owner());
    expect(paths("updateFlowDefinition", await flow("updateFlowDefinition", "id", created.g.id, { name: "F", steps: ["Closed", "Opened"] }))).toEqual(["input.definition.name"]);
  });
});
