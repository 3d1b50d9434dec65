// The User sessions page in Chromium, in a workspace of the test's own: its list starts empty, and
// the events it sends are timed from now.
import { existsSync } from "node:fs";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, newContext, signInAs, snap } from "../support/browser.js";
import { ok } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

describe.runIf(existsSync(CHROMIUM))("User Sessions page in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let url: string;
  let writeKey: string;
  let ws: TestWorkspace;

  // Two hooks: the processes start (together), then the workspace is set up, each in its own time.
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack({ worker: true }), launchBrowser()]);
    url = stack.urls[0];
  });
  beforeAll(async () => {
    ws = await newWorkspace(url);
    const owner = { token: ws.owner.token };
    const created = await ok(url, `mutation { createAnalyticsApp(input: { name: "Shop" }) { ... on AnalyticsAppWithKey { writeKey app { id } } } }`, {}, owner);
    writeKey = created.createAnalyticsApp.writeKey;
    const appId = created.createAnalyticsApp.app.id;
    for (const input of [
      { name: "Signed Up", eventName: "signup", descriptionTemplate: "Signed up with {{method}}", parameters: ["method"] },
      { name: "Created Project", eventName: "project_created", descriptionTemplate: "Created project {{name}}", parameters: ["name", "template"] },
      { name: "Invited Member", eventName: "invite", descriptionTemplate: "Invited a {{role}}", parameters: ["role"] },
    ])
      await ok(url, `mutation($a: ID!, $i: BusinessEventDefinitionInput!) { createBusinessEventDefinition(input: { appId: $a, definition: $i }) { __typename } }`, { a: appId, i: input }, owner);
    await ok(
      url,
      `mutation($a: ID!, $i: FlowDefinitionInput!) { createFlowDefinition(input: { appId: $a, definition: $i }) { __typename } }`,
      { a: appId, i: { name: "Onboarding", steps: ["Signed Up", "Created Project", "Invited Member"] } },
      owner,
    );
    context = await newContext(browser);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: url });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  const send = async (events: object[]) => {
    const res = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${writeKey}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    expect([200, 202]).toContain(res.status);
  };

  it("shows a user's session as its events arrive, opens it, expands the events and copies its ids", async () => {
    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "User sessions" }).click();
    await page.waitForURL(/\/analytics$/);
    // Nothing has arrived yet.
    await page.getByTestId("user-sessions-empty").waitFor();
    await page.locator('[data-live="connected"]').waitFor();

    // The app sends a batch for one user (and a crawler, which the default filters leave out).
    const t = (s: number) => new Date(Date.now() - 10 * 60_000 + s * 1000).toISOString();
    await send([
      { eventId: "w1", userId: "customer-42", name: "signup", timestamp: t(0), properties: { method: "google" } },
      { eventId: "w2", userId: "customer-42", name: "page_view", timestamp: t(20) },
      { eventId: "w3", userId: "customer-42", name: "project_created", timestamp: t(65), properties: { name: "Apollo", template: "blank" } },
      { eventId: "w4", userId: "customer-42", name: "invite", timestamp: t(130), properties: { role: "admin" } },
      { eventId: "b1", userId: "crawler-1", name: "page_view", timestamp: t(0), userAgent: "Googlebot/2.1 (+http://www.google.com/bot.html)" },
    ]);
    // Without reloading: the session appears through the live subscription.
    const row = page.locator('[data-testid="user-session-row"][data-user-id="customer-42"]');
    await row.waitFor();
    await expect.poll(() => row.getByTestId("business-event-count").textContent()).toBe("3");
    expect(await row.textContent()).toContain("Completed");
    expect(await page.locator('[data-testid="user-session-row"][data-user-id="crawler-1"]').count()).toBe(0);

    // A late event for the same session updates the row in place.
    await send([{ eventId: "w5", userId: "customer-42", name: "page_view", timestamp: t(140) }]);
    await row.click();
    const panel = page.getByTestId("user-session-detail");
    await panel.waitFor();
    await expect.poll(() => panel.getByTestId("meta-raw-events").textContent()).toBe("5");
    await expect.poll(() => panel.getByTestId("session-tldr").textContent()).toBe("Completed Onboarding in 2:10 - 3 business events");
    expect(await panel.getByTestId("session-summary").textContent()).toContain("Signed Up, Created Project, Invited Member");

    const events = panel.getByTestId("business-event");
    expect(await events.count()).toBe(3);
    expect(await events.nth(1).textContent()).toContain("Created project Apollo");
    const parameters = panel.getByTestId("event-parameters");
    expect(await parameters.first().isVisible()).toBe(false);
    // One event, then all of them.
    await events.nth(0).locator("summary").click();
    expect(await events.nth(0).getByTestId("event-parameters").isVisible()).toBe(true);
    await panel.getByRole("button", { name: "Expand All" }).click();
    for (let i = 0; i < 3; i++) expect(await events.nth(i).getByTestId("event-parameters").isVisible()).toBe(true);
    expect(await events.nth(1).getByTestId("event-parameters").textContent()).toContain("Apollo");
    await snap(page, "user-session-detail");
    await panel.getByRole("button", { name: "Collapse All" }).click();
    for (let i = 0; i < 3; i++) expect(await events.nth(i).getByTestId("event-parameters").isVisible()).toBe(false);

    // Click to copy the user id.
    await panel.getByRole("button", { name: "customer-42" }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("customer-42");
    expect(await panel.getByRole("status").textContent()).toContain("Copied");

    // The bot shows when its traffic is no longer excluded.
    await page.getByRole("button", { name: "Close" }).click();
    await page.getByLabel("Exclude bots").uncheck();
    await page.locator('[data-testid="user-session-row"][data-user-id="crawler-1"]').waitFor();

    // Filtering by counts says that sessions in progress, their counts not final, are left out.
    expect(await page.getByTestId("finalised-only").count()).toBe(0);
    await page.getByLabel("Min events").fill("1");
    await page.getByTestId("finalised-only").filter({ hasText: "Sessions still in progress are left out" }).waitFor();
  });

  it("a visitor who signs in: their session in progress moves to the user live, the panel shows the anonymous id, and the search finds it by that id", async () => {
    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.goto(`${url}/analytics`);
    await page.locator('[data-live="connected"]').waitFor();
    const t = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
    await send([{ eventId: "v1", anonymousId: "anon-77", name: "page_view", timestamp: t(0) }]);
    const anonymous = page.locator('[data-testid="user-session-row"][data-user-id="anon-77"]');
    await anonymous.waitFor();
    const sessionId = await anonymous.getAttribute("data-session-id");

    await send([
      { eventId: "v2", userId: "customer-77", anonymousId: "anon-77", name: "$identify", timestamp: t(10) },
      { eventId: "v3", userId: "customer-77", name: "signup", timestamp: t(20), properties: { method: "email" } },
    ]);
    const row = page.locator(`[data-testid="user-session-row"][data-session-id="${sessionId}"]`);
    await expect.poll(() => row.getAttribute("data-user-id")).toBe("customer-77");
    await row.click();
    const panel = page.getByTestId("user-session-detail");
    await expect.poll(() => panel.getByTestId("meta-raw-events").textContent()).toBe("3");
    await panel.getByRole("button", { name: "anon-77" }).waitFor();
    await page.getByRole("button", { name: "Close" }).click();

    await page.getByRole("searchbox").fill("anon-77");
    await expect.poll(() => page.getByTestId("user-session-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-user-id")))).toEqual(["customer-77"]);
  });
});
