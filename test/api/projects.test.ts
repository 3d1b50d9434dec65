// Projects over their life (archive, restore) and editing time entries: the API behind the Projects
// page and the Entries page's edit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, rowId } from "../support/client.js";
import { query } from "../support/queued.js";
import { calendar, instant, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  ws = await newWorkspace(url, "Europe/Berlin");
});
afterAll(() => stack?.stop());

// Entries go in last month: logged time can't be in the future.
const LAST_MONTH = calendar("Europe/Berlin").firstOfMonth(-1);
const on = (day: number, hhmm = "09:00") => instant(LAST_MONTH.plus({ days: day - 1 }), hhmm);
const plusMinutes = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();

let names = 0;
async function newProject(billAgentTime = false) {
  const name = `Client ${++names}`;
  const client = (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: name }, { token: ws.owner.token })).createClient.id;
  const created = await ok(
    url,
    `mutation($c: ID!, $n: String!, $b: Boolean) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: 6000, currency: "EUR", billAgentTime: $b }) { ... on Project { id } } }`,
    { c: client, n: `${name} site`, b: billAgentTime },
    { token: ws.owner.token },
  );
  return { client, project: created.createProject.id as string };
}

const ARCHIVE = (field: string) => `mutation($id: ID!) { ${field}(input: { id: $id }) { __typename ... on Project { id archived archivedAt } ... on Error { code } } }`;
const archive = (id: string, token = ws.owner.token) => ok(url, ARCHIVE("archiveProject"), { id }, { token }).then((d) => d.archiveProject);
const restore = (id: string, token = ws.owner.token) => ok(url, ARCHIVE("restoreProject"), { id }, { token }).then((d) => d.restoreProject);

const PROJECTS = `query($all: Boolean) { projects(includeArchived: $all, first: 100) { nodes { id archived } } }`;
const projectIds = async (includeArchived: boolean | null) =>
  (await ok(url, PROJECTS, { all: includeArchived }, { token: ws.owner.token })).projects.nodes.map((p: { id: string }) => p.id);

const LOG = `mutation($p: ID!, $s: DateTime!, $e: DateTime!, $d: String) { logTime(input: { projectId: $p, startedAt: $s, endedAt: $e, description: $d }) { __typename ... on TimeEntry { id } ... on ValidationError { problems { path message } } ... on Error { code } } }`;
const log = async (project: string, start = on(3), minutes = 60, token = ws.employee.token) =>
  (await ok(url, LOG, { p: project, s: start, e: plusMinutes(start, minutes), d: "work" }, { token })).logTime;

const ENTRY = `id description startedAt endedAt durationSeconds source project { id }`;
const UPDATE = `mutation($i: UpdateTimeEntryInput!) { updateTimeEntry(input: $i) { __typename ... on TimeEntry { ${ENTRY} } ... on ValidationError { problems { path message } } ... on Error { code message } } }`;
const update = async (input: Record<string, unknown>, token = ws.employee.token) => (await ok(url, UPDATE, { i: input }, { token })).updateTimeEntry;
const entry = async (id: string) => (await ok(url, `query($id: ID!) { node(id: $id) { ... on TimeEntry { ${ENTRY} } } }`, { id }, { token: ws.owner.token })).node;

describe("archiving a project", () => {
  it("hides it from the default list, keeps its entries, and restores it", async () => {
    const { project } = await newProject();
    const logged = await log(project);
    const archived = await archive(project);
    expect(archived).toMatchObject({ __typename: "Project", archived: true });
    expect(await projectIds(false)).not.toContain(project);
    expect(await projectIds(null)).not.toContain(project);
    expect(await projectIds(true)).toContain(project);
    expect((await entry(logged.id)).project.id).toBe(project);

    // Archiving again changes nothing: the first archive's time stays.
    expect((await archive(project)).archivedAt).toBe(archived.archivedAt);
    expect(await restore(project)).toMatchObject({ archived: false, archivedAt: null });
    expect(await projectIds(false)).toContain(project);
  });

  it("refuses new entries, timers and agent sessions on it, naming the project, and writes nothing", async () => {
    const { project } = await newProject();
    await archive(project);
    const refused = { __typename: "ValidationError", problems: [{ path: ["projectId"], message: expect.stringContaining("archived") }] };
    expect(await log(project)).toMatchObject(refused);
    const timer = await ok(url, `mutation($p: ID) { startTimer(input: { projectId: $p }) { __typename ... on ValidationError { problems { path message } } } }`, { p: project }, { token: ws.employee.token });
    expect(timer.startTimer).toEqual(refused);
    const session = await ok(url, `mutation($p: ID!) { startAgentSession(input: { projectId: $p, description: "x" }) { __typename ... on ValidationError { problems { path message } } } }`, { p: project }, { token: ws.employee.token });
    expect(session.startAgentSession).toEqual(refused);
    const running = await ok(url, `{ runningTimer { id } agentSessions(ended: false, first: 5) { nodes { id } } }`, {}, { token: ws.employee.token });
    expect(running).toEqual({ runningTimer: null, agentSessions: { nodes: [] } });
    const entries = await ok(url, `query($p: ID) { timeEntries(filter: { projectId: $p }) { nodes { id } } }`, { p: project }, { token: ws.owner.token });
    expect(entries.timeEntries.nodes).toEqual([]);

    await restore(project);
    expect((await log(project)).__typename).toBe("TimeEntry");
  });

  it("is for billing managers only", async () => {
    const { project } = await newProject();
    expect((await archive(project, ws.staff.token)).code).toBe("FORBIDDEN");
    expect((await archive(project, ws.manager.token)).archived).toBe(true);
    expect((await restore(project, ws.employee.token)).code).toBe("FORBIDDEN");
  });
});

describe("editing a time entry", () => {
  it("changes description, project and times, with the duration following", async () => {
    const { project } = await newProject();
    const other = (await newProject()).project;
    const { id } = await log(project);
    const changed = await update({ id, description: "  Call with the client ", projectId: other, startedAt: on(4, "10:00"), endedAt: on(4, "11:30") });
    expect(changed).toMatchObject({ __typename: "TimeEntry", description: "Call with the client", durationSeconds: 5400, project: { id: other } });
    expect(changed.startedAt).toBe(on(4, "10:00"));
    // An absent field stays as it was.
    expect(await update({ id, endedAt: on(4, "11:00") })).toMatchObject({ description: "Call with the client", durationSeconds: 3600 });
  });

  it("validates like logTime, naming each field, and changes nothing", async () => {
    const { project } = await newProject();
    const { id } = await log(project);
    const before = await entry(id);
    const bad = await update({ id, startedAt: on(5, "12:00"), endedAt: on(5, "11:00"), description: "x".repeat(501), durationSeconds: 60 });
    expect(bad.__typename).toBe("ValidationError");
    expect(bad.problems.map((p: { path: string[] }) => p.path.join("."))).toEqual(["durationSeconds", "endedAt", "description"]);
    const future = await update({ id, endedAt: new Date(Date.now() + 3600_000).toISOString() });
    expect(future.problems).toContainEqual({ path: ["endedAt"], message: "Can't be in the future" });
    const long = await update({ id, endedAt: plusMinutes(before.startedAt, 25 * 60) });
    expect(long.problems).toEqual([{ path: ["endedAt"], message: "At most 24 hours per entry" }]);
    const { project: archived } = await newProject();
    await archive(archived);
    expect((await update({ id, projectId: archived })).problems).toEqual([{ path: ["projectId"], message: expect.stringContaining("archived") }]);
    expect(await entry(id)).toEqual(before);
  });

  it("lets an entry longer than a day (a timer left running over a weekend) be renamed and shortened, not lengthened", async () => {
    if (!stack.databaseUrl) return; // the embedded database belongs to the server process
    const { project } = await newProject();
    const logged = await log(project, on(5), 60);
    // The timer ran from Friday 17:00 to Monday 09:00, as stopTimer stores it.
    const [start, end] = [on(5, "17:00"), on(8, "09:00")];
    await query(stack.databaseUrl, `UPDATE "TimeEntry" SET "startedAt" = $2, "endedAt" = $3, "durationSeconds" = $4, source = 'timer' WHERE id = $1`, [rowId(logged.id), start, end, (Date.parse(end) - Date.parse(start)) / 1000]);
    expect(await update({ id: logged.id, description: "Forgot to stop it" })).toMatchObject({ __typename: "TimeEntry", description: "Forgot to stop it" });
    expect(await update({ id: logged.id, startedAt: on(5, "17:00"), endedAt: on(7, "09:00") })).toMatchObject({ startedAt: on(5, "17:00"), endedAt: on(7, "09:00") });
    expect((await update({ id: logged.id, startedAt: on(5, "16:00"), endedAt: on(7, "09:00") })).problems).toEqual([{ path: ["endedAt"], message: "At most 24 hours per entry" }]);
  });

  it("lets an agent session's entry change its billable seconds within the session, not its times", async () => {
    const { project } = await newProject();
    const token = ws.employee2.token;
    const started = await ok(url, `mutation($p: ID!) { startAgentSession(input: { projectId: $p, description: "Refactor" }) { ... on AgentSession { id } } }`, { p: project }, { token });
    await new Promise((r) => setTimeout(r, 2100));
    const ended = await ok(url, `mutation($id: ID!) { endAgentSession(input: { sessionId: $id }) { ... on AgentSession { timeEntry { ${ENTRY} } } } }`, { id: started.startAgentSession.id }, { token });
    const sessionEntry = ended.endAgentSession.timeEntry;
    expect(sessionEntry.source).toBe("session");
    expect((await update({ id: sessionEntry.id, startedAt: on(2) }, token)).problems.map((p: { path: string[] }) => p.path[0])).toEqual(["startedAt"]);
    expect((await update({ id: sessionEntry.id, durationSeconds: 3600 }, token)).problems.map((p: { path: string[] }) => p.path[0])).toEqual(["durationSeconds"]);
    expect(await update({ id: sessionEntry.id, durationSeconds: 1, description: "Refactor auth" }, token)).toMatchObject({ durationSeconds: 1, description: "Refactor auth", startedAt: sessionEntry.startedAt });
  });

  it("is for the entry's owner, or anyone's with billing.manage", async () => {
    const { project } = await newProject();
    const { id } = await log(project);
    // Staff read everyone's entries but change only their own: someone else's is not found to them.
    expect((await update({ id, description: "by staff" }, ws.staff.token)).code).toBe("NOT_FOUND");
    expect((await update({ id, description: "by Emma" }, ws.employee2.token)).code).toBe("NOT_FOUND");
    expect(await update({ id, description: "by the manager" }, ws.manager.token)).toMatchObject({ description: "by the manager" });
    expect((await entry(id)).description).toBe("by the manager");
  });

  it("refuses a running timer and a billed entry until its invoice is voided", async () => {
    const { client, project } = await newProject();
    const { id } = await log(project, on(6));
    const created = await ok(
      url,
      `mutation($c: ID!, $f: LocalDate!, $t: LocalDate!) { createInvoice(input: { clientId: $c, from: $f, to: $t }) { ... on MutationCreateInvoiceSuccess { data { id number } } } }`,
      { c: client, f: isoDate(LAST_MONTH), t: isoDate(LAST_MONTH.endOf("month")) },
      { token: ws.owner.token },
    );
    const invoice = created.createInvoice.data[0];
    await ok(url, `mutation($id: ID!) { issueInvoice(input: { id: $id }) { __typename } }`, { id: invoice.id }, { token: ws.owner.token });
    const refused = await update({ id, description: "rewritten" });
    expect(refused).toMatchObject({ __typename: "ConflictError", code: "CONFLICT", message: expect.stringContaining(`invoice #${invoice.number}`) });
    expect((await entry(id)).description).toBe("work");
    await ok(url, `mutation($id: ID!) { voidInvoice(input: { id: $id }) { __typename } }`, { id: invoice.id }, { token: ws.owner.token });
    expect(await update({ id, description: "rewritten" })).toMatchObject({ description: "rewritten" });

    const timer = await ok(url, `mutation($p: ID) { startTimer(input: { projectId: $p }) { ... on TimeEntry { id } } }`, { p: project }, { token: ws.employee.token });
    expect((await update({ id: timer.startTimer.id, description: "x" })).code).toBe("CONFLICT");
    await ok(url, `mutation { stopTimer { __typename } }`, {}, { token: ws.employee.token });
  });

  it("never lets an invoice bill a duration the entry no longer has, however edits and invoicing interleave", async () => {
    const { client, project } = await newProject();
    const ids = await Promise.all([1, 2, 3, 4, 5].map((day) => log(project, on(day + 7), 30).then((e) => e.id as string)));
    const invoicing = ok(
      url,
      `mutation($c: ID!, $f: LocalDate!, $t: LocalDate!) { createInvoice(input: { clientId: $c, from: $f, to: $t }) { ... on MutationCreateInvoiceSuccess { data { id } } } }`,
      { c: client, f: isoDate(LAST_MONTH), t: isoDate(LAST_MONTH.endOf("month")) },
      { token: ws.owner.token },
    );
    const edits = ids.map((id, i) => update({ id, endedAt: on(i + 8, "10:00") }));
    const results = await Promise.all(edits);
    const [invoice] = (await invoicing).createInvoice.data;
    for (const result of results) expect(["TimeEntry", "ConflictError"]).toContain(result.__typename);
    const lines = await ok(url, `query($id: ID!) { node(id: $id) { ... on Invoice { lines { quantitySeconds } } } }`, { id: invoice.id }, { token: ws.owner.token });
    const billed = lines.node.lines.map((l: { quantitySeconds: number }) => l.quantitySeconds).sort();
    const durations = await Promise.all(ids.map(async (id) => (await entry(id)).durationSeconds as number));
    // Whatever won each race, each line bills its entry as it stands now.
    expect(billed).toEqual(durations.sort());
  });

  it("never lets an invoice bill a deleted entry, however deletes and invoicing interleave", async () => {
    const { client, project } = await newProject();
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => log(project, on(i + 1), 30).then((e) => e.id as string)));
    const invoicing = ok(
      url,
      `mutation($c: ID!, $f: LocalDate!, $t: LocalDate!) { createInvoice(input: { clientId: $c, from: $f, to: $t }) { __typename ... on MutationCreateInvoiceSuccess { data { id } } } }`,
      { c: client, f: isoDate(LAST_MONTH), t: isoDate(LAST_MONTH.endOf("month")) },
      { token: ws.owner.token },
    );
    const DELETE = `mutation($id: ID!) { deleteTimeEntry(input: { id: $id }) { __typename ... on Error { code } } }`;
    const deletes = await Promise.all(ids.map((id) => ok(url, DELETE, { id }, { token: ws.employee.token }).then((d) => d.deleteTimeEntry)));
    const created = (await invoicing).createInvoice;
    expect(created.__typename).toBe("MutationCreateInvoiceSuccess");
    for (const result of deletes) expect(["TimeEntry", "ConflictError"]).toContain(result.__typename);
    const left = (await Promise.all(ids.map(entry))).filter(Boolean);
    expect(left.length).toBe(deletes.filter((d) => d.__typename === "ConflictError").length);
    // Each entry left is billed by exactly one line, and no line bills a deleted entry.
    const billed = await Promise.all(
      created.data.map(async ({ id }: { id: string }) => (await ok(url, `query($id: ID!) { node(id: $id) { ... on Invoice { lines { quantitySeconds } } } }`, { id }, { token: ws.owner.token })).node.lines.length),
    );
    expect(billed.reduce((a: number, b: number) => a + b, 0)).toBe(left.length);
  });
});
