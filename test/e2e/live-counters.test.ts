// Live board counters in a real browser never run backwards: not when another session starts or
// stops (a new whole-board payload), not across a dropped connection and the reconnect, not after
// the tab was frozen. The page samples its own counter text many times a second; every sample counts.
import { existsSync } from "node:fs";
import type { Browser, Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, expectNeverBackwards, launchBrowser, newContext, signInAs } from "../support/browser.js";
import { ok } from "../support/client.js";
import { calendar, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An employee's desktop app has been recording for ten minutes (from an odd fraction of a second). */
async function openWorkSession(url: string, token: string) {
  const start = Date.now() - 10 * 60_000 - 437;
  const events = [
    { id: "e-1", type: "window", timestamp: new Date(start).toISOString(), duration: 590, pulsetime: 60, data: { app: "Code", title: "main.ts" } },
    { id: "e-2", type: "window", timestamp: new Date(Date.now() - 1000).toISOString(), duration: 0, pulsetime: 60, data: { app: "Code", title: "main.ts" } },
  ];
  const res = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  expect(res.status).toBe(200);
}

/** Records the H:MM:SS text of `selector` (in seconds) every 50 ms, in the page itself, under `key`. */
async function sample(page: Page, key: string, selector: string) {
  await page.evaluate(
    ([key, selector]) => {
      const w = window as unknown as { samples: Record<string, number[]> };
      const samples: number[] = [];
      w.samples = { ...w.samples, [key]: samples };
      setInterval(() => {
        const text = document.querySelector(selector)?.textContent;
        const [h, m, s] = (text ?? "").split(":").map(Number);
        if (text) samples.push(h * 3600 + m * 60 + s);
      }, 50);
    },
    [key, selector],
  );
  return () => page.evaluate((key) => (window as unknown as { samples: Record<string, number[]> }).samples[key], key);
}

/** Records the card's counter (in seconds) every 50 ms. */
async function sampleCounter(page: Page, person: string) {
  const card = page.locator('[data-testid="live-session"]', { hasText: person }).filter({ hasText: "Desktop work" });
  await card.waitFor({ timeout: 10_000 });
  const id = (await card.getAttribute("data-session-id"))!;
  return { id, samples: await sample(page, id, `[data-session-id="${id}"] [data-testid="live-counter"]`) };
}

/** What the server says the session's net time is now, against what the page shows. */
async function expectAgreesWithServer(url: string, token: string, id: string, shown: () => Promise<number[]>) {
  const before = (await shown()).at(-1)!;
  const { node } = await ok(url, `query($id: ID!) { node(id: $id) { ... on WorkSession { netSeconds } } }`, { id }, { token });
  expect(node.netSeconds - before).toBeGreaterThanOrEqual(-1);
  expect(node.netSeconds - before).toBeLessThanOrEqual(2);
}

describe.runIf(existsSync(CHROMIUM))("Live board counters in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let ws: TestWorkspace;
  /** The manager's wall display, open on /live for the whole file (signing in is the slow part). */
  let page: Page;
  /** The page's WebSockets, passed through to the server; closing one is a dropped connection. */
  const sockets: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
  // Three hooks, each within the hook limit on a busy machine: processes, workspace, page.
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  beforeAll(async () => {
    ws = await newWorkspace(stack.urls[0]);
  });
  beforeAll(async () => {
    const url = stack.urls[0];
    page = await browser.newPage();
    await page.routeWebSocket(/\/graphql$/, (socket) => void sockets.push({ page: socket, server: socket.connectToServer() }));
    await signInAs(page, url, ws.manager.email);
    await page.goto(`${url}/live`);
    await page.getByTestId("live-connection").getByText("Connected", { exact: true }).waitFor({ timeout: 20_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("never run backwards while other sessions start and stop, nor after the tab was frozen", async () => {
    const url = stack.urls[0];
    await openWorkSession(url, ws.employee2.token);
    const counter = await sampleCounter(page, ws.employee2.name);
    const tom = ws.employee.token;
    for (let i = 0; i < 2; i++) {
      await sleep(700);
      const { startTimer } = await ok(url, `mutation { startTimer(input: { description: "Board change" }) { ... on TimeEntry { id } } }`, {}, { token: tom });
      await page.locator(`[data-session-id="${startTimer.id}"]`).waitFor({ timeout: 5000 });
      await sleep(1300);
      await ok(url, `mutation { stopTimer { __typename } }`, {}, { token: tom });
      await page.locator(`[data-session-id="${startTimer.id}"]`).waitFor({ state: "detached", timeout: 5000 });
    }
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Page.setWebLifecycleState", { state: "frozen" });
    await sleep(2000);
    await cdp.send("Page.setWebLifecycleState", { state: "active" });
    await sleep(1000);
    const samples = await counter.samples();
    expect(samples.length).toBeGreaterThan(50);
    expectNeverBackwards(samples);
    // It kept counting, the frozen seconds included.
    expect(samples.at(-1)! - samples[0]).toBeGreaterThanOrEqual(6);
    await expectAgreesWithServer(url, ws.manager.token, counter.id, counter.samples);
  });

  it("the Work page's Group by employee total never runs backwards when its totals are fetched again", async () => {
    const url = stack.urls[0];
    await openWorkSession(url, ws.employee2.token);
    const context = await newContext(browser);
    const work = await context.newPage();
    await signInAs(work, url, ws.manager.email);
    await work.goto(`${url}/work`);
    await work.getByRole("switch", { name: "Group by employee" }).check();
    const group = work.locator(`[data-testid="work-group"][data-employee-id="${ws.employee2.id}"]`);
    // Ticking: shown to the second.
    await expect.poll(() => group.getByTestId("group-net").textContent(), { timeout: 10_000 }).toMatch(/^\d+:\d\d:\d\d$/);
    const samples = await sample(work, "group", `[data-testid="work-group"][data-employee-id="${ws.employee2.id}"] [data-testid="group-net"]`);
    // Another employee's desktop app reports four times: each time the page fetches the totals anew.
    for (let i = 0; i < 4; i++) {
      const now = Date.now();
      const events = [{ id: `g-${now}`, type: "window", timestamp: new Date(now - 1500).toISOString(), duration: 1, pulsetime: 60, data: { app: "Mail", title: `${i}` } }];
      const res = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${ws.employee.token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
      expect(res.status).toBe(200);
      await sleep(900);
    }
    const seen = await samples();
    expect(seen.length).toBeGreaterThan(50);
    expectNeverBackwards(seen);
    expect(seen.at(-1)! - seen[0]).toBeGreaterThanOrEqual(3);
    // The page's range: the last seven days of the workspace's calendar.
    const today = calendar("Europe/Berlin").today;
    const range = { f: isoDate(today.minus({ days: 6 })), t: isoDate(today), e: ws.employee2.id };
    const { workSummary } = await ok(url, `query($f: LocalDate!, $t: LocalDate!, $e: ID) { workSummary(from: $f, to: $t, employeeId: $e) { netSeconds } }`, range, { token: ws.manager.token });
    const shown = (await samples()).at(-1)!;
    expect(workSummary[0].netSeconds - shown).toBeGreaterThanOrEqual(-1);
    expect(workSummary[0].netSeconds - shown).toBeLessThanOrEqual(2);
    await context.close();
  });

  it("never run backwards across a dropped connection and the reconnect", async () => {
    const url = stack.urls[0];
    await openWorkSession(url, ws.employee.token);
    const counter = await sampleCounter(page, ws.employee.name);
    await sleep(1000);
    const before = sockets.length;
    for (const socket of sockets.splice(0)) {
      await socket.server.close();
      await socket.page.close({ code: 1012, reason: "Dropped" });
    }
    // The page connects again by itself, on a new socket, and gets the board anew.
    await expect.poll(() => sockets.length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(before).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId("live-connection").textContent(), { timeout: 15_000 }).toBe("Connected");
    await sleep(1500);
    const samples = await counter.samples();
    expectNeverBackwards(samples);
    await expectAgreesWithServer(url, ws.manager.token, counter.id, counter.samples);
  });
});
