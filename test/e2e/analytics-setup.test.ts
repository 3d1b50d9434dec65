// The Analytics settings page in Chromium, in a workspace of the test's own: apps and their write
// keys, a flow edited with a preview against sessions sent a few hours ago, the inactivity window,
// and an app deleted.
import { existsSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, newContext, pastTheEdge, signInAs, snap } from "../support/browser.js";
import { ok } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

/** Checkout sessions (raw event names) and how the flow Viewed Cart → Paid ends for each, a repeated step forgiven. */
const CHECKOUTS: { events: string[]; ends: "completed" | "mistakes" | "dropped" }[] = [
  { events: ["cart", "pay"], ends: "completed" },
  { events: ["cart", "cart", "pay"], ends: "completed" },
  { events: ["cart", "pay_failed", "pay"], ends: "mistakes" },
  { events: ["cart"], ends: "dropped" },
];

describe.runIf(existsSync(CHROMIUM))("Analytics settings page in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let url: string;
  let ws: TestWorkspace;
  let page: Page;
  let writeKey = "";

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack({ worker: true }), launchBrowser()]);
    url = stack.urls[0];
  });
  beforeAll(async () => {
    ws = await newWorkspace(url);
    context = await newContext(browser);
    page = await context.newPage();
    // A step that can't happen fails with what it waited for, well within the test's time.
    page.setDefaultTimeout(10_000);
    await signInAs(page, url, ws.owner.email);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  const owner = () => ({ token: ws.owner.token });
  const send = (key: string, events: object[]) =>
    fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  /** Write keys are cached by the servers for a few seconds: a replaced or deleted one stops working within them. */
  const refusedSoon = (key: string) => until(async () => (await send(key, oneEvent(`late-${Date.now()}`))).status, (status) => status === 401);
  const oneEvent = (id: string) => [{ eventId: id, userId: "probe", name: "probe", timestamp: new Date().toISOString() }];
  const appIdOf = async (name: string) =>
    (await ok(url, `{ analyticsApps(first: 10) { nodes { id name } } }`, {}, owner())).analyticsApps.nodes.find((a: { name: string }) => a.name === name)?.id;
  const shownKey = () => page.getByRole("region", { name: "Write key shown once" }).locator("input").inputValue();

  it("is reached from the navigation, starts empty, creates an app whose write key is shown once and works", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Analytics settings" }).click();
    await page.waitForURL(/\/settings\/analytics$/);
    expect(await page.title()).toBe("Analytics settings · Sessions");
    await page.getByText("No apps yet").waitFor();

    await page.locator("#new-app-name").fill("Shop");
    await page.getByRole("button", { name: "Create app" }).click();
    writeKey = await shownKey();
    expect(writeKey).toMatch(/^sp_wk_/);
    expect([200, 202]).toContain((await send(writeKey, oneEvent("p1"))).status);
    await page.getByRole("button", { name: "Done" }).click();
    expect(await page.content()).not.toContain(writeKey);
    await page.getByRole("heading", { name: "Shop" }).waitFor();
  });

  it("rotates the write key after confirming: the new one is shown once and works, the old one no longer does", async () => {
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Rotate write key" }).click();
    await page.getByText("“Shop” has a new write key").waitFor();
    const rotated = await shownKey();
    expect(rotated).not.toBe(writeKey);
    expect([200, 202]).toContain((await send(rotated, oneEvent("p2"))).status);
    expect(await refusedSoon(writeKey)).toBe(401);
    writeKey = rotated;
    await page.getByRole("button", { name: "Done" }).click();
    expect(await page.content()).not.toContain(rotated);
  });

  it("renames an app and sets its internal user ids; a name another app has is shown at the name field", async () => {
    await ok(url, `mutation { createAnalyticsApp(input: { name: "Blog" }) { __typename } }`, {}, owner());
    await page.reload();
    const shop = page.getByTestId("analytics-app").filter({ has: page.getByRole("heading", { name: "Shop" }) });
    const name = shop.getByLabel("App name");
    await name.fill("Blog");
    await shop.getByLabel("Internal user ids, one a line").fill("alice\n\n  bob  ");
    await shop.getByRole("button", { name: "Save", exact: true }).click();
    await shop.getByText("An app with this name exists").waitFor();
    expect(await name.getAttribute("aria-invalid")).toBe("true");
    await name.fill("Shop");
    await shop.getByRole("button", { name: "Save", exact: true }).click();
    await shop.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    const { analyticsApps } = await ok(url, `{ analyticsApps(first: 10) { nodes { name internalUserIds } } }`, {}, owner());
    expect(analyticsApps.nodes).toEqual([
      { name: "Blog", internalUserIds: [] },
      { name: "Shop", internalUserIds: ["alice", "bob"] },
    ]);
    await ok(url, `mutation($id: ID!) { deleteAnalyticsApp(input: { id: $id }) { __typename } }`, { id: await appIdOf("Blog") }, owner());
    await page.reload();
  });

  it("sets how many months of raw events an app keeps; a number out of range is shown at the field and nothing is saved", async () => {
    const shop = page.getByTestId("analytics-app").filter({ has: page.getByRole("heading", { name: "Shop" }) });
    const retention = shop.getByLabel("Keep raw events for this many months");
    const save = shop.getByRole("button", { name: "Save", exact: true });
    await retention.fill("0");
    await save.click();
    await shop.getByText("1 to 120 months, or empty to keep events").waitFor();
    expect(await retention.getAttribute("aria-invalid")).toBe("true");
    const retained = async () => (await ok(url, `{ analyticsApps(first: 10) { nodes { retentionMonths } } }`, {}, owner())).analyticsApps.nodes[0].retentionMonths;
    expect(await retained()).toBeNull();
    await retention.fill("13");
    await save.click();
    await shop.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    expect(await retained()).toBe(13);
    await page.reload();
    expect(await retention.inputValue()).toBe("13");
    await retention.fill("");
    await save.click();
    expect(await until(retained, (months) => months === null)).toBeNull();
  });

  it("edits a flow, previewing how the last day's sessions would go through it before saving", async () => {
    const appId = await appIdOf("Shop");
    for (const [name, eventName, isError] of [["Viewed Cart", "cart", false], ["Paid", "pay", false], ["Payment Failed", "pay_failed", true]] as const)
      await ok(url, `mutation($a: ID!, $i: BusinessEventDefinitionInput!) { createBusinessEventDefinition(input: { appId: $a, definition: $i }) { __typename } }`, { a: appId, i: { name, eventName, isError } }, owner());
    await ok(url, `mutation($a: ID!, $i: FlowDefinitionInput!) { createFlowDefinition(input: { appId: $a, definition: $i }) { __typename } }`, { a: appId, i: { name: "Checkout", steps: ["Viewed Cart", "Paid"] } }, owner());
    const now = Date.now();
    const events = CHECKOUTS.flatMap((c, i) =>
      c.events.map((name, j) => ({ eventId: `c${i}-${j}`, userId: `buyer-${i}`, sessionId: `checkout-${i}`, name, timestamp: new Date(now - (2 + i) * 3600_000 + j * 60_000).toISOString() })),
    );
    expect([200, 202]).toContain((await send(writeKey, events)).status);
    // The probe events made a session of their own: wait until the checkouts are stored too.
    const preview = `query($a: ID!) { previewBusinessEventDefinition(input: { appId: $a, definition: { name: "Any", eventName: "cart" } }) { ... on BusinessEventDefinitionPreview { matchingSessions } } }`;
    await until(async () => (await ok(url, preview, { a: appId }, owner())).previewBusinessEventDefinition.matchingSessions, (n) => n === CHECKOUTS.length);

    await page.reload();
    await page.getByRole("button", { name: "Edit Checkout" }).click();
    const editor = page.getByRole("form", { name: "Edit flow Checkout" });
    await editor.getByLabel("Doing a step again").uncheck();
    await editor.getByRole("button", { name: "Preview" }).click();
    const shown = editor.getByTestId("flow-preview");
    await shown.waitFor();
    const count = (ends: string) => String(CHECKOUTS.filter((c) => c.ends === ends).length);
    expect(await shown.getByTestId("preview-completed").textContent()).toBe(count("completed"));
    expect(await shown.getByTestId("preview-mistakes").textContent()).toBe(count("mistakes"));
    expect(await shown.getByTestId("preview-dropped").textContent()).toBe(count("dropped"));
    expect(await shown.textContent()).toContain("1 after Viewed Cart");
    await snap(page, "analytics-setup-flow-preview");

    // Changed after the preview: the numbers no longer stand for what would be saved.
    await editor.getByLabel("Going back to an earlier step").uncheck();
    expect(await shown.count()).toBe(0);
    // A problem of the definition shows at its field.
    const name = editor.getByLabel("Flow name");
    await name.fill(" ");
    await editor.getByRole("button", { name: "Save flow" }).click();
    await editor.getByRole("alert").filter({ hasText: "1 to 100 characters" }).waitFor();
    expect(await name.getAttribute("aria-invalid")).toBe("true");
    await name.fill("Checkout");
    await editor.getByRole("button", { name: "Save flow" }).click();
    await editor.waitFor({ state: "detached" });
    const { node } = await ok(url, `query($id: ID!) { node(id: $id) { ... on AnalyticsApp { flowDefinitions { name repeatedStepIsMistake stepBackIsMistake } } } }`, { id: appId }, owner());
    expect(node.flowDefinitions).toEqual([{ name: "Checkout", repeatedStepIsMistake: false, stepBackIsMistake: false }]);
  });

  it("previews a new business event before saving it, with a missing raw event name shown at its field", async () => {
    await page.getByRole("button", { name: "New business event" }).click();
    const editor = page.getByRole("form", { name: "New business event" });
    await editor.getByLabel("Business event name").fill("Cart Opened");
    await editor.getByRole("button", { name: "Save business event" }).click();
    const rawName = editor.getByLabel("Raw event name");
    await editor.getByText("1 to 200 characters").waitFor();
    expect(await rawName.getAttribute("aria-invalid")).toBe("true");
    await rawName.fill("cart");
    await editor.getByRole("button", { name: "Preview" }).click();
    const carts = CHECKOUTS.map((c) => c.events.filter((e) => e === "cart").length);
    const matches = carts.reduce((a, b) => a + b, 0);
    expect(await editor.getByTestId("event-preview").textContent()).toMatch(new RegExp(`${matches} events in ${carts.filter(Boolean).length} of \\d+ sessions`));
    await editor.getByRole("button", { name: "Save business event" }).click();
    await editor.waitFor({ state: "detached" });
    await page.getByText("Cart Opened from cart").waitFor();
  });

  it("shows the inactivity window's validation error at its field, then saves a valid one", async () => {
    const field = page.getByLabel("New session after this many minutes without events");
    await field.fill("0");
    await page.getByRole("form", { name: "Sessions" }).getByRole("button", { name: "Save" }).click();
    await page.locator("#inactivity-minutes-error").filter({ hasText: "1 to 1440 minutes" }).waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    await field.fill("45");
    await page.getByRole("form", { name: "Sessions" }).getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "after 45 minutes" }).waitFor();
    expect(await field.getAttribute("aria-invalid")).toBeNull();
    expect((await ok(url, `{ analyticsSettings { inactivityMinutes } }`, {}, owner())).analyticsSettings.inactivityMinutes).toBe(45);
  });

  it("at 390 px the page, its SDK snippets and an open flow editor fit without sideways scrolling", async () => {
    const phone = await browser.newContext({ locale: "en-US", viewport: { width: 390, height: 844 } });
    const small = await phone.newPage();
    await signInAs(small, url, ws.owner.email);
    await small.goto(`${url}/settings/analytics`);
    await small.getByText("Send events from your code").click();
    await small.getByText(`host: "${url}"`).first().waitFor();
    await small.getByRole("button", { name: "Edit Checkout" }).click();
    expect(await pastTheEdge(small)).toEqual([]);
    await snap(small, "analytics-setup-390");
    await phone.close();
  });

  it("deletes an app only after confirming", async () => {
    page.once("dialog", (d) => void d.dismiss());
    await page.getByRole("button", { name: "Delete app" }).click();
    expect(await appIdOf("Shop")).toBeDefined();
    page.once("dialog", (d) => {
      expect(d.message()).toContain("Delete “Shop”");
      void d.accept();
    });
    await page.getByRole("button", { name: "Delete app" }).click();
    await page.getByText("No apps yet").waitFor();
    expect(await appIdOf("Shop")).toBeUndefined();
    expect(await refusedSoon(writeKey)).toBe(401);
  });
});
