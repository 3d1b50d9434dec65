// The User activity page in Chromium: visits sent through the events endpoint some days ago, and
// each chart's text alternative holding the numbers worked out from those visits (support/activity).
import { existsSync } from "node:fs";
import type { Browser, BrowserContext, Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedActivity, firstDay, sendVisits } from "../support/activity.js";
import { CHROMIUM, launchBrowser, newContext, pastTheEdge, signInAs, snap } from "../support/browser.js";
import { isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

/** H:MM:SS, as the page writes a median duration. */
const hms = (s: number) => `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
const pct = (part: number, whole: number) => (whole ? `${Math.round((part / whole) * 100)}%` : "–");

/** Every row of a chart's table: its key and its cells by series. */
const tableOf = (chart: Locator) =>
  chart.locator('[data-testid="chart-row"]').evaluateAll((rows) =>
    rows.map((r) => [r.getAttribute("data-key"), Object.fromEntries([...r.querySelectorAll("td")].map((td) => [td.getAttribute("data-series"), td.textContent]))]),
  );

describe.runIf(existsSync(CHROMIUM))("User activity page in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let url: string;
  let ws: TestWorkspace;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack({ worker: true }), launchBrowser()]);
    url = stack.urls[0];
    context = await newContext(browser);
  });
  beforeAll(async () => {
    ws = await newWorkspace(url);
    await sendVisits(url, { token: ws.owner.token }, ws.timeZone);
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  it("charts active users, sessions, median durations and the flow per day, with where people drop off and the top business events", async () => {
    const page = await context.newPage();
    await signInAs(page, url, ws.manager.email);
    await page.goto(`${url}/analytics`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "User activity" }).click();
    await page.waitForURL(/\/analytics\/activity$/);
    expect(await page.title()).toBe("User activity · Sessions");

    const start = firstDay(ws.timeZone);
    const filters = page.getByRole("form", { name: "Filter user activity" });
    await filters.getByLabel("From").fill(isoDate(start.minus({ days: 1 })));
    await filters.getByLabel("To").fill(isoDate(start.plus({ days: 4 })));
    const expected = expectedActivity(ws.timeZone, -1, 4, { excludeBots: true, excludeDev: true });

    const users = page.getByTestId("chart-active-users");
    const want = expected.days.map((d) => [d.date, { Daily: String(d.activeUsers), "Weekly (7 days)": String(d.weeklyActiveUsers), "Monthly (30 days)": String(d.monthlyActiveUsers) }]);
    await expect.poll(() => tableOf(users)).toEqual(want);
    expect(await tableOf(page.getByTestId("chart-sessions"))).toEqual(expected.days.map((d) => [d.date, { Sessions: String(d.sessions) }]));
    expect(await tableOf(page.getByTestId("chart-duration"))).toEqual(
      expected.days.map((d) => [d.date, { "Median duration": d.medianDurationSeconds == null ? "–" : hms(d.medianDurationSeconds) }]),
    );
    expect(await users.getByRole("img").getAttribute("aria-label")).toContain(`${expected.activeUsers} over the range`);

    const flow = page.getByTestId("chart-flow-0");
    expect(await tableOf(flow)).toEqual(
      expected.flow.days.map(({ date, counts: c }) => [date, { Completed: pct(c.completed, c.started), Mistakes: pct(c.mistakes, c.started), "Dropped off": pct(c.droppedOff, c.started) }]),
    );
    const [most] = expected.flow.dropOffSteps;
    expect(await page.getByTestId("flow-drop-step").textContent()).toContain(`Most drop off at step ${most.step} (${most.sessions} of ${expected.flow.total.droppedOff} drop-offs)`);

    const events = await page.getByTestId("top-business-events").locator("tbody tr").evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    expect(events).toEqual(expected.topBusinessEvents.map((e) => [e.name, String(e.count)]));

    // With bots and development traffic: the crawler's and the developer's visits count too.
    await filters.getByLabel("Exclude bots").uncheck();
    await filters.getByLabel("Exclude dev and internal").uncheck();
    const all = expectedActivity(ws.timeZone, -1, 4, { excludeBots: false, excludeDev: false });
    await expect.poll(() => tableOf(page.getByTestId("chart-sessions"))).toEqual(all.days.map((d) => [d.date, { Sessions: String(d.sessions) }]));

    // A 390 px phone: nothing past the edge.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => pastTheEdge(page)).toEqual([]);
    await snap(page, "analytics-activity-390");

    // A range with nothing in it says so; a backwards range is named under the dates.
    await page.setViewportSize({ width: 1360, height: 900 });
    await filters.getByLabel("To").fill(isoDate(start.minus({ days: 1 })));
    await filters.getByLabel("From").fill(isoDate(start.minus({ days: 2 })));
    await page.getByTestId("chart-sessions-empty").waitFor();
    await page.getByTestId("top-business-events-empty").waitFor();
    await filters.getByLabel("From").fill(isoDate(start));
    expect(await page.locator("#ua-range-error").textContent()).toBe("The end date must not be before the start date");
    await page.close();
  });
});
