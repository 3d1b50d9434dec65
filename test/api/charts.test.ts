// The charts' aggregates over the API: each day's work summed over whoever the viewer may see, and
// entries summed per week in the workspace's week, with their range limits as typed errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok } from "../support/client.js";
import { calendar, instant, isoDate } from "../support/dates.js";
import { startWithWorkspace, type Started } from "../support/setup.js";
import type { TestWorkspace } from "../support/workspace.js";

let started: Started;
let url: string;
let ws: TestWorkspace;
beforeAll(async () => {
  started = await startWithWorkspace("Europe/Berlin");
  ({ url, ws } = started);
});
afterAll(() => started?.stop());

const cal = calendar("Europe/Berlin");

describe("workDays", () => {
  // A Wednesday of last month and the days around it: all in the past.
  const D = cal.firstMondayOf(-1).plus({ days: 2 });
  const DAYS = `query($f: LocalDate!, $t: LocalDate!, $e: ID) { workDays(from: $f, to: $t, employeeId: $e) { date netSeconds manualSeconds afkSeconds } }`;

  it("sums each day over everyone the viewer may see, a session across midnight on both days", async () => {
    const add = (employee: string, start: string, end: string) =>
      ok(url, `mutation($e: ID!, $s: DateTime!, $t: DateTime!) { addManualTime(input: { employeeId: $e, start: $s, end: $t }) { __typename } }`, { e: employee, s: start, t: end }, { token: ws.manager.token });
    await add(ws.employee.id, instant(D, "09:00"), instant(D, "10:00"));
    await add(ws.employee2.id, instant(D, "23:30"), instant(D.plus({ days: 1 }), "00:30"));
    const range = { f: isoDate(D.minus({ days: 1 })), t: isoDate(D.plus({ days: 1 })) };
    const day = (d: typeof D, seconds: number) => ({ date: isoDate(d), netSeconds: seconds, manualSeconds: seconds, afkSeconds: 0 });

    expect((await ok(url, DAYS, range, { token: ws.manager.token })).workDays).toEqual([day(D, 3600 + 1800), day(D.plus({ days: 1 }), 1800)]);
    expect((await ok(url, DAYS, { ...range, e: ws.employee.id }, { token: ws.manager.token })).workDays).toEqual([day(D, 3600)]);
    // An employee sees their own days only, and may not ask for someone else's.
    expect((await ok(url, DAYS, range, { token: ws.employee2.token })).workDays).toEqual([day(D, 1800), day(D.plus({ days: 1 }), 1800)]);
    expect((await gql(url, DAYS, { ...range, e: ws.employee.id }, { token: ws.employee2.token })).body.errors?.[0].extensions?.code).toBe("FORBIDDEN");
  });

  it("refuses a range over 366 days or backwards, naming `to`", async () => {
    for (const t of [isoDate(D.plus({ days: 366 })), isoDate(D.minus({ days: 1 }))]) {
      const { body: { errors } } = await gql(url, DAYS, { f: isoDate(D), t }, { token: ws.manager.token });
      expect(errors?.[0]).toMatchObject({ extensions: { code: "VALIDATION" }, message: expect.stringMatching(/^to: /) });
    }
    expect((await ok(url, DAYS, { f: isoDate(D), t: isoDate(D.plus({ days: 365 })) }, { token: ws.manager.token })).workDays.length).toBeGreaterThan(0);
  });
});

describe("timeEntryWeeks", () => {
  const WEEKS = `query($f: TimeEntryFilter!) { timeEntryWeeks(filter: $f) { week seconds project { name } } }`;
  // Monday two weeks ago, and the Sunday that ends that week.
  const monday = cal.monday(-2);
  const sunday = monday.plus({ days: 6 });
  const range = { from: instant(monday.minus({ days: 7 }), "00:00"), to: instant(monday.plus({ days: 14 }), "00:00") };

  it("sums the filtered entries per project and week, weeks starting on the workspace's day", async () => {
    const owner = { token: ws.owner.token };
    const client = (await ok(url, `mutation { createClient(input: { name: "Weekly Client" }) { ... on Client { id } } }`, {}, owner)).createClient.id;
    const project = async (name: string) =>
      (await ok(url, `mutation($c: ID!, $n: String!) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: 100 }) { ... on Project { id } } }`, { c: client, n: name }, owner)).createProject.id;
    const [site, audit] = [await project("Site"), await project("Audit")];
    const log = (p: string, start: string, end: string) =>
      ok(url, `mutation($p: ID!, $s: DateTime!, $t: DateTime!) { logTime(input: { projectId: $p, startedAt: $s, endedAt: $t }) { __typename } }`, { p, s: start, t: end }, { token: ws.employee.token });
    await log(site, instant(monday, "09:00"), instant(monday, "10:00"));
    await log(site, instant(monday.plus({ days: 1 }), "09:00"), instant(monday.plus({ days: 1 }), "09:15"));
    await log(audit, instant(sunday, "10:00"), instant(sunday, "10:30"));

    const weeks = async (filter: object, token = ws.employee.token) => (await ok(url, WEEKS, { f: { ...range, ...filter } }, { token })).timeEntryWeeks;
    const sorted = (rows: { week: string; project: { name: string } }[]) => [...rows].sort((a, b) => a.week.localeCompare(b.week) || a.project.name.localeCompare(b.project.name));
    expect(sorted(await weeks({}))).toEqual([
      { week: isoDate(monday), seconds: 1800, project: { name: "Audit" } },
      { week: isoDate(monday), seconds: 4500, project: { name: "Site" } },
    ]);
    // The same filter as the list: one project; a manager asking for Tom's.
    expect(await weeks({ projectId: audit })).toEqual([{ week: isoDate(monday), seconds: 1800, project: { name: "Audit" } }]);
    expect(sorted(await weeks({ userId: ws.employee.id }, ws.manager.token))).toEqual(sorted(await weeks({})));

    // Weeks from Sunday: Monday's entries belong to the week of the Sunday before, Sunday's starts the next.
    await ok(url, `mutation { updateWorkspace(input: { weekStart: 7 }) { __typename } }`, {}, owner);
    expect(sorted(await weeks({}))).toEqual([
      { week: isoDate(monday.minus({ days: 1 })), seconds: 4500, project: { name: "Site" } },
      { week: isoDate(sunday), seconds: 1800, project: { name: "Audit" } },
    ]);
  });

  it("needs from and to, at most 53 weeks apart, naming the field", async () => {
    const problem = async (filter: object) => (await gql(url, WEEKS, { f: filter }, { token: ws.employee.token })).body.errors?.[0];
    expect(await problem({ to: range.to })).toMatchObject({ extensions: { code: "VALIDATION" }, message: expect.stringMatching(/^filter\.from: /) });
    expect(await problem({ from: range.from })).toMatchObject({ extensions: { code: "VALIDATION" }, message: expect.stringMatching(/^filter\.to: /) });
    const tooLong = { from: range.from, to: instant(monday.plus({ weeks: 60 }), "00:00") };
    expect(await problem(tooLong)).toMatchObject({ extensions: { code: "VALIDATION" }, message: expect.stringMatching(/^filter\.to: /) });
  });
});
