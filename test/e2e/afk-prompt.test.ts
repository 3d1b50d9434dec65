// The AFK dialog end to end in Chromium: the desktop app reports time away, the employee's open
// page asks what it was, the answer moves the totals and a manager sees time counted as work.
// And the ticking counters outside the Live board (Work sessions, the header timer, Agent
// sessions) never run backwards when the data under them changes.
import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, expectNeverBackwards, launchBrowser, newContext, signInAs } from "../support/browser.js";
import { ok } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(url: string, token: string, events: unknown[]) {
  const res = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  expect(res.status).toBe(200);
}

/**
 * A session open for 45 minutes with two 10-minute AFK periods (40-30 and 20-10 minutes ago), the
 * second one just over: the desktop app's events as ActivityWatch's watchers report them.
 */
function awayTwice(prefix: string, now = Date.now()) {
  const ago = (minutes: number) => new Date(now - minutes * 60_000).toISOString();
  const win = (id: string, minutes: number, duration: number) => ({ id: prefix + id, type: "window", timestamp: ago(minutes), duration, data: { app: "Code", title: "main.ts" } });
  const afk = (id: string, minutes: number, status: string, duration = 0) => ({ id: prefix + id, type: "afk", timestamp: ago(minutes), duration, data: { status } });
  return [
    win("w1", 45, 300), afk("a1", 40, "afk", 600), afk("a2", 30, "not-afk"),
    win("w2", 30, 600), afk("a3", 20, "afk", 600), afk("a4", 10, "not-afk"),
    win("w3", 10, 590),
  ];
}

/** Records a counter's text (H:MM:SS, in seconds) every 50 ms in the page itself. */
async function sample(page: Page, selector: string) {
  await page.locator(selector).first().waitFor({ timeout: 15_000 });
  const key = await page.evaluate((sel) => {
    const w = window as unknown as { samples: Record<string, number[]> };
    const samples: number[] = [];
    w.samples = { ...w.samples, [sel]: samples };
    setInterval(() => {
      const text = document.querySelector(sel)?.textContent?.trim();
      const [h, m, s] = (text ?? "").split(":").map(Number);
      if (text && Number.isFinite(s)) samples.push(h * 3600 + m * 60 + s);
    }, 50);
    return sel;
  }, selector);
  return () => page.evaluate((sel) => (window as unknown as { samples: Record<string, number[]> }).samples[sel], key);
}

describe.runIf(existsSync(CHROMIUM))("AFK dialog and counters in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let ws: TestWorkspace;
  let url: string;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    url = stack.urls[0];
  });
  beforeAll(async () => {
    ws = await newWorkspace(url);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("asks the employee when they come back; lunch moves the lunch total, work shows as counted as work to the manager", async () => {
    const page = await (await newContext(browser)).newPage();
    await signInAs(page, url, ws.employee.email);
    await page.goto(`${url}/work`);
    await page.getByRole("heading", { name: "Work sessions" }).waitFor();
    await sleep(500); // the dialog's subscription is listening

    await post(url, ws.employee.token, awayTwice("e2e-"));
    const dialog = page.getByRole("dialog", { name: "Welcome back" });
    await dialog.waitFor({ timeout: 15_000 });
    // The newest first; focus is inside the dialog, and saving without a choice names the field.
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.getByText("Choose what the time was").waitFor();
    await dialog.getByLabel("Lunch").check();
    await dialog.getByRole("button", { name: "Save" }).click();

    const row = page.getByTestId("work-row").first();
    await expect.poll(() => row.getByTestId("lunch-duration").textContent(), { timeout: 15_000 }).toBe("0:10");

    // The older period asks next; Escape puts it off, to be answered from the session detail.
    await dialog.waitFor({ timeout: 15_000 });
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await row.getByRole("button", { name: "Detail" }).click();
    const detail = page.getByTestId("work-detail");
    await detail.getByTestId("afk-unanswered").waitFor();
    const unanswered = detail.locator('[data-testid="afk-row"]', { has: page.getByTestId("afk-ask") });
    await unanswered.getByRole("combobox").selectOption("WORK");
    await expect.poll(() => detail.getByTestId("afk-unanswered").count(), { timeout: 10_000 }).toBe(0);
    await page.keyboard.press("Escape");

    const manager = await (await newContext(browser)).newPage();
    await signInAs(manager, url, ws.manager.email);
    await manager.goto(`${url}/work`);
    const tomRow = manager.getByTestId("work-row").filter({ hasText: ws.employee.name });
    await tomRow.getByTestId("counted-as-work").waitFor({ timeout: 15_000 });
    expect(await tomRow.getByTestId("lunch-duration").textContent()).toBe("0:10");
    await tomRow.getByRole("button", { name: "Detail" }).click();
    const seen = manager.getByTestId("work-detail");
    await seen.getByTestId("counted-as-work").waitFor();
    expect(await seen.getByTestId("detail-countedAsWorkSeconds").textContent()).toMatch(/^0:10:0\d$/);
    await manager.context().close();
    await page.context().close();
  });

  it("Work sessions, the header timer and Agent sessions count on from serverTime: never backwards across updates", async () => {
    const lisa = ws.manager.token;
    const client = (await ok(url, `mutation { createClient(input: { name: "Initech" }) { ... on Client { id } } }`, {}, { token: ws.owner.token })).createClient.id;
    const project = (await ok(url, `mutation($c: ID!) { createProject(input: { clientId: $c, name: "Counters", hourlyRateCents: 9000, billAgentTime: true }) { ... on Project { id } } }`, { c: client }, { token: ws.owner.token })).createProject.id;
    const START = `mutation($p: ID!, $d: String!) { startAgentSession(input: { projectId: $p, description: $d }) { ... on AgentSession { id } } }`;
    const first = (await ok(url, START, { p: project, d: "First" }, { token: lisa })).startAgentSession.id;
    const second = (await ok(url, START, { p: project, d: "Second" }, { token: lisa })).startAgentSession.id;
    await ok(url, `mutation($s: ID!) { setBeat(input: { sessionId: $s, kind: AGENT }) { __typename } }`, { s: first }, { token: lisa });
    await ok(url, `mutation { startTimer(input: { description: "Counting" }) { __typename } }`, {}, { token: lisa });
    await post(url, ws.employee2.token, awayTwice("c-").slice(-1));

    const page = await (await newContext(browser)).newPage();
    await signInAs(page, url, ws.manager.email);
    await page.goto(`${url}/work`);
    const emma = page.getByTestId("work-row").filter({ hasText: ws.employee2.name });
    await emma.waitFor({ timeout: 15_000 });
    const work = await sample(page, `[data-testid="work-row"][data-session-id="${await emma.getAttribute("data-session-id")}"] [data-testid="net-duration"]`);
    const timer = await sample(page, `[data-testid="timer-counter"]`);
    for (let i = 0; i < 2; i++) {
      // Another session starts and ends: the list refetches under the running counters.
      await sleep(900);
      await post(url, ws.staff.token, [{ id: `s-${i}`, type: "window", timestamp: new Date(Date.now() - 2000).toISOString(), duration: 1, data: { app: "Mail", title: "x" } }]);
      await sleep(900);
      await post(url, ws.staff.token, [{ id: `s-${i}-close`, type: "close", timestamp: new Date().toISOString() }]);
    }
    await sleep(1200);
    for (const samples of [await work(), await timer()]) {
      expect(samples.length).toBeGreaterThan(20);
      expectNeverBackwards(samples);
    }

    await page.goto(`${url}/agent/sessions/${second}`);
    const agent = await sample(page, `[data-testid="session-row"][data-session-id="${first}"] [data-testid="billable-counter"]`);
    for (const kind of ["ACTIVE", "AGENT", "ACTIVE"]) {
      // Beat flips from outside the browser, as an agent over MCP would.
      await sleep(1100);
      await ok(url, `mutation($s: ID!, $k: BeatKind!) { setBeat(input: { sessionId: $s, kind: $k, previousTo: AGENT }) { __typename } }`, { s: second, k: kind }, { token: lisa });
    }
    await sleep(1200);
    const billable = await agent();
    expectNeverBackwards(billable);
    expect(billable.at(-1)! - billable[0]).toBeGreaterThanOrEqual(3);
    await page.context().close();
  });
});
