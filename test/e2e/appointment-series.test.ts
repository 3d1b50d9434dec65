// Recurring sessions in Chromium: a weekly series made from the session dialog shows on the calendar
// with its repeat mark, is moved "this and all following" and one of its sessions is cancelled alone.
import { existsSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, newContext, pastTheEdge, signInAs } from "../support/browser.js";
import { ok } from "../support/client.js";
import { calendar, instant, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const TIME_ZONE = "Europe/Berlin";
const SERIES = `query($id: ID!) { node(id: $id) { ... on Appointment { series { occurrences { id startsAt status } } } } }`;

describe.runIf(existsSync(CHROMIUM))("Recurring sessions in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let url: string;
  let ws: TestWorkspace;
  // Tuesday in two weeks: a future working day, whatever today is; then weekly.
  const first = calendar(TIME_ZONE).monday(2).plus({ days: 1 });
  const week = (n: number) => first.plus({ weeks: n });
  const showDay = async (page: Page, date: string) => {
    await page.getByLabel("Go to date").fill(date);
    await page.locator(`[data-date="${date}"]`).waitFor();
  };
  const blockOn = (page: Page, date: string) => page.locator(`[data-date="${date}"] [data-testid="appointment"]`).filter({ hasText: "Weekly therapy" });

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    url = stack.urls[0];
    context = await newContext(browser);
    ws = await newWorkspace(url, TIME_ZONE);
    await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { __typename } }`, { n: "Ruth Lang" }, { token: ws.owner.token });
    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.close();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  it("creates a weekly series, shows it, moves this and all following, and cancels one session", async () => {
    const page = await context.newPage();
    await page.goto(`${url}/appointments`);
    await showDay(page, isoDate(first));
    await page.getByRole("button", { name: "New session", exact: true }).click();
    const dialog = page.getByTestId("appointment-dialog");
    await dialog.getByLabel("Name").fill("Weekly therapy");
    await dialog.getByLabel("Client", { exact: true }).selectOption({ label: "Ruth Lang" });
    await dialog.getByLabel("Date").fill(isoDate(first));
    await dialog.getByLabel("Start (24-hour)").fill("09:00");
    await dialog.getByLabel("Repeats").selectOption({ label: "Every week" });
    // More than the API allows is named at the field, and nothing is made.
    await dialog.getByLabel("Sessions (at most 52)").fill("60");
    await dialog.getByRole("button", { name: "Create session" }).click();
    await expect.poll(() => dialog.locator(".field-error").allTextContents()).toContain("Between 1 and 52 sessions");
    await dialog.getByLabel("Sessions (at most 52)").fill("4");
    await expect.poll(() => dialog.getByTestId("repeat-preview").textContent()).toMatch(/^\s*4 sessions:/);
    await dialog.getByRole("button", { name: "Create session" }).click();
    await expect.poll(() => dialog.getByRole("status").allTextContents()).toContain("4 sessions saved");
    await dialog.getByRole("button", { name: "Close" }).click();

    // Each week shows its session with the repeat mark.
    for (const n of [0, 1, 2, 3]) {
      await showDay(page, isoDate(week(n)));
      await blockOn(page, isoDate(week(n))).getByTestId("repeat-mark").waitFor();
    }
    expect(await pastTheEdge(page)).toEqual([]);

    // The second session and all after it move to 11:00.
    await showDay(page, isoDate(week(1)));
    await blockOn(page, isoDate(week(1))).click();
    await dialog.getByRole("radio", { name: "This and all following" }).check();
    await dialog.getByLabel("Start (24-hour)").fill("11:00");
    await dialog.getByRole("button", { name: "Save details" }).click();
    await expect.poll(() => dialog.getByRole("status").allTextContents()).toContain("Saved, with 2 following sessions");
    await dialog.getByRole("button", { name: "Close" }).click();
    await showDay(page, isoDate(week(2)));
    await expect.poll(() => blockOn(page, isoDate(week(2))).innerText()).toContain("11:00");

    // The last session is cancelled alone.
    await showDay(page, isoDate(week(3)));
    await blockOn(page, isoDate(week(3))).click();
    await dialog.getByRole("radio", { name: "Only this session" }).check();
    await dialog.getByRole("button", { name: "Cancel session" }).click();
    await expect.poll(() => dialog.getByRole("status").allTextContents()).toContain("Status: Cancelled");

    const id = await blockOn(page, isoDate(week(3))).getAttribute("data-id");
    const { node } = await ok(url, SERIES, { id }, { token: ws.owner.token });
    expect(node.series.occurrences.map((o: { startsAt: string; status: string }) => [o.startsAt, o.status])).toEqual([
      [instant(week(0), "09:00"), "SCHEDULED"],
      [instant(week(1), "11:00"), "SCHEDULED"],
      [instant(week(2), "11:00"), "SCHEDULED"],
      [instant(week(3), "11:00"), "CANCELLED"],
    ]);
    await page.close();
  });
});
