// Agent sessions, entries and invoices in Chromium, in a workspace of the test's own (no sessions or
// invoices yet), invoicing a period derived from now in the workspace zone.
import { existsSync } from "node:fs";
import type { Browser, BrowserContext, Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, newContext, signInAs, snap } from "../support/browser.js";
import { ok } from "../support/client.js";
import { calendar, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

/** The test workspace's time zone: dates in the UI are its calendar dates. */
const TIME_ZONE = "Europe/Berlin";

function seconds(text: string | null): number {
  const [h, m, s] = (text ?? "").trim().split(":").map(Number);
  return h * 3600 + m * 60 + s;
}

async function counterSeconds(counter: Locator) {
  return seconds(await counter.textContent());
}

describe.runIf(existsSync(CHROMIUM))("Agent sessions, entries and invoices in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let ws: TestWorkspace;
  // Two hooks: the processes start (together), then the workspace is set up, each in its own time.
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    context = await newContext(browser);
  });
  beforeAll(async () => {
    ws = await newWorkspace(stack.urls[0], TIME_ZONE);
    const owner = { token: ws.owner.token };
    const client = (await ok(stack.urls[0], `mutation { createClient(input: { name: "Acme Corp" }) { ... on Client { id } } }`, {}, owner)).createClient.id;
    await ok(stack.urls[0], `mutation($c: ID!) { createProject(input: { clientId: $c, name: "Acme Website", hourlyRateCents: 9000, currency: "EUR" }) { __typename } }`, { c: client }, owner);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  it("starts a session from the sidebar, flips it, ends it into an entry, and invoices that entry", async () => {
    const url = stack.urls[0];
    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);

    // No session yet: the empty state, and the + opens the form.
    await page.goto(`${url}/agent`);
    await page.getByTestId("agent-empty").waitFor();
    await page.getByRole("button", { name: "New session" }).click();
    const form = page.getByTestId("new-session-form");
    // The picker searches project and client names by any part.
    await form.getByLabel("Project", { exact: true }).fill("acme");
    await page.getByRole("option", { name: /Acme Website/ }).click();
    expect(await form.getByLabel("Project", { exact: true }).inputValue()).toBe("Acme Website");
    await form.getByLabel("Description").fill("Write the importer");
    await form.getByRole("button", { name: "Start", exact: true }).click();
    await page.waitForURL(/\/agent\/sessions\/[^/]+$/);

    const row = page.getByTestId("session-row").filter({ hasText: "Write the importer" });
    await row.waitFor();
    const sessionId = await row.getAttribute("data-session-id");
    expect(sessionId).toBeTruthy();
    expect(await row.getAttribute("data-state")).toBe("active");
    expect(await row.getByTestId("session-state").textContent()).toContain("Active");
    const detail = page.getByTestId("session-detail");
    expect(await detail.getAttribute("data-session-id")).toBe(sessionId);
    expect(await detail.getByTestId("session-description").textContent()).toBe("Write the importer");

    // Active time is billable: the counter advances; two seconds so the entry is sure to have some.
    const counter = row.getByTestId("billable-counter");
    const first = await counter.textContent();
    await expect.poll(() => counter.textContent(), { timeout: 5000 }).not.toBe(first);
    await expect.poll(() => counterSeconds(counter), { timeout: 5000 }).toBeGreaterThanOrEqual(2);

    // Agent time isn't billable on this project: billable stops, the agent counter runs.
    await row.getByRole("button", { name: "Agent", exact: true }).click();
    await expect.poll(() => row.getAttribute("data-state")).toBe("agent");
    expect(await row.getByRole("button", { name: "Agent", exact: true }).getAttribute("aria-pressed")).toBe("true");
    const billable = await counter.textContent();
    const agentCounter = detail.getByTestId("agent-counter");
    await page.waitForTimeout(1500);
    expect(await counter.textContent()).toBe(billable);
    expect(await counterSeconds(agentCounter)).toBeGreaterThanOrEqual(1);
    expect(await detail.getByTestId("beat-segment").evaluateAll((segments) => segments.map((s) => s.getAttribute("data-kind")))).toEqual([
      "active",
      "agent",
    ]);
    await snap(page, "agent-session");

    // An agent flips the beat from outside the browser (as over MCP): the page follows within a second.
    await ok(url, `mutation($id: ID!) { setBeat(input: { sessionId: $id, kind: IDLE }) { __typename } }`, { id: sessionId }, { token: ws.owner.token });
    await expect.poll(() => detail.getAttribute("data-state"), { timeout: 1000, interval: 100 }).toBe("idle");
    expect(await row.getAttribute("data-state")).toBe("idle");

    // Ending writes one entry with the billable seconds.
    await row.getByRole("button", { name: "End", exact: true }).click();
    await row.waitFor({ state: "detached" });
    await expect.poll(() => detail.getAttribute("data-state")).toBe("ended");
    const result = detail.getByTestId("session-result");
    expect(await result.textContent()).toContain("Entry written");
    expect(seconds(/(\d+:\d\d:\d\d)/.exec((await result.textContent()) ?? "")?.[1] ?? null)).toBe(seconds(billable));

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Entries" }).click();
    const entry = page.getByTestId("entry-row").filter({ hasText: "Write the importer" });
    await entry.waitFor();
    expect(await entry.textContent()).toContain("Agent session");
    expect(await entry.textContent()).toContain("Acme Website");
    expect(seconds(await entry.getByTestId("entry-duration").textContent())).toBe(seconds(billable));
    expect(await entry.getAttribute("data-billed")).toBe("false");

    // Invoice Acme Corp from the first of last month to today, both in the workspace's calendar: the
    // entry is in that period even when the month turned in Berlin since the session started.
    const cal = calendar(TIME_ZONE);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Invoices" }).click();
    await page.getByTestId("invoices-empty").waitFor();
    const invoiceForm = page.getByTestId("invoice-client-form");
    await invoiceForm.getByLabel("Client").selectOption({ label: "Acme Corp" });
    await invoiceForm.getByLabel("From").fill(isoDate(cal.firstOfMonth(-1)));
    await invoiceForm.getByLabel("To").fill(isoDate(cal.today));
    await invoiceForm.getByRole("button", { name: "Create invoice" }).click();
    await invoiceForm.getByTestId("invoice-created").waitFor();
    const invoiceRow = page.getByTestId("invoice-row").filter({ hasText: "Acme Corp" });
    await invoiceRow.waitFor();
    expect(await invoiceRow.getAttribute("data-status")).toBe("draft");

    await invoiceRow.getByRole("link").first().click();
    const invoice = page.getByTestId("invoice");
    await invoice.waitFor();
    const line = invoice.getByTestId("invoice-line").filter({ hasText: "Write the importer" });
    await line.waitFor();

    // The total on the page is the API's, formatted in the invoice's currency.
    const invoiceId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
    const api = await page.request.post(`${url}/graphql`, {
      headers: { "content-type": "application/json", origin: url },
      data: { query: `query($id: ID!) { node(id: $id) { ... on Invoice { totalCents currency lines { description } } } }`, variables: { id: invoiceId } },
    });
    const { node } = (await api.json()).data;
    expect(node.lines.map((l: { description: string }) => l.description)).toEqual(["Write the importer"]);
    const total = new Intl.NumberFormat("en-US", { style: "currency", currency: node.currency }).format(Number(node.totalCents) / 100);
    expect(Number(node.totalCents)).toBeGreaterThan(0);
    expect(await invoice.getByTestId("invoice-total").textContent()).toBe(total);
    expect(await invoice.getByTestId("invoice-client").textContent()).toBe("Acme Corp");
    await snap(page, "invoice");

    // The PDF, with the page's own cookies.
    const pdfLink = invoice.getByTestId("invoice-pdf");
    expect(await pdfLink.textContent()).toContain("Download PDF");
    const pdf = await page.request.get(new URL((await pdfLink.getAttribute("href"))!, url).toString());
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()["content-type"]).toBe("application/pdf");
    expect((await pdf.body()).subarray(0, 5).toString()).toBe("%PDF-");
    await page.close();
  });
});
