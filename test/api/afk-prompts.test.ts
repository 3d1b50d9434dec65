// The AFK dialog over the API: which AFK periods ask for an answer, the live push when one ends,
// answers moving the totals (work given back to net time), who may answer, and racing answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, subscribe, wsClient } from "../support/client.js";
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

// A Tuesday of last month: every test day (D .. D+4) is in the past, whatever today is.
const D = calendar("Europe/Berlin").firstMondayOf(-1).plus({ days: 1 });
const at = (hhmm: string, offset = 0) => instant(D.plus({ days: offset }), hhmm);
const day = (offset: number) => isoDate(D.plus({ days: offset }));

async function post(token: string, events: unknown[]) {
  const res = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  expect(res.status).toBe(200);
  return res.json();
}

/** 09:00-10:30 on D+offset: a 2-minute AFK at 09:10 (under the default 3 minutes) and a 30-minute one at 09:30. */
function morning(prefix: string, offset: number) {
  const win = (id: string, time: string, duration: number) => ({ id: prefix + id, type: "window", timestamp: at(time, offset), duration, data: { app: "Code", title: "x" } });
  // The AFK watcher's merged heartbeat covers the time away, as ActivityWatch sends it.
  const afk = (id: string, time: string, status: string, duration = 0) => ({ id: prefix + id, type: "afk", timestamp: at(time, offset), duration, data: { status } });
  return [
    win("w1", "09:00", 600), afk("a1", "09:10", "afk", 120), afk("a2", "09:12", "not-afk"),
    win("w2", "09:12", 1080), afk("a3", "09:30", "afk", 1800), afk("a4", "10:00", "not-afk"),
    win("w3", "10:00", 1800), { id: prefix + "c", type: "close", timestamp: at("10:30", offset) },
  ];
}

const PROMPTS = `{ afkPrompts(first: 10) { nodes { id startedAt endedAt reason unanswered } } }`;
const SESSION = `query($f: LocalDate!, $e: ID) { workSessions(from: $f, to: $f, employeeId: $e) { nodes { id totalSeconds netSeconds afkSeconds lunchSeconds breakSeconds callSeconds meetingSeconds countedAsWorkSeconds
  afkPeriods { id startedAt reason unanswered } unansweredAfkPeriods { id } } } }`;
const ANSWER = `mutation($id: ID!, $r: AfkReason) { setAfkReason(input: { afkPeriodId: $id, reason: $r }) { __typename ... on AfkPeriod { reason unanswered } ... on Error { code } } }`;
const session = async (token: string, offset: number, employee?: string) => (await ok(url, SESSION, { f: day(offset), e: employee }, { token })).workSessions.nodes[0];

describe("the AFK prompt", () => {
  it("asks about AFK of at least the workspace's setting, pushes it live when the employee comes back, and the answer moves the totals", async () => {
    const tom = ws.employee.token;
    const live = wsClient(url, { token: tom });
    const other = wsClient(url, { token: ws.employee2.token });
    const mine = subscribe(live, `subscription { afkPromptsChanged { id startedAt endedAt } }`);
    const theirs = subscribe(other, `subscription { afkPromptsChanged { id } }`);
    await new Promise((r) => setTimeout(r, 300)); // both subscriptions are listening
    try {
      await post(tom, morning("p", 0));
      const pushed = await mine.next((list: { afkPromptsChanged: unknown[] }) => list.afkPromptsChanged.length > 0);
      expect(pushed.afkPromptsChanged).toEqual([expect.objectContaining({ startedAt: at("09:30"), endedAt: at("10:00") })]);

      const prompts = (await ok(url, PROMPTS, {}, { token: tom })).afkPrompts.nodes;
      expect(prompts).toEqual([{ id: pushed.afkPromptsChanged[0].id, startedAt: at("09:30"), endedAt: at("10:00"), reason: null, unanswered: true }]);
      const before = await session(tom, 0);
      expect(before).toMatchObject({ totalSeconds: 5400, afkSeconds: 1920, netSeconds: 3480, lunchSeconds: 0 });
      expect(before.afkPeriods.map((a: { unanswered: boolean }) => a.unanswered)).toEqual([false, true]);
      expect(before.unansweredAfkPeriods).toEqual([{ id: prompts[0].id }]);

      expect((await ok(url, ANSWER, { id: prompts[0].id, r: "LUNCH" }, { token: tom })).setAfkReason).toEqual({ __typename: "AfkPeriod", reason: "LUNCH", unanswered: false });
      expect(await session(tom, 0)).toMatchObject({ afkSeconds: 1920, lunchSeconds: 1800, netSeconds: 3480, unansweredAfkPeriods: [] });
      // The other open apps hear that nothing is left to ask.
      await mine.next((list: { afkPromptsChanged: unknown[] }) => list.afkPromptsChanged.length === 0);
      expect((await ok(url, PROMPTS, {}, { token: tom })).afkPrompts.nodes).toEqual([]);
      expect(theirs.values).toEqual([]);
    } finally {
      await live.dispose();
      await other.dispose();
    }
  });

  it("an answer of work gives the time back to net time, and the manager sees it counted as work", async () => {
    const tom = ws.employee.token;
    await post(tom, morning("q", 1));
    const afk = (await session(tom, 1)).unansweredAfkPeriods[0].id;
    await ok(url, ANSWER, { id: afk, r: "WORK" }, { token: tom });
    const seen = await session(ws.manager.token, 1, ws.employee.id);
    expect(seen).toMatchObject({ totalSeconds: 5400, afkSeconds: 120, netSeconds: 5280, countedAsWorkSeconds: 1800 });
    const summary = (await ok(url, `query($f: LocalDate!, $e: ID) { workSummary(from: $f, to: $f, employeeId: $e) { netSeconds afkSeconds countedAsWorkSeconds } }`, { f: day(1), e: ws.employee.id }, { token: ws.manager.token })).workSummary;
    expect(summary).toEqual([{ netSeconds: 5280, afkSeconds: 120, countedAsWorkSeconds: 1800 }]);
    const month = (await ok(url, `query($m: String!, $e: ID) { workMonthlyReport(month: $m, employeeId: $e) { csvUrl countedAsWorkSeconds days { date countedAsWorkSeconds } } }`, { m: D.toFormat("yyyy-MM"), e: ws.employee.id }, { token: ws.manager.token })).workMonthlyReport;
    expect(month.days.find((d: { date: string }) => d.date === day(1)).countedAsWorkSeconds).toBe(1800);
    // The payroll CSV says it too: the day's row and the total carry the half hour counted as work.
    const csv = (await (await fetch(url + month.csvUrl, { headers: { authorization: `Bearer ${ws.manager.token}` } })).text()).trim().split("\n").map((l) => l.split(","));
    const column = csv[0].indexOf("counted_as_work_hours");
    expect(column).toBeGreaterThan(0);
    expect(csv.find((r) => r[1] === day(1))?.[column]).toBe("0.50");
    expect(csv.find((r) => r[1] === "total")?.[column]).toBe((month.countedAsWorkSeconds / 3600).toFixed(2));
  });

  it("an employee answers only their own; a manager may answer for them; staff may not", async () => {
    const tom = ws.employee.token;
    await post(tom, morning("r", 2));
    const afk = (await session(tom, 2)).unansweredAfkPeriods[0].id;
    for (const token of [ws.employee2.token, ws.staff.token]) {
      expect((await ok(url, ANSWER, { id: afk, r: "BREAK" }, { token })).setAfkReason).toEqual({ __typename: "NotFoundError", code: "NOT_FOUND" });
    }
    expect((await session(tom, 2)).unansweredAfkPeriods).toEqual([{ id: afk }]);
    expect((await ok(url, ANSWER, { id: afk, r: "MEETING" }, { token: ws.manager.token })).setAfkReason.reason).toBe("MEETING");
    // A manager's own prompt list holds only their own periods.
    expect((await ok(url, PROMPTS, {}, { token: ws.manager.token })).afkPrompts.nodes).toEqual([]);
  });

  it("concurrent answers to the same prompt leave one answer, counted once", async () => {
    const emma = ws.employee2.token;
    await post(emma, morning("s", 3));
    const afk = (await session(emma, 3)).unansweredAfkPeriods[0].id;
    const reasons = ["LUNCH", "BREAK", "WORK", "LUNCH", "BREAK", "WORK", "CALL", "MEETING"];
    const results = await Promise.all(reasons.map((r) => ok(url, ANSWER, { id: afk, r }, { token: emma })));
    expect(results.every((r) => r.setAfkReason.__typename === "AfkPeriod")).toBe(true);
    const s = await session(emma, 3);
    const answered = s.afkPeriods.find((a: { id: string }) => a.id === afk).reason;
    // The 30 minutes count exactly once, under the one answer that stayed; the 2 minutes stay plain AFK.
    expect(s.totalSeconds).toBe(5400);
    expect(s.afkSeconds + s.countedAsWorkSeconds).toBe(1920);
    expect(s.netSeconds + s.afkSeconds).toBe(5400);
    const byReason = { lunch: s.lunchSeconds, break: s.breakSeconds, call: s.callSeconds, meeting: s.meetingSeconds, work: s.countedAsWorkSeconds };
    expect(byReason).toEqual({ lunch: 0, break: 0, call: 0, meeting: 0, work: 0, [answered.toLowerCase()]: 1800 });
  });

  it("the threshold is a workspace setting: validated, and changing it changes what is asked", async () => {
    const owner = ws.owner.token;
    const UPDATE = `mutation($a: Int, $i: Int) { updateWorkSettings(input: { afkPromptMinutes: $a, inactivityMinutes: $i }) { __typename ... on WorkSettings { afkPromptMinutes inactivityMinutes } ... on ValidationError { problems { path message } } } }`;
    expect((await ok(url, `{ workSettings { afkPromptMinutes inactivityMinutes } }`, {}, { token: owner })).workSettings).toEqual({ afkPromptMinutes: 3, inactivityMinutes: 15 });
    const bad = (await ok(url, UPDATE, { a: 0, i: 20 }, { token: owner })).updateWorkSettings;
    expect(bad).toEqual({ __typename: "ValidationError", problems: [{ path: ["afkPromptMinutes"], message: "Between 1 and 240 minutes" }] });
    expect((await ok(url, `{ workSettings { afkPromptMinutes inactivityMinutes } }`, {}, { token: owner })).workSettings).toEqual({ afkPromptMinutes: 3, inactivityMinutes: 15 });

    const sam = ws.staff.token;
    await post(sam, morning("t", 4));
    expect((await session(sam, 4)).unansweredAfkPeriods).toHaveLength(1);
    expect((await ok(url, UPDATE, { a: 2 }, { token: owner })).updateWorkSettings).toEqual({ __typename: "WorkSettings", afkPromptMinutes: 2, inactivityMinutes: 15 });
    expect((await session(sam, 4)).unansweredAfkPeriods).toHaveLength(2);
    await ok(url, UPDATE, { a: 3 }, { token: owner });
  });
});
