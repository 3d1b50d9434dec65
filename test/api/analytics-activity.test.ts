import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, signIn } from "../support/client.js";
import { expectedActivity, firstDay, FLOW, sendVisits } from "../support/activity.js";
import { isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: string;
let ws: TestWorkspace;
let appId: string;
beforeAll(async () => {
  stack = await startStack({ worker: true });
  url = stack.urls[0];
  ws = await newWorkspace(url);
  owner = await signIn(url, ws.owner.email);
  appId = await sendVisits(url, { cookie: owner }, ws.timeZone);
}, 60_000);
afterAll(() => stack?.stop());

const ACTIVITY = `query($input: UserActivityInput!) { userActivity(input: $input) {
  __typename
  ... on UserActivity { from to activeUsers sessions medianDurationSeconds averageDailyActiveUsers
    days { date activeUsers weeklyActiveUsers monthlyActiveUsers sessions medianDurationSeconds }
    flows { name app { id } total { started completed mistakes droppedOff completionRate mistakesRate dropOffRate }
      days { date counts { started completed mistakes droppedOff } } dropOffSteps { step sessions } mostDroppedAtStep }
    topBusinessEvents { name count } }
  ... on ValidationError { problems { path message } }
  ... on ForbiddenError { code } } }`;

/** Days after the first day with visits, as the input's dates. */
const range = (from: number, to: number) => ({ from: isoDate(firstDay(ws.timeZone).plus({ days: from })), to: isoDate(firstDay(ws.timeZone).plus({ days: to })) });

describe("userActivity", () => {
  for (const filters of [
    { excludeBots: true, excludeDev: true },
    { excludeBots: false, excludeDev: false },
  ])
    it(`counts each local day of the range in SQL as the visits say (${JSON.stringify(filters)})`, async () => {
      // From the day before the first visits (nothing) to the day after the last.
      const { userActivity: a } = await ok(url, ACTIVITY, { input: { appId, ...range(-1, 4), ...filters } }, { cookie: owner });
      const expected = expectedActivity(ws.timeZone, -1, 4, filters);
      expect(a.__typename).toBe("UserActivity");
      expect(a.days).toEqual(expected.days);
      expect(a).toMatchObject({ from: expected.from, to: expected.to, activeUsers: expected.activeUsers, sessions: expected.sessions, medianDurationSeconds: expected.medianDurationSeconds });
      expect(a.averageDailyActiveUsers).toBeCloseTo(expected.days.reduce((n, d) => n + d.activeUsers, 0) / expected.days.length, 6);

      expect(a.flows).toHaveLength(1);
      const [flow] = a.flows;
      const t = expected.flow.total;
      expect(flow).toMatchObject({ name: FLOW.name, app: { id: appId }, days: expected.flow.days, dropOffSteps: expected.flow.dropOffSteps, mostDroppedAtStep: expected.flow.dropOffSteps[0].step });
      expect(flow.total).toMatchObject(t);
      expect(flow.total.completionRate).toBeCloseTo(t.completed / t.started, 6);
      expect(flow.total.mistakesRate).toBeCloseTo(t.mistakes / t.started, 6);
      expect(flow.total.dropOffRate).toBeCloseTo(t.droppedOff / t.started, 6);
      expect(a.topBusinessEvents).toEqual(expected.topBusinessEvents);
    });

  it("a range of one day; weekly and monthly users look back before it", async () => {
    const { userActivity: a } = await ok(url, ACTIVITY, { input: { appId, ...range(3, 3) } }, { cookie: owner });
    const expected = expectedActivity(ws.timeZone, 3, 3, { excludeBots: true, excludeDev: true });
    expect(a.days).toEqual(expected.days);
    expect(a.days[0].medianDurationSeconds).toBe(61);
    // The look-back's users count in the windows, not in the range's own figure.
    expect(a.activeUsers).toBe(expected.activeUsers);
    expect(a.days[0].weeklyActiveUsers).toBeGreaterThan(a.days[0].activeUsers);
    expect(a.flows[0].total.dropOffRate).toBe(0);
    expect(a.flows[0].mostDroppedAtStep).toBeNull();
  });

  it("weekly and monthly users fall away 7 and 30 days after their last visit", async () => {
    // The visits are on days 0 to 4: from day 2 to day 40 every window opens, holds and closes.
    const { userActivity: a } = await ok(url, ACTIVITY, { input: { appId, ...range(2, 40) } }, { cookie: owner });
    const expected = expectedActivity(ws.timeZone, 2, 40, { excludeBots: true, excludeDev: true });
    expect(a.days).toEqual(expected.days);
    expect(a.activeUsers).toBe(expected.activeUsers);
    expect(a.days.at(-1)).toMatchObject({ weeklyActiveUsers: 0, monthlyActiveUsers: 0 });
    expect(a.days.find((d: { date: string }) => d.date === isoDate(firstDay(ws.timeZone).plus({ days: 12 })))).toMatchObject({ weeklyActiveUsers: 0 });
  });

  it("counts sessions still in progress on the day they began, and each user once over the range", async () => {
    const live = await sendVisits(url, { cookie: owner }, ws.timeZone, "Activity app, live");
    const key = await ok(url, `mutation($id: ID!) { rotateAnalyticsWriteKey(input: { id: $id }) { ... on AnalyticsAppWithKey { writeKey } } }`, { id: live }, { cookie: owner });
    // ua-5, last seen on day 3, and someone new are back a minute ago: their sessions stay open for the app's inactivity window.
    const at = DateTime.now().minus({ minutes: 1 });
    const events = ["ua-5", "ua-new"].map((user) => ({ eventId: `now-${user}`, userId: user, name: "page_view", timestamp: at.toUTC().toISO() }));
    const sent = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${key.rotateAnalyticsWriteKey.writeKey}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    expect(sent.ok).toBe(true); // 202 queued, or 200 stored at once without Redis
    const today = Math.round(at.setZone(ws.timeZone).startOf("day").diff(firstDay(ws.timeZone, at), "days").days);
    const read = async () => (await ok(url, ACTIVITY, { input: { appId: live, ...range(3, today) } }, { cookie: owner })).userActivity;
    const a = await until(read, (r) => r.days.at(-1).sessions === 2);
    const finalised = expectedActivity(ws.timeZone, 3, today, { excludeBots: true, excludeDev: true });
    expect(a.days.at(-1)).toMatchObject({ activeUsers: 2, sessions: 2, monthlyActiveUsers: finalised.days.at(-1)!.monthlyActiveUsers + 1 });
    // ua-5 was active on day 3 too, and counts once over the range.
    expect(finalised.activeUsers).toBe(3);
    expect(a).toMatchObject({ activeUsers: finalised.activeUsers + 1, sessions: finalised.sessions + 2 });
  });

  it("refuses a backwards range or one over 366 days, naming the field, and an employee", async () => {
    const bad = async (from: number, to: number) => (await ok(url, ACTIVITY, { input: range(from, to) }, { cookie: owner })).userActivity;
    expect(await bad(2, 1)).toEqual({ __typename: "ValidationError", problems: [{ path: ["input", "to"], message: "Must not be before from" }] });
    expect(await bad(0, 366)).toEqual({ __typename: "ValidationError", problems: [{ path: ["input", "to"], message: "The range may span at most 366 days" }] });
    expect((await bad(0, 365)).__typename).toBe("UserActivity");
    const notADate = await gql(url, ACTIVITY, { input: { from: "2026-02-30", to: "2026-03-01" } }, { cookie: owner });
    expect(notADate.body.errors?.[0].message).toMatch(/LocalDate/);
    expect((await ok(url, ACTIVITY, { input: range(0, 1) }, { token: ws.employee.token })).userActivity).toEqual({ __typename: "ForbiddenError", code: "FORBIDDEN" });
  });
});
