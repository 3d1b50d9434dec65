// The authorization matrix: every root field of the printed SDL and every plain endpoint, called by
// every kind of caller, against one table of what each needs. A field with no row fails the test,
// so nothing new ships without someone deciding who may call it. The expectations here are written
// out by hand (roles and scopes as README documents them), not read from the policy they check.
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { encodeGlobalID } from "@pothos/plugin-relay";
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from "graphql";
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, signIn, subscribe, tokenFor, wsClient, type Auth } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { memberIn } from "../support/workspace.js";
import type { MatrixFigures } from "../bench/authorization.js";

const SDL = buildSchema(readFileSync(new URL("../../schema/schema.graphql", import.meta.url), "utf8"));

// ---- who may do what (README "Roles and permissions") ----
const ALL = [
  "session.read", "session.create", "session.update", "session.delete", "session.fields.manage", "evaluation.fields.manage",
  "work.read", "work.record", "work.manage", "agent.read", "agent.track", "team.read",
  "billing.manage", "analytics.read", "analytics.manage", "jobs.read", "members.manage", "tokens.manage", "workspace.manage",
] as const;
type Permission = (typeof ALL)[number];
const IDENTITY: Permission[] = ["members.manage", "tokens.manage", "workspace.manage"];
const ROLES: Record<"owner" | "manager" | "staff" | "employee", readonly Permission[]> = {
  owner: ALL,
  manager: ["session.read", "session.create", "session.update", "session.delete", "work.read", "work.record", "work.manage", "agent.read", "agent.track", "team.read", "billing.manage", "analytics.read", "jobs.read"],
  staff: ["session.read", "session.create", "session.update", "work.read", "work.record", "agent.read", "agent.track", "team.read"],
  employee: ["session.read", "work.read", "work.record", "agent.read", "agent.track"],
};
const CUSTOM_STAFF: Permission[] = ["session.read", "work.read"];
const KEY_SCOPES = ALL.filter((p) => !IDENTITY.includes(p));

/** A caller: how it authenticates, what it holds, and whether it is a person (not an API key). */
interface Caller {
  name: string;
  auth: Auth;
  holds: ReadonlySet<Permission>;
  person: boolean;
  /** The owner of another workspace, sending this workspace's IDs. */
  foreign?: boolean;
  viaCookie?: boolean;
}

// ---- what each field needs ----
/** anyone; signed in; a person (never an API key); one permission; any of several; a person holding a permission. */
type Need = "anyone" | "signedIn" | "person" | Permission | { any: Permission[] } | { person: Permission };

/** Fields that end the caller's browser sessions: run after every other field. */
const SIGN_OUTS = ["Mutation.signOutEverywhere", "Mutation.signOut"];

const FIELDS: Record<string, Need> = {
  // Query
  "Query.viewer": "anyone",
  "Query.invitations": { person: "members.manage" },
  "Query.node": "anyone",
  "Query.nodes": "anyone",
  "Query.agentSessions": "agent.read",
  "Query.runningTimer": "agent.read",
  "Query.timeEntries": "agent.read",
  "Query.timeEntryWeeks": "agent.read",
  "Query.projects": { any: ["agent.read", "billing.manage"] },
  "Query.clients": { any: ["session.read", "agent.read", "billing.manage"] },
  "Query.clientsByFields": "session.read",
  "Query.clientProgress": "session.read",
  "Query.appointmentServices": { any: ["session.read", "billing.manage"] },
  "Query.appointmentCalendar": "session.read",
  "Query.appointments": "session.read",
  "Query.appointmentSettings": "session.read",
  "Query.calendarFeeds": "session.read",
  "Query.fieldDefinitions": "session.read",
  "Query.freeSlots": "session.read",
  "Query.workSessions": "work.read",
  "Query.workSettings": "work.read",
  "Query.afkPrompts": "work.record",
  "Query.workSummary": "work.read",
  "Query.workDays": "work.read",
  "Query.workMonthlyReport": "work.read",
  "Query.workSessionDuplicates": "work.manage",
  "Query.workSessionMerges": "work.manage",
  "Query.billingSettings": "billing.manage",
  "Query.invoices": "billing.manage",
  "Query.analyticsApps": "analytics.read",
  "Query.analyticsSettings": "analytics.read",
  "Query.previewBusinessEventDefinition": "analytics.manage",
  "Query.previewFlowDefinition": "analytics.manage",
  "Query.userSessions": "analytics.read",
  "Query.userSessionsInProgress": "analytics.read",
  "Query.userActivity": "analytics.read",
  "Query.failedJobs": "jobs.read",
  "Query.liveBoard": { any: ["work.read", "agent.read", "session.read", "analytics.read"] },
  // Mutation: identity and credentials
  "Mutation.signIn": "anyone",
  "Mutation.signOut": "signedIn",
  "Mutation.createPersonalAccessToken": "person",
  "Mutation.revokeToken": "person",
  "Mutation.createWorkspace": "person",
  "Mutation.switchWorkspace": "person",
  "Mutation.createApiKey": "tokens.manage",
  "Mutation.inviteMember": { person: "members.manage" },
  "Mutation.revokeInvitation": { person: "members.manage" },
  "Mutation.acceptInvitation": "anyone",
  "Mutation.removeMember": { person: "members.manage" },
  "Mutation.changeMemberRole": { person: "members.manage" },
  "Mutation.changePassword": "person",
  "Mutation.requestPasswordReset": "anyone",
  "Mutation.resetPassword": "anyone",
  "Mutation.signOutEverywhere": "person",
  "Mutation.setStaffPermissions": "workspace.manage",
  "Mutation.updateWorkspace": "workspace.manage",
  // work sessions
  "Mutation.addManualTime": "work.manage",
  "Mutation.editWorkSession": "work.manage",
  "Mutation.mergeDuplicateWorkSessions": "work.manage",
  "Mutation.setAfkReason": "work.record",
  "Mutation.updateWorkSettings": "workspace.manage",
  // agent sessions, timer, time entries, projects and clients
  "Mutation.startAgentSession": "agent.track",
  "Mutation.setBeat": "agent.track",
  "Mutation.endAgentSession": "agent.track",
  "Mutation.startTimer": "agent.track",
  "Mutation.stopTimer": "agent.track",
  "Mutation.logTime": "agent.track",
  "Mutation.deleteTimeEntry": "agent.track",
  "Mutation.updateTimeEntry": { any: ["agent.track", "billing.manage"] },
  "Mutation.createProject": "billing.manage",
  "Mutation.updateProject": "billing.manage",
  "Mutation.archiveProject": "billing.manage",
  "Mutation.restoreProject": "billing.manage",
  "Mutation.createClient": { any: ["billing.manage", "session.create"] },
  "Mutation.updateClient": { any: ["billing.manage", "session.create"] },
  "Mutation.deleteClient": { any: ["billing.manage", "session.create"] },
  // client sessions
  "Mutation.createAppointment": "session.create",
  "Mutation.createAppointmentSeries": "session.create",
  "Mutation.updateAppointment": "session.update",
  "Mutation.setAppointmentStatus": "session.update",
  "Mutation.saveAppointmentFields": "session.update",
  "Mutation.deleteAppointmentAttachment": "session.update",
  "Mutation.deleteAppointment": "session.delete",
  "Mutation.saveEvaluation": "session.update",
  "Mutation.saveClientFields": "session.update",
  "Mutation.deleteEvaluation": "session.delete",
  "Mutation.createFieldDefinition": "session.fields.manage", // target pre_session; evaluation fields need evaluation.fields.manage
  "Mutation.reorderFieldDefinitions": "session.fields.manage",
  // Checked after loading the field, by its target: signed-in callers learn only NOT_FOUND for an unknown id.
  "Mutation.updateFieldDefinition": "signedIn",
  "Mutation.archiveFieldDefinition": "signedIn",
  "Mutation.restoreFieldDefinition": "signedIn",
  "Mutation.updateAppointmentSettings": "workspace.manage",
  "Mutation.saveAppointmentService": "billing.manage",
  "Mutation.createCalendarFeed": { person: "session.read" },
  "Mutation.revokeCalendarFeed": "person",
  // billing
  "Mutation.createInvoice": "billing.manage",
  "Mutation.generateInvoices": "billing.manage",
  "Mutation.issueInvoice": "billing.manage",
  "Mutation.markInvoicePaid": "billing.manage",
  "Mutation.voidInvoice": "billing.manage",
  "Mutation.updateBillingSettings": "billing.manage",
  // analytics
  "Mutation.createAnalyticsApp": "analytics.manage",
  "Mutation.updateAnalyticsApp": "analytics.manage",
  "Mutation.deleteAnalyticsApp": "analytics.manage",
  "Mutation.rotateAnalyticsWriteKey": "analytics.manage",
  "Mutation.updateAnalyticsSettings": "analytics.manage",
  "Mutation.createBusinessEventDefinition": "analytics.manage",
  "Mutation.updateBusinessEventDefinition": "analytics.manage",
  "Mutation.deleteBusinessEventDefinition": "analytics.manage",
  "Mutation.createFlowDefinition": "analytics.manage",
  "Mutation.updateFlowDefinition": "analytics.manage",
  "Mutation.deleteFlowDefinition": "analytics.manage",
  // Subscription
  "Subscription.liveBoard": { any: ["work.read", "agent.read", "session.read", "analytics.read"] },
  "Subscription.liveBoardChanges": { any: ["work.read", "agent.read", "session.read", "analytics.read"] },
  "Subscription.sessionStatusChanged": { any: ["work.read", "agent.read", "session.read", "analytics.read"] },
  "Subscription.appointmentChanged": "session.read",
  "Subscription.userSessionsChanged": "analytics.read",
  "Subscription.userSessionsInProgressChanged": "analytics.read",
  "Subscription.afkPromptsChanged": "work.record",
};

/** Which kind of object an `id` argument names, where the argument's name doesn't say. */
const ID_OF: Record<string, string> = {
  node: "Client", nodes: "Client", revokeToken: "AccessToken", revokeInvitation: "Invitation", memberId: "Member", switchWorkspace: "Workspace", updateClient: "Client", deleteClient: "Client",
  updateProject: "Project", archiveProject: "Project", restoreProject: "Project", deleteAppointment: "Appointment", updateAppointment: "Appointment", setAppointmentStatus: "Appointment",
  saveAppointmentFields: "Appointment", deleteAppointmentAttachment: "AppointmentAttachment", deleteEvaluation: "Evaluation",
  updateFieldDefinition: "FieldDefinition", archiveFieldDefinition: "FieldDefinition", restoreFieldDefinition: "FieldDefinition",
  reorderFieldDefinitions: "FieldDefinition", revokeCalendarFeed: "CalendarFeed", editWorkSession: "WorkSession", deleteTimeEntry: "TimeEntry", updateTimeEntry: "TimeEntry",
  issueInvoice: "Invoice", markInvoicePaid: "Invoice", voidInvoice: "Invoice", updateAnalyticsApp: "AnalyticsApp",
  deleteAnalyticsApp: "AnalyticsApp", rotateAnalyticsWriteKey: "AnalyticsApp", updateBusinessEventDefinition: "BusinessEventDefinition",
  deleteBusinessEventDefinition: "BusinessEventDefinition", updateFlowDefinition: "FlowDefinition", deleteFlowDefinition: "FlowDefinition",
  clientId: "Client", projectId: "Project", employeeId: "User", staffId: "User", userId: "User", appId: "AnalyticsApp", sessionId: "AgentSession",
  afkPeriodId: "AfkPeriod", appointmentId: "Appointment", workspaceId: "Workspace",
};

/** Arguments whose generated value would be refused before any authorization is asked. */
const ARGS: Record<string, Record<string, unknown>> = {
  createFieldDefinition: { input: { target: "PRE_SESSION" } },
  reorderFieldDefinitions: { input: { target: "PRE_SESSION" } },
  fieldDefinitions: { target: "PRE_SESSION" },
  createCalendarFeed: { input: { scope: "MINE" } },
  timeEntryWeeks: { filter: { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() } },
};

function allowed(need: Need, c: Caller): boolean {
  if (need === "anyone") return true;
  if (c.auth.token === undefined && c.auth.cookie === undefined) return false;
  if (need === "signedIn") return true;
  if (need === "person") return c.person;
  if (typeof need === "string") return c.holds.has(need);
  if ("any" in need) return need.any.some((p) => c.holds.has(p));
  return c.person && c.holds.has(need.person);
}

// ---- arguments and selections generated from the SDL ----
const today = () => DateTime.utc().toISODate()!;

/** Global IDs of this workspace's objects, by type: what the foreign owner sends. */
const realIds: Record<string, string> = {};
const fakeId = (type: string) => encodeGlobalID(type, randomUUID());

function value(type: GraphQLInputType, name: string, field: string, foreign: boolean): unknown {
  if (isNonNullType(type)) return value(type.ofType, name, field, foreign);
  if (isListType(type)) return [value(type.ofType, name, field, foreign)];
  const named = getNamedType(type) as GraphQLNamedType;
  if (isEnumType(named)) return named.getValues()[0].value;
  if (isInputObjectType(named))
    return Object.fromEntries(
      Object.values(named.getFields())
        .filter((f) => isNonNullType(f.type) && f.defaultValue === undefined)
        .map((f) => [f.name, value(f.type, f.name, field, foreign)]),
    );
  switch (named.name) {
    case "ID": {
      const kind = ID_OF[name === "id" || name === "ids" ? field : name] ?? ID_OF[name] ?? "Client";
      return foreign && realIds[kind] ? realIds[kind] : fakeId(kind);
    }
    case "Int":
      return 0;
    case "Boolean":
      return false;
    case "DateTime":
      return new Date().toISOString();
    case "LocalDate":
      return today();
    case "JSON":
      return {};
    case "Money":
      return "0";
    default:
      return "x";
  }
}

function selection(type: GraphQLNamedType, depth = 0): string {
  if (isUnionType(type)) return `{ __typename ${type.getTypes().map((m) => `... on ${m.name} ${selection(m, depth + 1)}`).join(" ")} }`;
  if (!isObjectType(type)) return "";
  const fields = type.getFields();
  const parts = ["__typename"];
  if (fields.id) parts.push("id");
  if (fields.code) parts.push("code");
  if (fields.nodes && depth < 2) parts.push(`nodes ${selection(getNamedType(fields.nodes.type) as GraphQLNamedType, depth + 1)}`);
  return `{ ${parts.join(" ")} }`;
}

function operation(kind: "query" | "mutation" | "subscription", field: GraphQLField<unknown, unknown>, foreign: boolean) {
  const variables: Record<string, unknown> = {};
  const declared: string[] = [];
  const passed: string[] = [];
  for (const arg of field.args) {
    const given = ARGS[field.name]?.[arg.name];
    if (given === undefined && !isNonNullType(arg.type)) continue;
    const generated = value(arg.type, arg.name, field.name, foreign);
    // A mutation's given input fields go over the generated ones.
    variables[arg.name] = isInputObjectType(getNamedType(arg.type)) && given ? { ...(generated as object), ...(given as object) } : (given ?? generated);
    declared.push(`$${arg.name}: ${String(arg.type)}`);
    passed.push(`${arg.name}: $${arg.name}`);
  }
  const vars = declared.length ? `(${declared.join(", ")})` : "";
  const args = passed.length ? `(${passed.join(", ")})` : "";
  return { query: `${kind}${vars} { ${field.name}${args} ${selection(getNamedType(field.type) as GraphQLNamedType)} }`, variables };
}

// ---- outcomes ----
type Outcome = { code: string | null; data: unknown };

/** The field's code (typed error or top-level error) and its data. */
function outcomeOf(body: { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] }, field: string): Outcome {
  const data = body.data?.[field] ?? null;
  const typed = data && typeof data === "object" && "code" in data ? (data as { code: string }).code : null;
  return { code: typed ?? body.errors?.[0]?.extensions?.code ?? null, data };
}

const DENIED_SHAPE = (data: unknown) => data === null || (typeof data === "object" && Object.keys(data as object).every((k) => ["__typename", "code"].includes(k)));

interface Cell {
  field: string;
  caller: string;
  expected: "allowed" | "FORBIDDEN" | "UNAUTHENTICATED" | "foreign";
  outcome: Outcome;
}

let stack: Stack;
let url: string;
let callers: Caller[];
/** What the matrix counted, for the bench (`npm run bench -- authorization`). */
const figures: MatrixFigures[] = [];

type Checked = { caller: string; expected: Cell["expected"]; broken: boolean };
const checkedCell = (c: Cell): Checked => ({ caller: c.caller, expected: c.expected, broken: breach(c) !== null });

function tally(surface: string, items: number, checked: Checked[]) {
  const broken = checked.filter((c) => c.broken);
  figures.push({
    surface,
    items,
    callers: new Set(checked.map((c) => c.caller)).size,
    cells: checked.length,
    escalations: broken.filter((c) => c.expected === "FORBIDDEN" || c.expected === "UNAUTHENTICATED").length,
    crossWorkspaceReads: broken.filter((c) => c.expected === "foreign").length,
  });
}
let customStaff: Caller;

async function ownerOfAnotherWorkspace(ownerToken: string): Promise<string> {
  const created = await ok(url, `mutation { createWorkspace(input: { name: "Elsewhere" }) { ... on Workspace { id } } }`, {}, { token: ownerToken });
  return (await memberIn(url, created.createWorkspace.id, "owner@demo.test", "Olivia Owner")).token;
}

/** One of each kind of object in the demo workspace, for the foreign owner to try. */
async function collectIds(owner: string) {
  const d = await ok(
    url,
    `{ viewer { workspace { id members(first: 50) { nodes { id user { id email } } } } tokens(first: 1) { nodes { id } } }
       clients(first: 1) { nodes { id } } projects(first: 1) { nodes { id } } analyticsApps(first: 1) { nodes { id } }
       fieldDefinitions(target: PRE_SESSION) { id } calendarFeeds { id } }`,
    {},
    { token: owner },
  );
  Object.assign(realIds, {
    // Tom: a member here only, so the other workspace's owner has no claim to him.
    User: d.viewer.workspace.members.nodes.find((m: { user: { email: string } }) => m.user.email === "tom@demo.test").user.id,
    Member: d.viewer.workspace.members.nodes[0].id,
    Workspace: d.viewer.workspace.id,
    AccessToken: d.viewer.tokens.nodes[0]?.id,
    Client: d.clients.nodes[0].id,
    Project: d.projects.nodes[0].id,
    AnalyticsApp: d.analyticsApps.nodes[0]?.id,
    FieldDefinition: d.fieldDefinitions[0].id,
  });
  const from = DateTime.utc().minus({ days: 7 }).toISODate();
  const to = DateTime.utc().plus({ days: 7 }).toISODate();
  const appts = await ok(url, `query($f: LocalDate!, $t: LocalDate!) { appointments(from: $f, to: $t, first: 1) { ... on QueryAppointmentsConnection { nodes { id } } } }`, { f: from, t: to }, { token: owner });
  realIds.Appointment = appts.appointments.nodes[0]?.id;
  await ok(url, `mutation { startTimer(input: { description: "matrix" }) { __typename } }`, {}, { token: owner });
  realIds.TimeEntry = (await ok(url, `mutation { stopTimer { ... on TimeEntry { id } } }`, {}, { token: owner })).stopTimer.id;
  const session = await ok(url, `mutation($p: ID!) { startAgentSession(input: { projectId: $p, description: "matrix" }) { ... on AgentSession { id } } }`, { p: realIds.Project }, { token: owner });
  realIds.AgentSession = session.startAgentSession.id;
  const feed = await ok(url, `mutation { createCalendarFeed(input: { scope: MINE }) { ... on CreatedCalendarFeed { feed { id } } } }`, {}, { token: owner });
  realIds.CalendarFeed = feed.createCalendarFeed.feed?.id ?? realIds.CalendarFeed;
  for (const [k, v] of Object.entries(realIds)) if (!v) delete realIds[k];
}

beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  const [ownerCookie, owner, manager, staff, employee] = await Promise.all([
    signIn(url, "owner@demo.test"),
    tokenFor(url, "owner@demo.test"),
    tokenFor(url, "lisa@demo.test"),
    tokenFor(url, "sam@demo.test"),
    tokenFor(url, "tom@demo.test"),
  ]);
  const keys = await Promise.all(
    KEY_SCOPES.map(async (scope) => {
      const enumValue = scope.replaceAll(".", "_").toUpperCase();
      const created = await ok(url, `mutation { createApiKey(input: { name: "${scope}", scopes: [${enumValue}] }) { ... on CreatedToken { secret } } }`, {}, { token: owner });
      return { name: `key:${scope}`, auth: { token: created.createApiKey.secret }, holds: new Set([scope]), person: false } as Caller;
    }),
  );
  await collectIds(owner);
  const foreign = await ownerOfAnotherWorkspace(owner);
  callers = [
    { name: "owner (browser)", auth: { cookie: ownerCookie }, holds: new Set(ROLES.owner), person: true, viaCookie: true },
    { name: "owner (personal token)", auth: { token: owner }, holds: new Set(ROLES.owner), person: true },
    { name: "manager", auth: { token: manager }, holds: new Set(ROLES.manager), person: true },
    { name: "staff", auth: { token: staff }, holds: new Set(ROLES.staff), person: true },
    { name: "employee", auth: { token: employee }, holds: new Set(ROLES.employee), person: true },
    ...keys,
    { name: "anonymous", auth: {}, holds: new Set(), person: false },
    { name: "owner of another workspace", auth: { token: foreign }, holds: new Set(ROLES.owner), person: true, foreign: true },
  ];
  customStaff = { name: "staff (custom set)", auth: {}, holds: new Set(CUSTOM_STAFF), person: true };
}, 180_000); // one stack and every caller, made once: slow only on a busy machine
afterAll(async () => {
  if (process.env.AUTHZ_MATRIX_REPORT) writeFileSync(process.env.AUTHZ_MATRIX_REPORT, JSON.stringify(figures));
  await stack?.stop();
});

const rootFields = (kind: "Query" | "Mutation" | "Subscription") =>
  Object.values((SDL.getType(kind) as GraphQLObjectType).getFields()).map((f) => ({ key: `${kind}.${f.name}`, field: f }));

/** Runs requests a few at a time: fast on two cores without flooding the API. */
async function inBatches<T>(jobs: (() => Promise<T>)[], size = 8): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < jobs.length; i += size) results.push(...(await Promise.all(jobs.slice(i, i + size).map((j) => j()))));
  return results;
}

async function callField(kind: "query" | "mutation", key: string, field: GraphQLField<unknown, unknown>, c: Caller): Promise<Cell> {
  const { query, variables } = operation(kind, field, !!c.foreign);
  const res = await gql(url, query, variables, c.auth);
  const expected = c.foreign ? "foreign" : allowed(FIELDS[key], c) ? "allowed" : c.auth.token || c.auth.cookie ? "FORBIDDEN" : "UNAUTHENTICATED";
  return { field: key, caller: c.name, expected, outcome: outcomeOf(res.body as never, field.name) };
}

/** What each cell must show; returns a description of the breach, or null. */
function breach(cell: Cell): string | null {
  const { code, data } = cell.outcome;
  const json = JSON.stringify(data);
  if (cell.expected === "allowed") return code === "FORBIDDEN" || code === "UNAUTHENTICATED" ? `refused with ${code}` : null;
  if (cell.expected === "foreign") {
    const leaked = Object.values(realIds).find((id) => json?.includes(id));
    return leaked ? `returned this workspace's ${leaked}` : null;
  }
  if (code !== cell.expected) return `expected ${cell.expected}, got ${code ?? "data"}`;
  return DENIED_SHAPE(data) ? null : `refused but returned ${json}`;
}

describe("authorization matrix", () => {
  it("has a row for every root field of the printed schema, and no row for a field that is gone", () => {
    const keys = [...rootFields("Query"), ...rootFields("Mutation"), ...rootFields("Subscription")].map((f) => f.key);
    expect(keys.filter((k) => !(k in FIELDS)), "root fields without a row: decide who may call them").toEqual([]);
    expect(Object.keys(FIELDS).filter((k) => !keys.includes(k)), "rows for fields that no longer exist").toEqual([]);
  });

  let cells: Cell[] = [];


  it("every query and mutation answers every caller as the table says, with no data when refused", async () => {
    // The sign-outs last, one after the other: they end the callers' browser sessions.
    const endsSessions = (key: string) => SIGN_OUTS.indexOf(key) + 1;
    const fields = [...rootFields("Query").map((f) => ({ ...f, kind: "query" as const })), ...rootFields("Mutation").map((f) => ({ ...f, kind: "mutation" as const }))]
      .sort((a, b) => endsSessions(a.key) - endsSessions(b.key));
    const lasts = fields.splice(fields.length - SIGN_OUTS.length);
    cells = await inBatches(fields.flatMap((f) => callers.map((c) => () => callField(f.kind, f.key, f.field, c))));
    for (const [i, last] of lasts.entries()) {
      // The sign-out before ended the browser caller's session: sign in again.
      if (i) callers[0].auth = { cookie: await signIn(url, "owner@demo.test") };
      cells.push(...(await Promise.all(callers.map((c) => callField(last.kind, last.key, last.field, c)))));
    }
    const breaches = cells.map((c) => ({ ...c, breach: breach(c) })).filter((c) => c.breach).map((c) => `${c.field} × ${c.caller}: ${c.breach}`);
    expect(breaches).toEqual([]);
    expect(cells.length).toBe((fields.length + lasts.length) * callers.length);
  }, 120_000);

  it("staff with a custom permission set get exactly that set, on every field", async () => {
    const owner = callers[1].auth;
    await ok(url, `mutation { setStaffPermissions(input: { permissions: [SESSION_READ, WORK_READ] }) { __typename } }`, {}, owner);
    customStaff.auth = { token: await tokenFor(url, "sam@demo.test") };
    const fields = [...rootFields("Query").map((f) => ({ ...f, kind: "query" as const })), ...rootFields("Mutation").map((f) => ({ ...f, kind: "mutation" as const }))].filter(
      (f) => !SIGN_OUTS.includes(f.key) && f.key !== "Mutation.setStaffPermissions",
    );
    const custom = await inBatches(fields.map((f) => () => callField(f.kind, f.key, f.field, customStaff)));
    await ok(url, `mutation { setStaffPermissions(input: { permissions: null }) { __typename } }`, {}, owner);
    expect(custom.map((c) => ({ ...c, breach: breach(c) })).filter((c) => c.breach).map((c) => `${c.field}: ${c.breach}`)).toEqual([]);
    cells.push(...custom);
    tally("queries and mutations", rootFields("Query").length + rootFields("Mutation").length, cells.map(checkedCell));
  }, 60_000);

  it("every subscription is refused, without data, to callers that may not read it", async () => {
    const subs = rootFields("Subscription");
    const subscribeAll = async (c: Caller) => {
      const client = wsClient(url, c.auth.token ? { token: c.auth.token } : undefined);
      const running = subs.map((s) => ({ s, sub: subscribe(client, operation("subscription", s.field, false).query) }));
      await new Promise((r) => setTimeout(r, 1500));
      const out = running.map(({ s, sub }) => {
        const refused = JSON.stringify(sub.errors);
        const expected = c.foreign || allowed(FIELDS[s.key], c) ? "allowed" : c.auth.token ? "FORBIDDEN" : "UNAUTHENTICATED";
        const code = /FORBIDDEN/.test(refused) ? "FORBIDDEN" : sub.errors.length ? "UNAUTHENTICATED" : null;
        const leaked = sub.values.some((v) => v && JSON.stringify(v).length > 2);
        sub.dispose();
        return { field: s.key, caller: c.name, expected, outcome: { code, data: expected === "allowed" ? null : leaked ? sub.values : null } } as Cell;
      });
      await client.dispose();
      return out;
    };
    // The custom set holds while its caller subscribes (it is the workspace's staff setting, so the
    // plain staff caller subscribes after it is reset).
    const owner = callers[1].auth;
    await ok(url, `mutation { setStaffPermissions(input: { permissions: [SESSION_READ, WORK_READ] }) { __typename } }`, {}, owner);
    const custom = await subscribeAll(customStaff).finally(() => ok(url, `mutation { setStaffPermissions(input: { permissions: null }) { __typename } }`, {}, owner));
    const flat = [...custom, ...(await Promise.all(callers.filter((c) => !c.viaCookie).map(subscribeAll))).flat()];
    // Anonymous sockets are refused at connect (4401), so no operation runs: any error counts.
    const broken = (c: Cell) => !!breach(c) && !(c.expected === "UNAUTHENTICATED" && c.outcome.code);
    tally("subscriptions", subs.length, flat.map((c) => ({ ...checkedCell(c), broken: broken(c) })));
    const breaches = flat.filter(broken).map((c) => `${c.field} × ${c.caller}: ${breach(c)}`);
    expect(breaches).toEqual([]);
    cells.push(...flat);
  }, 30_000);

  it("every plain endpoint answers every caller as the table says", async () => {
    const month = DateTime.utc().toFormat("yyyy-MM");
    const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea73581e40000000049454e44ae426082", "hex");
    // need, request; allowed callers get `ok` (any of), refused ones 403 (401 anonymous); some answer 404 to anyone who can't see the object.
    const endpoints: { name: string; need: Need; bearerOnly?: boolean; ok: number[]; refused?: number; request: (foreign: boolean) => [string, RequestInit] }[] = [
      { name: "POST /api/work/events", need: "work.record", bearerOnly: true, ok: [200], request: () => ["/api/work/events", { method: "POST", body: JSON.stringify({ events: [] }) }] },
      { name: "POST /api/work/import", need: "work.record", ok: [400], request: () => ["/api/work/import", { method: "POST", body: "{}" }] },
      // A moment no session (the demo's included) covers: an allowed caller gets 409.
      { name: "POST /api/work/screenshots", need: "work.record", ok: [409], request: () => [`/api/work/screenshots?takenAt=2001-01-01T09:00:00Z`, { method: "POST", body: new Uint8Array(png), headers: { "content-type": "image/png" } }] },
      { name: "GET /api/work/screenshots/<id>", need: "signedIn", ok: [404], request: () => [`/api/work/screenshots/${randomUUID()}`, {}] },
      {
        name: "GET /api/work/report.csv",
        need: "work.read",
        ok: [200],
        request: (foreign) => [`/api/work/report.csv?month=${month}${foreign ? `&employee=${encodeURIComponent(realIds.User)}` : ""}`, {}],
      },
      { name: "POST /api/appointments/attachments", need: { any: ["session.create", "session.update"] }, ok: [201], request: () => ["/api/appointments/attachments?fileName=a.txt", { method: "POST", body: "hello", headers: { "content-type": "text/plain" } }] },
      { name: "GET /api/appointments/attachments/<id>", need: "signedIn", ok: [404], request: () => [`/api/appointments/attachments/${randomUUID()}`, {}] },
      { name: "GET /api/invoices/<id>.pdf", need: "signedIn", ok: [404], request: () => [`/api/invoices/${randomUUID()}.pdf`, {}] },
      { name: "GET /api/appointments/clients/<id>/progress.pdf", need: "signedIn", ok: [404], request: () => [`/api/appointments/clients/${randomUUID()}/progress.pdf?from=2026-01-01&to=2026-01-31`, {}] },
      { name: "GET /api/appointments/feeds/<secret>.ics", need: "anyone", ok: [404], request: () => ["/api/appointments/feeds/sf_unknown.ics", {}] },
      { name: "POST /api/events", need: "anyone", ok: [401], request: () => ["/api/events", { method: "POST", body: JSON.stringify({ events: [] }), headers: { "content-type": "application/json" } }] },
      {
        name: "POST /mcp",
        need: "signedIn",
        bearerOnly: true,
        ok: [200],
        request: () => [
          "/mcp",
          {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "matrix", version: "1" } } }),
          },
        ],
      },
      // The analytics SDKs' endpoints take an app's write key, never a person's credential.
      ...["batch", "track", "identify", "page", "screen", "alias", "group"].map((call) => ({
        name: `POST /v1/${call}`,
        need: "anyone" as const,
        ok: [401],
        request: (): [string, RequestInit] => [`/v1/${call}`, { method: "POST", body: JSON.stringify(call === "batch" ? { batch: [] } : { userId: "u", event: "e" }), headers: { "content-type": "application/json" } }],
      })),
      ...["/batch/", "/capture/", "/e/"].map((path) => ({
        name: `POST ${path}`,
        need: "anyone" as const,
        ok: [401],
        request: (): [string, RequestInit] => [path, { method: "POST", body: JSON.stringify({ batch: [] }), headers: { "content-type": "application/json" } }],
      })),
      { name: "GET /healthz", need: "anyone", ok: [200], request: () => ["/healthz", {}] },
      // Only the operators' METRICS_TOKEN opens it, never a member's credential (test/api/observability.test.ts);
      // this stack sets none, so there is no such page for anyone.
      { name: "GET /metrics", need: "anyone", ok: [404], request: () => ["/metrics", {}] },
    ];
    // Every route the API process serves has a row: a new endpoint can't ship unreviewed.
    const served = [...readFileSync("server/routes.ts", "utf8").matchAll(/(?:path: |events\()"(\/[^"]*)"/g)].map((m) => m[1]);
    expect(served.length).toBeGreaterThan(5);
    expect(served.filter((route) => !endpoints.some((e) => e.name.split(" ")[1].startsWith(route)))).toEqual([]);
    // signOut ended the browser session above: sign in again. Custom staff are covered on the GraphQL fields only.
    callers[0].auth = { cookie: await signIn(url, "owner@demo.test") };
    const everyone = callers;
    const results = await inBatches(
      endpoints.flatMap((e) =>
        everyone.map((c) => async () => {
          const [path, init] = e.request(!!c.foreign);
          const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
          if (c.auth.token) headers.authorization = `Bearer ${c.auth.token}`;
          if (c.auth.cookie) Object.assign(headers, { cookie: c.auth.cookie, origin: url });
          const res = await fetch(`${url}${path}`, { ...init, headers });
          const body = await res.text();
          const signedIn = !!(c.auth.token || (c.auth.cookie && !e.bearerOnly));
          const may = e.need === "anyone" || (signedIn && allowed(e.need, c));
          const expected = c.foreign && path.includes("employee=") ? [404] : may ? e.ok : signedIn ? [e.refused ?? 403] : [401];
          const leaked = Object.values(realIds).some((id) => body.includes(id)) || (c.foreign && /Olivia|Tom Employee/.test(body) && path.includes("employee="));
          const cell: Checked = { caller: c.name, expected: c.foreign ? "foreign" : may ? "allowed" : signedIn ? "FORBIDDEN" : "UNAUTHENTICATED", broken: !expected.includes(res.status) || !!leaked };
          return { endpoint: e.name, caller: c.name, status: res.status, expected, leaked, cell };
        }),
      ),
    );
    tally("plain endpoints", endpoints.length, results.map((r) => r.cell));
    const wrong = results.filter((r) => !r.expected.includes(r.status) || r.leaked).map((r) => `${r.endpoint} × ${r.caller}: ${r.status}, expected ${r.expected.join("/")}${r.leaked ? " (leaked)" : ""}`);
    expect(wrong).toEqual([]);
  }, 60_000);
});
