// The workspace's display settings as every page reads them, in Chromium, in the test's own
// workspace: its clock (24-hour by default, 12-hour when chosen, back again), the weekday its weeks
// start on (the appointments week and month, an employee's month), each weekday's working hours
// shaded in the calendar, and the calendar on a phone, which opens on one day and switches to the others.
import { existsSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, newContext, pastTheEdge, signInAs } from "../support/browser.js";
import { ok } from "../support/client.js";
import { calendar, isoDate, withOffset } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const TIME_ZONE = "Europe/Berlin";
const cal = calendar(TIME_ZONE);
// Everything happens in next week: its Monday (M) and Wednesday (the day shown).
const M = cal.monday(1);
const WEDNESDAY = isoDate(M.plus({ days: 2 }));

describe.runIf(existsSync(CHROMIUM))("workspace display settings on every page", () => {
  let stack: Stack;
  let browser: Browser;
  let url: string;
  let ws: TestWorkspace;
  let owner: BrowserContext;

  const settings = (input: { weekStart?: number; timeFormat?: string }) =>
    ok(
      url,
      `mutation($w: Int, $f: TimeFormat) { updateWorkspace(input: { weekStart: $w, timeFormat: $f }) { __typename } }`,
      { w: input.weekStart, f: input.timeFormat },
      { token: ws.owner.token },
    );

  /** The appointments calendar showing `date` in `view`. */
  async function calendarOn(page: Page, view: "Day" | "Week" | "Month", date = WEDNESDAY) {
    await page.goto(`${url}/appointments`);
    await page.getByRole("button", { name: view, exact: true }).click();
    await page.getByLabel("Go to date").fill(date);
    await page.locator(`[data-date="${date}"]`).first().waitFor();
    await page.waitForLoadState("networkidle");
  }

  /** Picks the clock on the workspace settings screen, as an owner would. */
  async function chooseClock(page: Page, clock: "H12" | "H24") {
    await page.goto(`${url}/settings/workspace`);
    await page.getByLabel("Clock times").selectOption(clock);
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByRole("status").filter({ hasText: "Workspace settings saved." }).waitFor();
  }

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    url = stack.urls[0];
    ws = await newWorkspace(url, TIME_ZONE);
    const token = { token: ws.owner.token };
    const client = (await ok(url, `mutation { createClient(input: { name: "Clara Client" }) { ... on Client { id } } }`, {}, token)).createClient.id;
    await ok(
      url,
      `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { __typename } }`,
      { i: { name: "Afternoon check", clientId: client, startsAt: withOffset(M.plus({ days: 2 }), "14:30"), durationMinutes: 30 } },
      token,
    );
    owner = await newContext(browser);
    const page = await owner.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.close();
  });
  afterAll(async () => {
    await owner?.close();
    await browser?.close();
    await stack?.stop();
  });

  it("shows times on the workspace's clock: 24-hour by default, 12-hour once chosen, and 24-hour again", async () => {
    const page = await owner.newPage();
    const block = page.getByTestId("appointment").filter({ hasText: "Afternoon check" });
    await calendarOn(page, "Week");
    expect(await block.locator("strong").textContent()).toBe("14:30 Afternoon check");

    await chooseClock(page, "H12");

    await calendarOn(page, "Week");
    expect(await block.locator("strong").textContent()).toBe("2:30 PM Afternoon check");
    expect(await page.locator(".slot-label").filter({ hasText: /\S/ }).first().textContent()).toBe("6:00 AM");
    await calendarOn(page, "Month");
    expect(await block.textContent()).toContain("2:30 PM Afternoon check");
    // The tokens page's dates carry their times on the same clock.
    await page.goto(`${url}/settings/tokens`);
    await page.getByLabel("Token name").fill("Clock check");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByRole("status").filter({ hasText: "“Clock check” created." }).waitFor();
    await expect.poll(() => page.getByTestId("token-row").filter({ hasText: "Clock check" }).textContent()).toMatch(/\d{1,2}:\d{2} (AM|PM)/);

    await chooseClock(page, "H24");
    await calendarOn(page, "Week");
    expect(await block.locator("strong").textContent()).toBe("14:30 Afternoon check");
    expect(await page.locator("body").innerText()).not.toMatch(/\b(AM|PM)\b/);
    await page.close();
  });

  it("starts weeks on the workspace's first weekday: Sunday here", async () => {
    await settings({ weekStart: 7 });
    const page = await owner.newPage();
    const sunday = isoDate(M.minus({ days: 1 }));
    await calendarOn(page, "Week");
    expect(await page.locator(".day-column").evaluateAll((columns) => columns.map((c) => c.getAttribute("data-date")))).toEqual(
      Array.from({ length: 7 }, (_, i) => isoDate(M.plus({ days: i - 1 }))),
    );
    expect(await page.locator(".day-column").first().getAttribute("data-date")).toBe(sunday);

    await calendarOn(page, "Month");
    expect(await page.locator(".month-head").allTextContents()).toEqual(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]);
    // Every row of the month grid begins on a Sunday.
    const firstCell = await page.locator(".month-cell").first().getAttribute("data-date");
    expect(new Date(`${firstCell}T00:00:00Z`).getUTCDay()).toBe(0);

    await page.goto(`${url}/work/employees/${ws.employee.id}`);
    await page.locator("table.calendar th").first().waitFor();
    expect(await page.locator("table.calendar th").allTextContents()).toEqual(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]);
    // The 1st of the month sits in the column of its weekday, counted from Sunday.
    const firstOfMonth = cal.today.startOf("month");
    const firstRow = await page.locator("table.calendar tbody tr").first().locator("td").evaluateAll((cells) => cells.map((c) => c.getAttribute("data-date")));
    expect(firstRow.indexOf(isoDate(firstOfMonth))).toBe(firstOfMonth.weekday % 7);

    await settings({ weekStart: 1 });
    await calendarOn(page, "Week");
    expect(await page.locator(".day-column").first().getAttribute("data-date")).toBe(isoDate(M));
    await page.close();
  });

  it("shades the calendar outside each weekday's working hours, a day off whole", async () => {
    const page = await owner.newPage();
    /** The shaded spans of a day's column, as [start, length] in minutes from 06:00 (the day's grid shows 16 hours). */
    const shaded = (date: string) =>
      page.locator(`.day-column[data-date="${date}"] [data-testid=off-hours]`).evaluateAll((spans) =>
        spans.map((s) => {
          const perMinute = s.parentElement!.offsetHeight / (16 * 60);
          return [Math.round((s as HTMLElement).offsetTop / perMinute), Math.round((s as HTMLElement).offsetHeight / perMinute)];
        }),
      );
    await calendarOn(page, "Week");
    // The default week: Monday to Friday 09:00-17:00.
    expect(await shaded(WEDNESDAY)).toEqual([[0, 180], [660, 300]]);
    expect(await shaded(isoDate(M.plus({ days: 6 })))).toEqual([[0, 960]]);

    await ok(
      url,
      `mutation($h: [WorkingDayInput!]) { updateWorkspace(input: { workingHours: $h }) { __typename } }`,
      { h: [{ weekday: 3, start: "12:00", end: "20:00" }, { weekday: 7, start: "06:00", end: "22:00" }] },
      { token: ws.owner.token },
    );
    await calendarOn(page, "Week");
    expect(await shaded(WEDNESDAY)).toEqual([[0, 360], [840, 120]]);
    expect(await shaded(isoDate(M))).toEqual([[0, 960]]);
    expect(await shaded(isoDate(M.plus({ days: 6 })))).toEqual([]);
    await page.close();
  });

  it("opens the calendar on one day on a phone, fitting the screen, with the other views a tap away", async () => {
    const phone = await browser.newContext({ locale: "en-US", viewport: { width: 390, height: 844 } });
    const page = await phone.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.goto(`${url}/appointments`);
    await page.locator(".day-column").first().waitFor();
    expect(await page.getByRole("button", { name: "Day", exact: true }).getAttribute("aria-pressed")).toBe("true");
    expect(await page.locator(".day-column").count()).toBe(1);
    expect(await pastTheEdge(page)).toEqual([]);
    expect(await page.evaluate(() => document.querySelector(".time-grid")!.scrollWidth <= document.querySelector(".time-grid")!.clientWidth)).toBe(true);

    await page.getByLabel("Go to date").fill(WEDNESDAY);
    await page.getByTestId("appointment").filter({ hasText: "Afternoon check" }).waitFor();
    await page.getByRole("button", { name: "List", exact: true }).click();
    await page.getByTestId("appointment-row").filter({ hasText: "Afternoon check" }).waitFor();
    await page.getByRole("button", { name: "Week", exact: true }).click();
    await expect.poll(() => page.locator(".day-column").count()).toBe(7);
    expect(await pastTheEdge(page)).toEqual([]);
    await phone.close();
  });
});
