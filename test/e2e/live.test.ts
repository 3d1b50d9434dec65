// The Live board on a wall display, in a workspace of the test's own so the board starts empty.
import { existsSync } from "node:fs";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, newContext, signInAs } from "../support/browser.js";
import { ok } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

describe.runIf(existsSync(CHROMIUM))("Live wall display in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let ws: TestWorkspace;
  let context: BrowserContext;
  // Two hooks: the processes start (together), then the workspace is set up, each in its own time.
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  beforeAll(async () => {
    ws = await newWorkspace(stack.urls[0]);
    // Signed in once, as the manager: every test opens its wall display in this context.
    context = await newContext(browser);
    const page = await context.newPage();
    await signInAs(page, stack.urls[0], ws.manager.email);
    await page.close();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** A wall display connected to the board. */
  async function board(url: string) {
    const page = await context.newPage();
    await page.goto(`${url}/live`);
    await expect.poll(() => page.getByTestId("live-connection").textContent(), { timeout: 5000 }).toBe("Connected");
    return page;
  }
  const START = `mutation($d: String!) { startTimer(input: { description: $d }) { ... on TimeEntry { id } } }`;
  const STOP = `mutation { stopTimer { __typename } }`;

  it("shows a session started through the API, ticks its counter, and drops it when stopped", async () => {
    const url = stack.urls[0];
    const page = await board(url);
    await page.getByText("No open sessions right now").waitFor();

    const tom = { token: ws.employee.token };
    const { startTimer } = await ok(url, START, { d: "Wall display check" }, tom);
    const card = page.locator(`[data-testid="live-session"][data-session-id="${startTimer.id}"]`);
    await card.waitFor({ timeout: 5000 });
    expect(await card.getByTestId("live-title").textContent()).toBe("Wall display check");
    const counter = card.getByTestId("live-counter");
    const first = await counter.textContent();
    await expect.poll(() => counter.textContent(), { timeout: 5000 }).not.toBe(first);
    expect(await counter.textContent()).toMatch(/^0:00:0[1-5]$/);

    await ok(url, STOP, {}, tom);
    await card.waitFor({ state: "detached", timeout: 5000 });
    await page.close();
  });

  // On its own: restarting the API takes most of a test's time on a busy machine.
  it("reconnects and resubscribes by itself when the server restarts on the same port", async () => {
    const url = stack.urls[0];
    const page = await board(url);
    await stack.apis[0].stop();
    await expect.poll(() => page.getByTestId("live-connection").textContent()).not.toBe("Connected");
    const restarted = await stack.startApi({ PORT: new URL(url).port, SEED_DEMO: "false" });
    await expect.poll(() => page.getByTestId("live-connection").textContent(), { timeout: 20_000 }).toBe("Connected");
    const tom = { token: ws.employee.token };
    const again = await ok(restarted.url, START, { d: "After restart" }, tom);
    await page.locator(`[data-session-id="${again.startTimer.id}"]`).waitFor({ timeout: 5000 });
    await ok(restarted.url, STOP, {}, tom);
    await page.close();
  });
});
