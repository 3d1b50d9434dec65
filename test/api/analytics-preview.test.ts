// Previews of unsaved business-event and flow definitions against the app's sessions of the last day,
// through the API, with sessions made by POST /api/events.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, signIn } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { newWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: string;
let appId: string;

/** Each session's raw events (by name) and what the flow "Opened Form" → "Submitted" should make of it. */
const SESSIONS: { events: string[]; plan?: string; outcome: "completed" | "mistakes" | "dropped_off" | null; repeats?: boolean }[] = [
  { events: ["form_open", "form_submit"], plan: "pro", outcome: "completed" },
  { events: ["form_open", "form_error", "form_submit"], outcome: "mistakes" },
  { events: ["form_open"], outcome: "dropped_off" },
  { events: ["form_open", "form_open", "form_submit"], outcome: "mistakes", repeats: true },
  { events: ["page_view"], outcome: null },
];

const post = async (writeKey: string, events: unknown[]) => {
  const res = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${writeKey}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  expect([200, 202]).toContain(res.status);
  expect((await res.json()).rejected).toEqual([]);
};

/** One session per entry, a few hours ago, each with its own session id; plus one 30 hours ago, outside the day. */
async function sendSessions(writeKey: string) {
  const now = Date.now();
  const session = (key: string, events: string[], startMs: number, plan?: string) =>
    events.map((name, i) => ({ eventId: `${key}-${i}`, userId: `user-${key}`, sessionId: key, name, timestamp: new Date(startMs + i * 60_000).toISOString(), properties: plan ? { plan } : {} }));
  await post(writeKey, [
    ...SESSIONS.flatMap((s, i) => session(`s${i}`, s.events, now - (3 + i) * 3600_000, s.plan)),
    ...session("old", ["form_open", "form_submit"], now - 30 * 3600_000, "pro"),
  ]);
}

const PREVIEW_FLOW = `query($input: PreviewFlowDefinitionInput!) { previewFlowDefinition(input: $input) {
  __typename ... on FlowDefinitionPreview { sessions started completed withMistakes droppedOff dropOffSteps { step sessions } }
  ... on ValidationError { problems { path message } } ... on Error { code } } }`;
const PREVIEW_EVENT = `query($input: PreviewBusinessEventDefinitionInput!) { previewBusinessEventDefinition(input: $input) {
  __typename ... on BusinessEventDefinitionPreview { sessions matchingSessions matches }
  ... on ValidationError { problems { path message } } ... on Error { code } } }`;

const previewFlow = async (definition: object) => (await ok(url, PREVIEW_FLOW, { input: { appId, definition } }, { cookie: owner })).previewFlowDefinition;
const previewEvent = async (definition: object) => (await ok(url, PREVIEW_EVENT, { input: { appId, definition } }, { cookie: owner })).previewBusinessEventDefinition;

beforeAll(async () => {
  stack = await startStack({ worker: true });
  url = stack.urls[0];
  const ws = await newWorkspace(url);
  owner = await signIn(url, ws.owner.email);
  const created = await ok(url, `mutation { createAnalyticsApp(input: { name: "Forms" }) { ... on AnalyticsAppWithKey { writeKey app { id } } } }`, {}, { cookie: owner });
  appId = created.createAnalyticsApp.app.id;
  for (const [name, eventName, isError] of [["Opened Form", "form_open", false], ["Submitted", "form_submit", false], ["Failed", "form_error", true]] as const) {
    await ok(url, `mutation($i: CreateBusinessEventDefinitionInput!) { createBusinessEventDefinition(input: $i) { __typename } }`, { i: { appId, definition: { name, eventName, isError } } }, { cookie: owner });
  }
  await sendSessions(created.createAnalyticsApp.writeKey);
  // Stored through the queue: wait until all the day's sessions are there.
  await until(() => previewEvent({ name: "Any", eventName: "page_view" }), (p) => p.sessions === SESSIONS.length);
});
afterAll(() => stack?.stop());

const count = (outcome: string, sessions = SESSIONS) => sessions.filter((s) => s.outcome === outcome).length;

describe("previewFlowDefinition", () => {
  const flow = { name: "Form", steps: ["Opened Form", "Submitted"] };

  it("counts the day's sessions that would start, complete, make mistakes and drop off, and where they stop", async () => {
    expect(await previewFlow(flow)).toEqual({
      __typename: "FlowDefinitionPreview",
      sessions: SESSIONS.length,
      started: SESSIONS.filter((s) => s.outcome).length,
      completed: count("completed"),
      withMistakes: count("mistakes"),
      droppedOff: count("dropped_off"),
      dropOffSteps: [{ step: "Opened Form", sessions: count("dropped_off") }],
    });
  });

  it("follows what the unsaved flow says counts as a mistake", async () => {
    const lenient = await previewFlow({ ...flow, repeatedStepIsMistake: false });
    const repeats = SESSIONS.filter((s) => s.repeats).length;
    expect(lenient).toMatchObject({ completed: count("completed") + repeats, withMistakes: count("mistakes") - repeats });
  });

  it("names the field of bad input and saves nothing", async () => {
    const bad = await previewFlow({ name: " ", steps: ["Opened Form", "Nope"] });
    expect(bad.__typename).toBe("ValidationError");
    expect(bad.problems.map((p: { path: string[] }) => p.path.join("."))).toEqual(["input.definition.name", "input.definition.steps.1"]);
    const { node } = await ok(url, `query($id: ID!) { node(id: $id) { ... on AnalyticsApp { flowDefinitions { name } } } }`, { id: appId }, { cookie: owner });
    expect(node.flowDefinitions).toEqual([]);
  });
});

describe("previewBusinessEventDefinition", () => {
  const opens = SESSIONS.map((s) => s.events.filter((e) => e === "form_open").length);

  it("counts the day's sessions and raw events it would match", async () => {
    expect(await previewEvent({ name: "Opened", eventName: "form_open" })).toEqual({
      __typename: "BusinessEventDefinitionPreview",
      sessions: SESSIONS.length,
      matchingSessions: opens.filter((n) => n > 0).length,
      matches: opens.reduce((a, b) => a + b, 0),
    });
  });

  it("applies the unsaved conditions (the older session with the same plan is outside the day)", async () => {
    const pro = await previewEvent({ name: "Opened", eventName: "form_open", conditions: [{ property: "plan", op: "EQ", value: "pro" }] });
    expect(pro).toMatchObject({ matchingSessions: SESSIONS.filter((s) => s.plan === "pro").length, matches: 1 });
  });

  it("names the field of bad input", async () => {
    const bad = await previewEvent({ name: "Opened", eventName: "", conditions: [{ property: "plan", op: "GT", value: "pro" }] });
    expect(bad.__typename).toBe("ValidationError");
    expect(bad.problems.map((p: { path: string[] }) => p.path.join("."))).toEqual(["input.definition.eventName", "input.definition.conditions.0.value"]);
  });
});
