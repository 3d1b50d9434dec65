// A list costs a fixed number of queries whatever its length: fields under each item (a client's
// projects, a project's client, a work session's apps and screenshots, a session's series and its
// occurrences) are gathered across the items, not read once per item.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, signIn } from "../support/client.js";
import { settledScans } from "../support/database.js";
import { calendar, hoursInto, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
});
afterAll(() => stack?.stop());

const LIST = `query($n: Int!) { clients(first: $n) { nodes { name projects { name client { name } } } } }`;

/** Each table is scanned as often for the long list as for the short one. */
async function expectSameScans(databaseUrl: string, tables: string[], short: () => Promise<unknown>, long: () => Promise<unknown>) {
  const before = await settledScans(databaseUrl, tables);
  await short();
  const afterShort = await settledScans(databaseUrl, tables);
  await long();
  const afterLong = await settledScans(databaseUrl, tables);
  for (const table of tables) expect({ table, scans: afterLong[table] - afterShort[table] }).toEqual({ table, scans: afterShort[table] - before[table] });
}

describe("list fields", () => {
  it("read a client's projects and a project's client with as many queries for 50 clients as for 1", async () => {
    const cookie = await signIn(url, "owner@demo.test");
    const created = await ok(url, `mutation { createWorkspace(input: { name: "Lists" }) { ... on Workspace { id } } }`, {}, { cookie });
    await ok(url, `mutation($w: ID!) { switchWorkspace(input: { workspaceId: $w }) { ... on Workspace { id } } }`, { w: created.createWorkspace.id }, { cookie });
    const auth = { cookie };
    const names = Array.from({ length: 50 }, (_, i) => `Client ${String(i).padStart(2, "0")}`);
    for (const name of names) {
      const client = (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: name }, auth)).createClient.id;
      for (const project of ["B", "A"])
        await ok(url, `mutation($c: ID!, $n: String!) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: 100 }) { ... on Project { id } } }`, { c: client, n: `${name} ${project}` }, auth);
    }
    const list = async (n: number) => (await ok(url, LIST, { n }, auth)).clients.nodes;
    // Each client's own projects, in name order, each pointing back at its client.
    const all = await list(50);
    expect(all.map((c: { name: string }) => c.name)).toEqual(names);
    for (const c of all) expect(c.projects).toEqual([{ name: `${c.name} A`, client: { name: c.name } }, { name: `${c.name} B`, client: { name: c.name } }]);

    if (!stack.databaseUrl) return; // the counts need PostgreSQL's statistics
    await expectSameScans(stack.databaseUrl, ["Client", "Project"], () => list(1), () => list(50));
  }, 180_000);

  it("read each work session's apps, URLs, timeline and screenshots with as many queries for 20 sessions as for 1", async () => {
    const ws = await newWorkspace(url, "Europe/Berlin");
    // Twenty sessions two hours apart (well past the inactivity timeout), ending before now.
    const start = calendar(ws.timeZone).today.minus({ days: 3 });
    const hours = Array.from({ length: 20 }, (_, i) => i * 2);
    const events = hours.flatMap((h) => [
      { id: `w${h}a`, type: "window", timestamp: hoursInto(start, h), duration: 600, data: { app: "Editor", title: `Draft ${h}` } },
      { id: `w${h}b`, type: "window", timestamp: hoursInto(start, h + 0.2), duration: 300, data: { app: "Browser", title: "Docs", url: `https://docs.test/${h}` } },
    ]);
    const auth = { authorization: `Bearer ${ws.employee.token}` };
    expect((await fetch(`${url}/api/work/events`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ events }) })).status).toBe(200);
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
    for (const h of hours) {
      const res = await fetch(`${url}/api/work/screenshots?takenAt=${encodeURIComponent(hoursInto(start, h + 0.1))}`, { method: "POST", headers: { ...auth, "content-type": "image/png" }, body: png });
      expect(res.status).toBe(201);
    }
    const LIST = `query($f: LocalDate!, $t: LocalDate!, $n: Int!) { workSessions(from: $f, to: $t, first: $n) { nodes {
      startedAt apps { name seconds } urls { name seconds } appTimeline { name } screenshots { takenAt } } } }`;
    const list = async (n: number) =>
      (await ok(url, LIST, { f: isoDate(start.minus({ days: 1 })), t: isoDate(start.plus({ days: 3 })), n }, { token: ws.owner.token })).workSessions.nodes;
    // Each session with its own apps, URL and screenshot, newest first.
    const all = await list(20);
    expect(all).toHaveLength(20);
    for (const [i, session] of all.entries()) {
      const h = hours[hours.length - 1 - i];
      expect(session.startedAt).toBe(hoursInto(start, h).replace(/\.\d+Z$/, ".000Z"));
      expect(session.apps).toEqual([{ name: "Editor", seconds: 600 }, { name: "Browser", seconds: 300 }]);
      expect(session.urls).toEqual([{ name: `https://docs.test/${h}`, seconds: 300 }]);
      expect(session.appTimeline.map((span: { name: string }) => span.name)).toEqual(["Editor", "Browser"]);
      expect(session.screenshots).toEqual([{ takenAt: hoursInto(start, h + 0.1).replace(/\.\d+Z$/, ".000Z") }]);
    }

    if (!stack.databaseUrl) return; // the counts need PostgreSQL's statistics
    await expectSameScans(stack.databaseUrl, ["WorkActivity", "Screenshot"], () => list(1), () => list(20));
  }, 180_000);

  it("read each session's series and the series' sessions with as many queries for 12 series as for 1", async () => {
    const ws = await newWorkspace(url, "Europe/Berlin");
    const auth = { token: ws.owner.token };
    // Twelve clients, each with a weekly series of three at its own hour, from a Monday a month ahead.
    const first = calendar(ws.timeZone).firstMondayOf(1);
    const hours = Array.from({ length: 12 }, (_, i) => `${String(7 + i).padStart(2, "0")}:00`);
    for (const time of hours) {
      const client = (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: `Client ${time}` }, auth)).createClient.id;
      const made = await ok(
        url,
        `mutation($i: NewAppointmentSeriesInput!) { createAppointmentSeries(input: $i) { ... on AppointmentSeriesPayload { series { id } } ... on Error { message } } }`,
        { i: { name: `Weekly ${time}`, clientId: client, date: isoDate(first), time, durationMinutes: 30, repeat: { everyWeeks: 1, count: 3 } } },
        auth,
      );
      expect(made.createAppointmentSeries.series.id).toBeTruthy();
    }
    const LIST = `query($f: LocalDate!, $t: LocalDate!, $n: Int!) { appointments(from: $f, to: $t, first: $n) { ... on QueryAppointmentsConnection { nodes {
      name startsAt series { everyWeeks occurrences { name startsAt } } } } } }`;
    // The first week's sessions: one per series, in time order.
    const list = async (n: number) => (await ok(url, LIST, { f: isoDate(first), t: isoDate(first), n }, auth)).appointments.nodes;
    const all = await list(12);
    expect(all.map((a: { name: string }) => a.name)).toEqual(hours.map((time) => `Weekly ${time}`));
    for (const a of all) {
      expect(a.series.everyWeeks).toBe(1);
      // Its own series' three sessions, a week apart, each at its hour.
      expect(a.series.occurrences.map((o: { name: string }) => o.name)).toEqual([a.name, a.name, a.name]);
      const starts = a.series.occurrences.map((o: { startsAt: string }) => Date.parse(o.startsAt));
      expect(starts[0]).toBe(Date.parse(a.startsAt));
      expect([starts[1] - starts[0], starts[2] - starts[1]].map((ms) => Math.round(ms / 86_400_000))).toEqual([7, 7]);
    }

    if (!stack.databaseUrl) return; // the counts need PostgreSQL's statistics
    // Only the sessions' table: a series is read by id, and PostgreSQL 15 counts one index scan per id
    // of an `IN` list, so its table's count can't tell one batched read from twelve.
    await expectSameScans(stack.databaseUrl, ["Appointment"], () => list(1), () => list(12));
  }, 180_000);
});
