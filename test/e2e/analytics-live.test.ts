// Visits in progress, live, in Chromium: the User Sessions page's strip and the Live board's optional
// analytics section count them per app and list the latest as events arrive.
import { existsSync } from "node:fs";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, newContext, signInAs, snap } from "../support/browser.js";
import { ok } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

describe.runIf(existsSync(CHROMIUM))("visits in progress in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let url: string;
  let ws: TestWorkspace;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack({ worker: true }), launchBrowser()]);
    url = stack.urls[0];
  });
  beforeAll(async () => {
    ws = await newWorkspace(url);
    for (const name of ["Shop", "Docs"]) {
      const created = await ok(url, `mutation($n: String!) { createAnalyticsApp(input: { name: $n }) { ... on AnalyticsAppWithKey { writeKey } } }`, { n: name }, { token: ws.owner.token });
      keys[name] = created.createAnalyticsApp.writeKey;
    }
    context = await newContext(browser);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  const send = async (app: string, userId: string, id: string) => {
    const events = [{ eventId: id, userId, name: "page_view", timestamp: new Date(Date.now() - 30_000).toISOString() }];
    const res = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${keys[app]}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    expect(res.status).toBe(202);
  };

  it("counts visits per app on the User Sessions page and under the Live board, as they arrive", async () => {
    const page = await context.newPage();
    await signInAs(page, url, ws.manager.email);
    await page.goto(`${url}/analytics`);
    const strip = page.getByTestId("sessions-in-progress");
    await strip.getByTestId("in-progress-empty").waitFor();
    expect(await strip.getByTestId("in-progress-total").textContent()).toBe("0");
    expect(await strip.getByTestId("in-progress-app").evaluateAll((els) => els.map((el) => el.textContent?.replace(/\s+/g, " ").trim()))).toEqual(["Docs 0", "Shop 0"]);

    await send("Shop", "ann", "e1");
    await send("Docs", "bob", "e2");
    await expect.poll(() => strip.getByTestId("in-progress-total").textContent(), { timeout: 10_000 }).toBe("2");
    await expect.poll(() => strip.locator('[data-app="Shop"] strong').textContent()).toBe("1");
    expect(await strip.getByTestId("in-progress-session").evaluateAll((els) => els.map((el) => el.getAttribute("data-user-id")).sort())).toEqual(["ann", "bob"]);
    // A visit opens from the strip.
    await strip.getByRole("button", { name: "ann" }).click();
    await page.getByRole("dialog").waitFor();
    await page.keyboard.press("Escape");
    await snap(page, "analytics-in-progress");

    // The Live board shows it when asked, and remembers the choice on this device.
    await page.goto(`${url}/live`);
    const toggle = page.getByRole("checkbox", { name: "Show product analytics" });
    expect(await toggle.isChecked()).toBe(false);
    expect(await page.getByTestId("sessions-in-progress").count()).toBe(0);
    await toggle.check();
    const section = page.getByTestId("sessions-in-progress");
    await expect.poll(() => section.getByTestId("in-progress-total").textContent(), { timeout: 10_000 }).toBe("2");
    await send("Shop", "cara", "e3");
    await expect.poll(() => section.getByTestId("in-progress-total").textContent(), { timeout: 10_000 }).toBe("3");
    await page.reload();
    await expect.poll(() => page.getByRole("checkbox", { name: "Show product analytics" }).isChecked()).toBe(true);
    await page.getByTestId("sessions-in-progress").getByTestId("in-progress-total").waitFor();
    await page.close();

    // An employee's Live board has no analytics section to offer.
    const employee = await context.browser()!.newContext();
    const theirs = await employee.newPage();
    await signInAs(theirs, url, ws.employee.email);
    await theirs.goto(`${url}/live`);
    await theirs.getByTestId("live-connection").waitFor();
    expect(await theirs.getByRole("checkbox", { name: "Show product analytics" }).count()).toBe(0);
    await employee.close();
  });
});
