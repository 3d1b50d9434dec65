// The Work sessions page's "Import ActivityWatch export" in Chromium: an employee imports their own
// export and sees what was recorded (and, the second time, that nothing new was); a manager imports
// for an employee, with field-level errors for a missing employee and a file that isn't an export.
import { existsSync } from "node:fs";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventsFromExport } from "../../schema/work/activitywatch.js";
import { activityWatchExport } from "../support/activitywatch-export.js";
import { CHROMIUM, launchBrowser, newContext, signInAs, snap } from "../support/browser.js";
import { ok } from "../support/client.js";
import { calendar, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const TIME_ZONE = "Europe/Berlin";
const SESSIONS = `query($f: LocalDate!, $t: LocalDate!) { workSessions(from: $f, to: $t) { nodes { id } } }`;

describe.runIf(existsSync(CHROMIUM))("Import ActivityWatch export in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let url: string;
  let ws: TestWorkspace;
  // Two weekdays of last month, in the past whatever today is.
  const from = calendar(TIME_ZONE).firstMondayOf(-1);
  const exported = activityWatchExport({ from, days: 2, seed: 7 });
  const file = { name: "aw-buckets-export.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(exported)) };
  const expected = eventsFromExport(exported, 15 * 60_000)!;

  beforeAll(async () => {
    stack = await startStack();
    url = stack.urls[0];
    ws = await newWorkspace(url, TIME_ZONE);
    browser = await launchBrowser();
    context = await newContext(browser);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  it("an employee imports their own export, sees the summary, and importing again adds nothing", async () => {
    const page = await context.newPage();
    await signInAs(page, url, ws.employee.email);
    await page.goto(`${url}/work`);
    await page.getByRole("button", { name: "Import ActivityWatch export" }).click();
    const dialog = page.getByRole("dialog", { name: "Import ActivityWatch export" });
    expect(await dialog.getByLabel("Employee").count()).toBe(0);
    await dialog.getByLabel("Export file").setInputFiles(file);
    await dialog.getByRole("button", { name: "Import", exact: true }).click();

    const summary = dialog.getByTestId("aw-import-summary");
    await summary.waitFor();
    const sessions = (await ok(url, SESSIONS, { f: isoDate(from), t: isoDate(from.plus({ days: 1 })) }, { token: ws.employee.token })).workSessions.nodes;
    expect(sessions.length).toBeGreaterThan(0);
    expect(await summary.getByTestId("aw-import-sessions").textContent()).toBe(String(sessions.length));
    expect(await summary.getByTestId("aw-import-events").textContent()).toBe(String(expected.events.length));
    expect(await summary.getByTestId("aw-import-duplicates").textContent()).toBe("0");
    expect(await summary.getByTestId("aw-import-skipped").textContent()).toBe(String(expected.rejected.length));
    await snap(page, "activitywatch-import-summary");

    await dialog.getByRole("button", { name: "Import another" }).click();
    await expect.poll(() => summary.getByTestId("aw-import-duplicates").textContent()).toBe(String(expected.events.length));
    expect(await summary.getByTestId("aw-import-events").textContent()).toBe("0");
    await dialog.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await page.close();
  });

  it("a manager imports for an employee; a missing employee and a file that isn't an export are field errors", async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await signInAs(page, url, ws.manager.email);
    await page.goto(`${url}/work`);
    await page.getByRole("button", { name: "Import ActivityWatch export" }).click();
    const dialog = page.getByRole("dialog", { name: "Import ActivityWatch export" });
    await dialog.getByLabel("Export file").setInputFiles({ name: "notes.json", mimeType: "application/json", buffer: Buffer.from('{"notes": []}') });
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await expect.poll(() => dialog.locator("#aw-import-employee-error").textContent()).toBe("Choose an employee");
    await dialog.getByLabel("Employee").selectOption({ label: ws.employee2.name });
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await expect.poll(() => dialog.locator("#aw-import-file-error").textContent()).toBe("This file isn't an ActivityWatch export: it has no buckets");
    // The dialog fits a 390 px phone: nothing in it reaches past its edge or the screen's.
    const fit = await dialog.evaluate((d) => ({ right: d.getBoundingClientRect().right, scroll: d.scrollWidth, client: d.clientWidth }));
    expect(fit.right).toBeLessThanOrEqual(390);
    expect(fit.scroll).toBeLessThanOrEqual(fit.client);

    await dialog.getByLabel("Export file").setInputFiles(file);
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await dialog.getByTestId("aw-import-summary").waitFor();
    expect(await dialog.getByTestId("aw-import-events").textContent()).toBe(String(expected.events.length));
    const emma = (await ok(url, SESSIONS, { f: isoDate(from), t: isoDate(from.plus({ days: 1 })) }, { token: ws.employee2.token })).workSessions.nodes;
    expect(emma.length).toBeGreaterThan(0);
    expect(await page.title()).not.toBe("");
    await page.close();
  });
});
