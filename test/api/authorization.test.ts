// Each finding of the authorization review, as a request an attacker or a confused client would
// send: every test here failed before the one policy (schema/common/policy.ts) decided.
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, signIn, tokenFor } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { memberIn } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: string;
let tom: string;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  [owner, tom] = await Promise.all([tokenFor(url, "owner@demo.test"), tokenFor(url, "tom@demo.test")]);
});
afterAll(() => stack?.stop());

const ERR = `__typename ... on Error { code message }`;
const apiKey = async (scopes: string[]) =>
  (await ok(url, `mutation($s: [Permission!]!) { createApiKey(input: { name: "k", scopes: $s }) { ... on CreatedToken { secret } } }`, { s: scopes }, { token: owner }))
    .createApiKey.secret as string;
const userId = async (token: string) => (await ok(url, `{ viewer { user { id } } }`, {}, { token })).viewer.user.id as string;

/** A fresh workspace the demo owner also owns (UTC), and a personal token bound to it. */
async function ownWorkspace(name: string) {
  const created = await ok(url, `mutation($n: String!) { createWorkspace(input: { name: $n }) { ... on Workspace { id } } }`, { n: name }, { token: owner });
  const id = created.createWorkspace.id as string;
  return { id, token: (await memberIn(url, id, "owner@demo.test", "Olivia Owner")).token };
}

describe("an API key never manages identity or credentials", () => {
  it("a SESSION_READ key can't mint tokens or keys, revoke its creator's tokens, add members or create workspaces", async () => {
    const key = await apiKey(["SESSION_READ"]);
    const creatorToken = await ok(url, `mutation { createPersonalAccessToken(input: { name: "mine" }) { ... on CreatedToken { token { id } } } }`, {}, { token: owner });
    const attempts = {
      createPersonalAccessToken: `mutation { createPersonalAccessToken(input: { name: "escalate" }) { ${ERR} ... on CreatedToken { secret } } }`,
      createApiKey: `mutation { createApiKey(input: { name: "escalate", scopes: [SESSION_READ] }) { ${ERR} ... on CreatedToken { secret } } }`,
      revokeToken: `mutation($id: ID!) { revokeToken(input: { id: $id }) { ${ERR} ... on AccessToken { revokedAt } } }`,
      inviteMember: `mutation { inviteMember(input: { email: "intruder@example.test", role: OWNER }) { ${ERR} ... on Invitation { id } } }`,
      createWorkspace: `mutation { createWorkspace(input: { name: "Mine now" }) { ${ERR} ... on Workspace { id } } }`,
    };
    for (const [field, query] of Object.entries(attempts)) {
      const res = await gql(url, query, { id: creatorToken.createPersonalAccessToken.token.id }, { token: key });
      expect(res.body.data?.[field], field).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
      expect(res.body.data?.[field], field).not.toHaveProperty("secret");
    }
    // Nothing changed: the creator's token is live and no such member or workspace exists.
    const tokens = await ok(url, `{ viewer { tokens(first: 100) { nodes { id revokedAt } } workspaces { name } } }`, {}, { token: owner });
    expect(tokens.viewer.tokens.nodes.find((t: { id: string }) => t.id === creatorToken.createPersonalAccessToken.token.id)).toMatchObject({ revokedAt: null });
    expect(tokens.viewer.workspaces.map((w: { name: string }) => w.name)).not.toContain("Mine now");
  });

  it("refuses identity-management scopes on a new key, naming the field", async () => {
    const res = await ok(url, `mutation { createApiKey(input: { name: "k", scopes: [SESSION_READ, TOKENS_MANAGE] }) { ... on ValidationError { code problems { path message } } } }`, {}, { token: owner });
    expect(res.createApiKey.code).toBe("VALIDATION");
    expect(res.createApiKey.problems).toEqual([{ path: ["input", "scopes", "1"], message: expect.stringContaining("TOKENS_MANAGE".toLowerCase().replace("_", ".")) }]);
  });
});

describe("identity stays with owners", () => {
  it("a staff permission set can't hold members, tokens or workspace management, and nothing changes", async () => {
    const w = await ownWorkspace("Staff set");
    const SET = `mutation($p: [Permission!]) { setStaffPermissions(input: { permissions: $p }) { ${ERR} ... on ValidationError { problems { path message } } ... on Workspace { staffPermissions } } }`;
    const refused = await ok(url, SET, { p: ["SESSION_READ", "MEMBERS_MANAGE", "TOKENS_MANAGE"] }, { token: w.token });
    expect(refused.setStaffPermissions.code).toBe("VALIDATION");
    expect(refused.setStaffPermissions.problems.map((p: { path: string[] }) => p.path.join("."))).toEqual(["permissions.1", "permissions.2"]);
    const kept = await ok(url, SET, { p: ["SESSION_READ"] }, { token: w.token });
    expect(kept.setStaffPermissions.staffPermissions).toEqual(["SESSION_READ"]);
  });
});

describe("a person in two workspaces: each credential acts in its own", () => {
  it("desktop events posted with a workspace-T token land in workspace T only", async () => {
    const [a, t] = await Promise.all([ownWorkspace("Work A"), ownWorkspace("Work T")]);
    const start = DateTime.utc().minus({ hours: 3 }).startOf("minute");
    const post = (token: string, id: string, minutes: number) =>
      fetch(`${url}/api/work/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ events: [{ id, type: "window", timestamp: start.plus({ minutes }).toISO(), duration: 60, data: { app: "Code", title: id } }] }),
      });
    expect((await post(a.token, "in-a", 0)).status).toBe(200);
    expect((await post(t.token, "in-t", 2)).status).toBe(200);
    const day = start.toISODate();
    const sessions = async (token: string) =>
      (await ok(url, `query($d: LocalDate!) { workSessions(from: $d, to: $d) { nodes { startedAt apps { name } } } }`, { d: day }, { token })).workSessions.nodes;
    const [inA, inT] = await Promise.all([sessions(a.token), sessions(t.token)]);
    expect(inA).toEqual([expect.objectContaining({ startedAt: start.toJSDate().toISOString() })]);
    expect(inT).toEqual([expect.objectContaining({ startedAt: start.plus({ minutes: 2 }).toJSDate().toISOString() })]);
  });

  it("runningTimer and the manual-time overlap rule stay in the credential's workspace", async () => {
    const [a, t] = await Promise.all([ownWorkspace("Timer A"), ownWorkspace("Timer T")]);
    await ok(url, `mutation { startTimer(input: { description: "in A" }) { ... on TimeEntry { id } } }`, {}, { token: a.token });
    expect((await ok(url, `{ runningTimer { description } }`, {}, { token: a.token })).runningTimer).toEqual({ description: "in A" });
    expect((await ok(url, `{ runningTimer { description } }`, {}, { token: t.token })).runningTimer).toBeNull();
    const stopInT = await ok(url, `mutation { stopTimer { ${ERR} ... on TimeEntry { description } } }`, {}, { token: t.token });
    expect(stopInT.stopTimer).toMatchObject({ code: "NOT_FOUND" });
    expect((await ok(url, `{ runningTimer { description } }`, {}, { token: a.token })).runningTimer).toEqual({ description: "in A" });

    const me = await userId(a.token);
    const from = DateTime.utc().minus({ days: 1 }).startOf("hour");
    const ADD = `mutation($e: ID!, $s: DateTime!, $t: DateTime!) { addManualTime(input: { employeeId: $e, start: $s, end: $t }) { ${ERR} ... on ConflictError { conflictingIds } ... on WorkSession { id } } }`;
    const vars = { e: me, s: from.toISO(), t: from.plus({ hours: 1 }).toISO() };
    const inA = await ok(url, ADD, vars, { token: a.token });
    expect(inA.addManualTime.__typename).toBe("WorkSession");
    const inT = await ok(url, ADD, vars, { token: t.token });
    // Before, T's answer was a conflict naming A's session.
    expect(inT.addManualTime.__typename).toBe("WorkSession");
    expect(JSON.stringify(inT)).not.toContain(inA.addManualTime.id);
  });

  it("starting a timer or an agent session in one workspace stops and idles nothing in another", async () => {
    const [a, t] = await Promise.all([ownWorkspace("Focus A"), ownWorkspace("Focus T")]);
    const project = async (token: string) => {
      const client = (await ok(url, `mutation { createClient(input: { name: "Client" }) { ... on Client { id } } }`, {}, { token })).createClient.id;
      const created = await ok(url, `mutation($c: ID!) { createProject(input: { name: "P", clientId: $c, hourlyRateCents: "10000" }) { ... on Project { id } } }`, { c: client }, { token });
      return created.createProject.id as string;
    };
    const startSession = async (token: string) => {
      const p = await project(token);
      return (await ok(url, `mutation($p: ID!) { startAgentSession(input: { projectId: $p, description: "focus" }) { ... on AgentSession { id state } } }`, { p }, { token })).startAgentSession;
    };
    const openIn = async (token: string) =>
      (await ok(url, `{ runningTimer { description } agentSessions(ended: false) { nodes { id state } } }`, {}, { token }));

    await ok(url, `mutation { startTimer(input: { description: "timer in A" }) { ... on TimeEntry { id } } }`, {}, { token: a.token });
    const inA = await startSession(a.token);
    expect(inA.state).toBe("ACTIVE");
    // Before, both of these stopped A's timer or dropped A's session to idle.
    await ok(url, `mutation { startTimer(input: { description: "timer in T" }) { ... on TimeEntry { id } } }`, {}, { token: t.token });
    const inT = await startSession(t.token);
    expect(inT.state).toBe("ACTIVE");
    const [seenA, seenT] = await Promise.all([openIn(a.token), openIn(t.token)]);
    expect(seenA.agentSessions.nodes).toEqual([{ id: inA.id, state: "ACTIVE" }]);
    expect(seenT.agentSessions.nodes).toEqual([{ id: inT.id, state: "ACTIVE" }]);
    // The session start stopped the timer in its own workspace only.
    expect([seenA.runningTimer, seenT.runningTimer]).toEqual([null, null]);
    const entries = async (token: string) => (await ok(url, `{ timeEntries(first: 10) { nodes { description } } }`, {}, { token })).timeEntries.nodes;
    expect(await entries(a.token)).toEqual([{ description: "timer in A" }]);
    expect(await entries(t.token)).toEqual([{ description: "timer in T" }]);
  });

  it("a desktop event id is remembered per workspace: the same id sent to two workspaces lands in both", async () => {
    const [a, t] = await Promise.all([ownWorkspace("Ids A"), ownWorkspace("Ids T")]);
    const start = DateTime.utc().minus({ hours: 3 }).startOf("minute");
    const body = JSON.stringify({ events: [{ id: "same-id", type: "window", timestamp: start.toISO(), duration: 60, data: { app: "Code", title: "x" } }] });
    const post = (token: string) =>
      fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body });
    expect((await post(a.token)).status).toBe(200);
    expect((await post(t.token)).status).toBe(200);
    const day = start.toISODate();
    const count = async (token: string) =>
      (await ok(url, `query($d: LocalDate!) { workSessions(from: $d, to: $d) { nodes { id } } }`, { d: day }, { token })).workSessions.nodes.length;
    // Before, T treated the id as already seen (it was keyed by person only) and dropped the event.
    expect([await count(a.token), await count(t.token)]).toEqual([1, 1]);
  });

  it("Workspace.members, node(id:) and the switcher never reach another workspace of the same person", async () => {
    const t = await ownWorkspace("Members T");
    const demo = (await ok(url, `{ viewer { workspace { id members(first: 50) { nodes { id } } } } }`, {}, { token: owner })).viewer.workspace;
    expect(demo.members.nodes.length).toBeGreaterThan(1);
    const seen = await ok(url, `query($id: ID!) { node(id: $id) { id } viewer { workspaces { id name role } } }`, { id: demo.id }, { token: t.token });
    expect(seen.node).toBeNull();
    // The switcher names the other workspace and the person's role there, nothing of its contents.
    expect(seen.viewer.workspaces).toContainEqual({ id: demo.id, name: expect.any(String), role: "OWNER" });
    const member = await ok(url, `query($id: ID!) { node(id: $id) { id } }`, { id: demo.members.nodes[1].id }, { token: t.token });
    expect(member.node).toBeNull();
    const tooMuch = await gql(url, `{ viewer { workspaces { settings } } }`, {}, { token: t.token });
    expect(tooMuch.body.errors?.[0].message).toMatch(/Cannot query field "settings" on type "WorkspaceChoice"/);
    // An API key knows only its own workspace, not the other workspaces of the person who made it.
    const key = (await ok(url, `mutation { createApiKey(input: { name: "k", scopes: [WORK_READ] }) { ... on CreatedToken { secret } } }`, {}, { token: t.token })).createApiKey.secret;
    const byKey = await ok(url, `{ viewer { workspaces { id } } }`, {}, { token: key });
    expect(byKey.viewer.workspaces).toEqual([{ id: t.id }]);
  });
});

describe("reading a user by global ID", () => {
  it("workMonthlyReport and report.csv refuse a user who isn't a member of the credential's workspace", async () => {
    const t = await ownWorkspace("Reports T");
    const tomId = await userId(tom);
    const month = DateTime.utc().toFormat("yyyy-MM");
    const res = await gql(url, `query($m: String!, $e: ID) { workMonthlyReport(month: $m, employeeId: $e) { employee { name email } } }`, { m: month, e: tomId }, { token: t.token });
    expect(res.body.errors?.[0].extensions?.code).toBe("NOT_FOUND");
    expect(JSON.stringify(res.body)).not.toMatch(/Tom|tom@demo/);
    const csv = await fetch(`${url}/api/work/report.csv?month=${month}&employee=${encodeURIComponent(tomId)}`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(csv.status).toBe(404);
    expect(await csv.text()).not.toMatch(/Tom|tom@demo/);
  });
});

describe("row rules", () => {
  const CLIENT = `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`;
  const BOOK = `mutation($c: ID!, $s: ID, $at: String!) { createAppointment(input: { name: "Review", clientId: $c, staffId: $s, startsAt: $at, fields: { visitReason: "x" } }) { ${ERR} ... on AppointmentPayload { appointment { id } } } }`;
  const EVALUATE = `mutation($c: ID!, $a: ID) { saveEvaluation(input: { clientId: $c, appointmentId: $a, title: "Progress", fields: { mobility: 50 } }) { ${ERR} ... on Evaluation { id } } }`;

  it("employees and SESSION_READ keys read only the evaluations of sessions they may see; employees don't book", async () => {
    const client = (await ok(url, CLIENT, { n: `Eval client ${Date.now()}` }, { token: owner })).createClient.id;
    const lisaId = await userId(await tokenFor(url, "lisa@demo.test"));
    const at = DateTime.now().setZone("Europe/Berlin").plus({ days: 3 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 }).toISO()!;
    const booked = await ok(url, BOOK, { c: client, s: lisaId, at }, { token: owner });
    const appointment = booked.createAppointment.appointment.id;
    const linked = (await ok(url, EVALUATE, { c: client, a: appointment }, { token: owner })).saveEvaluation.id;
    const loose = (await ok(url, EVALUATE, { c: client, a: null }, { token: owner })).saveEvaluation.id;

    const READ = `query($c: ID!, $e1: ID!, $e2: ID!) { client: node(id: $c) { ... on Client { evaluations(first: 10) { nodes { id title } } } } e1: node(id: $e1) { id } e2: node(id: $e2) { id } }`;
    const vars = { c: client, e1: linked, e2: loose };
    for (const token of [tom, await apiKey(["SESSION_READ"])]) {
      const seen = await ok(url, READ, vars, { token });
      expect(seen.e1).toBeNull();
      expect(seen.e2).toBeNull();
      expect(seen.client?.evaluations.nodes ?? []).toEqual([]);
    }
    const team = await ok(url, READ, vars, { token: await apiKey(["SESSION_READ", "TEAM_READ"]) });
    expect(team.client.evaluations.nodes.map((e: { id: string }) => e.id).sort()).toEqual([linked, loose].sort());

    const employeeBooks = await ok(url, BOOK, { c: client, s: null, at }, { token: tom });
    expect(employeeBooks.createAppointment).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
  });

  it("an API key reads no project, client, time entry, service or email outside its scopes", async () => {
    const project = (await ok(url, `{ projects(first: 1) { nodes { id } } }`, {}, { token: owner })).projects.nodes[0].id;
    const client = (await ok(url, `{ clients(first: 1) { nodes { id } } }`, {}, { token: owner })).clients.nodes[0].id;
    await ok(url, `mutation { startTimer(input: { description: "key test" }) { ... on TimeEntry { id } } }`, {}, { token: owner });
    const entry = (await ok(url, `mutation { stopTimer { ... on TimeEntry { id } } }`, {}, { token: owner })).stopTimer.id;
    const lisa = (await ok(url, `{ viewer { workspace { members(first: 50) { nodes { user { id email } } } } } }`, {}, { token: owner })).viewer.workspace.members.nodes.find(
      (m: { user: { email: string } }) => m.user.email === "lisa@demo.test",
    ).user.id;
    const service = (await ok(url, `mutation { saveAppointmentService(input: { service: { name: "Key test", pricing: PER_SESSION, priceCents: 100, currency: "EUR" } }) { ... on AppointmentService { id } } }`, {}, { token: owner })).saveAppointmentService.id;
    const creatorToken = (await ok(url, `mutation { createPersonalAccessToken(input: { name: "creator's" }) { ... on CreatedToken { token { id } } } }`, {}, { token: owner })).createPersonalAccessToken.token.id;
    const key = await apiKey(["ANALYTICS_READ"]);

    const nodes = await ok(
      url,
      `query($p: ID!, $c: ID!, $e: ID!, $u: ID!, $s: ID!, $t: ID!) { p: node(id: $p) { id } c: node(id: $c) { id } e: node(id: $e) { id } u: node(id: $u) { ... on User { name email } }
        s: node(id: $s) { ... on AppointmentService { priceCents } } t: node(id: $t) { ... on AccessToken { name } } }`,
      { p: project, c: client, e: entry, u: lisa, s: service, t: creatorToken },
      { token: key },
    );
    expect(nodes).toEqual({ p: null, c: null, e: null, u: { name: "Lisa Manager", email: null }, s: null, t: null });
    for (const query of [`{ projects { nodes { hourlyRateCents } } }`, `{ clients { nodes { name } } }`, `{ timeEntries { nodes { id } } }`, `{ appointmentServices { priceCents } }`]) {
      const res = await gql(url, query, {}, { token: key });
      expect(res.body.errors?.[0].extensions?.code, query).toBe("FORBIDDEN");
      expect(res.body.data ?? null, query).toBeNull();
    }
  });
});

describe("cross-workspace", () => {
  it("the owner of workspace B using workspace A's global IDs gets null or NOT_FOUND, never data", async () => {
    const b = await ownWorkspace("Other B");
    const project = (await ok(url, `{ projects(first: 1) { nodes { id } } }`, {}, { token: owner })).projects.nodes[0].id;
    const client = (await ok(url, `{ clients(first: 1) { nodes { id } } }`, {}, { token: owner })).clients.nodes[0].id;
    const demo = (await ok(url, `{ viewer { workspace { id } } }`, {}, { token: owner })).viewer.workspace.id;
    const read = await ok(url, `query($p: ID!, $c: ID!, $w: ID!) { p: node(id: $p) { id } c: node(id: $c) { id } w: node(id: $w) { id } }`, { p: project, c: client, w: demo }, { token: b.token });
    expect(read).toEqual({ p: null, c: null, w: null });
    const write = await ok(url, `mutation($c: ID!) { updateClient(input: { id: $c, name: "Taken" }) { ${ERR} ... on Client { name } } }`, { c: client }, { token: b.token });
    expect(write.updateClient).toMatchObject({ code: "NOT_FOUND" });
    const cookie = await signIn(url, "owner@demo.test");
    expect((await ok(url, `query($c: ID!) { node(id: $c) { ... on Client { name } } }`, { c: client }, { cookie })).node.name).not.toBe("Taken");
  });
});
