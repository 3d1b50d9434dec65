// Every page of the web client on a phone (390×844) and a desktop (1440×900), as an owner, who sees
// them all, in a workspace of the test's own with something on each page: nothing makes the page
// scroll sideways, each page has its own title, no time is shown on a 12-hour clock, and no error.
// On a phone also the sign-in page, signed out, and an employee's navigation and each page in it.
import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, pastTheEdge, signInAs } from "../support/browser.js";
import { ok } from "../support/client.js";
import { calendar, instant, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const TIME_ZONE = "Europe/Berlin";
// A tour opens a page after another, each until the network is idle: a minute or more on a busy machine.
const PAGE_TOUR_MS = 120_000;

describe.runIf(existsSync(CHROMIUM))("every page on a phone and a desktop", () => {
  let stack: Stack;
  let browser: Browser;
  let url: string;
  let ws: TestWorkspace;
  let agentSessionId: string;
  let invoiceId: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    url = stack.urls[0];
    ws = await newWorkspace(url, TIME_ZONE);
    const owner = { token: ws.owner.token };
    const client = (await ok(url, `mutation { createClient(input: { name: "Acme Corporation International" }) { ... on Client { id } } }`, {}, owner)).createClient.id;
    const project = (
      await ok(url, `mutation($c: ID!) { createProject(input: { clientId: $c, name: "Website relaunch", hourlyRateCents: "9000" }) { ... on Project { id } } }`, { c: client }, owner)
    ).createProject.id;
    // Last week's Tuesday: billable time in the past, whatever today is.
    const day = calendar(TIME_ZONE).monday(-1).plus({ days: 1 });
    await ok(url, `mutation($p: ID!, $s: DateTime!, $e: DateTime!) { logTime(input: { projectId: $p, startedAt: $s, endedAt: $e, description: "Design review" }) { __typename } }`,
      { p: project, s: instant(day, "09:00"), e: instant(day, "11:30") }, owner);
    const invoices = await ok(url, `mutation($c: ID!, $f: LocalDate!, $t: LocalDate!) { createInvoice(input: { clientId: $c, from: $f, to: $t }) { ... on MutationCreateInvoiceSuccess { data { id } } } }`,
      { c: client, f: isoDate(day), t: isoDate(day) }, owner);
    invoiceId = invoices.createInvoice.data[0].id;
    agentSessionId = (
      await ok(url, `mutation($p: ID!) { startAgentSession(input: { projectId: $p, description: "Refactor the sign-in flow" }) { ... on AgentSession { id } } }`, { p: project }, owner)
    ).startAgentSession.id;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** What every page must be: within the window, titled '<page> · Sessions', on the 24-hour clock, without an error. */
  async function expectFits(page: Page, path: string) {
    expect(await pastTheEdge(page), path).toEqual([]);
    expect(await page.locator("body").innerText(), path).not.toMatch(/\b(AM|PM)\b/);
    expect(await page.getByRole("alert").allInnerTexts(), path).toEqual([]);
    const title = await page.title();
    expect(title, path).toMatch(/^\S.* · Sessions$/);
    return title;
  }

  it.each([
    [390, 844],
    [1440, 900],
  ])("at %i×%i fits each page in the window, with its own title, 24-hour times and no error", async (width, height) => {
    const context = await browser.newContext({ locale: "en-US", viewport: { width, height } });
    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);
    // Each page, with what shows that it has loaded.
    const pages: [string, string][] = [
      ["/live", "main"],
      ["/work", "[data-testid=work-row], .empty"],
      [`/work/employees/${ws.employee.id}`, "main h1"],
      ["/work/notes", "main h1"],
      ["/agent", "main h1"],
      [`/agent/sessions/${agentSessionId}`, "[data-testid=session-detail]"],
      ["/entries", "main h1"],
      ["/projects", "main h1"],
      ["/invoices", "[data-testid=invoice-row]"],
      [`/invoices/${invoiceId}`, "[data-testid=invoice]"],
      ["/appointments", "main h1"],
      ["/appointments/clients", "main h1"],
      ["/appointments/fields", "main h1"],
      ["/appointments/settings", "main h1"],
      ["/analytics", "main h1"],
      ["/analytics/activity", "[data-testid=chart-sessions]"],
      ["/settings/work", "main h1"],
      ["/settings/analytics", "main h1"],
      ["/settings/workspace", "#ws-name"],
      ["/settings/members", "[data-testid=member-row]"],
      ["/settings/tokens", "[data-testid=token-row]"],
      ["/settings/account", "#current-password"],
    ];
    const titles = new Map<string, string>();
    for (const [path, ready] of pages) {
      await page.goto(`${url}${path}`);
      await page.locator(ready).first().waitFor();
      await page.waitForLoadState("networkidle");
      const title = await expectFits(page, path);
      expect(titles.get(title), `${path} has the title of ${titles.get(title)}`).toBeUndefined();
      titles.set(title, path);
    }
    await context.close();
  }, PAGE_TOUR_MS);

  it("at 390×844 fits the sign-in page, signed out", async () => {
    const context = await browser.newContext({ locale: "en-US", viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${url}/signin`);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await expectFits(page, "/signin");
    await context.close();
  });

  it("at 390×844 lists for an employee only the pages an employee can use, each fitting the window", async () => {
    const context = await browser.newContext({ locale: "en-US", viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await signInAs(page, url, ws.employee.email);
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Account" }).waitFor();
    // No invoices, user sessions or settings of the team: the API would refuse them all.
    expect(await nav.getByRole("link").allTextContents()).toEqual(["Live", "Work sessions", "Agent sessions", "Entries", "Appointments", "Tokens", "Account"]);
    const paths = await nav.getByRole("link").evaluateAll((links) => links.map((a) => a.getAttribute("href")!));
    const titles = new Set<string>();
    for (const path of paths) {
      await page.goto(`${url}${path}`);
      await page.locator("main.content h1").first().waitFor();
      await page.waitForLoadState("networkidle");
      titles.add(await expectFits(page, path));
    }
    expect(titles.size).toBe(paths.length);
    await context.close();
  }, PAGE_TOUR_MS);
});
