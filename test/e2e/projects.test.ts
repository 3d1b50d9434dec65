// The Projects page, editing an entry, the Log time panel's Start tab and the confirmations they
// show, in Chromium, in a workspace of the test's own.
import { existsSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, newContext, signInAs } from "../support/browser.js";
import { ok } from "../support/client.js";
import { calendar, instant, isoMonth } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const TIME_ZONE = "Europe/Berlin";
// An entry last month: logged time can't be in the future, whatever today is.
const DAY = calendar(TIME_ZONE).firstOfMonth(-1).plus({ days: 9 });

describe.runIf(existsSync(CHROMIUM))("Projects and entries in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let ws: TestWorkspace;
  let url: string;
  beforeAll(async () => {
    // A worker runs the month-end invoicing job that Generate queues.
    [stack, browser] = await Promise.all([startStack({ worker: true }), launchBrowser()]);
    context = await newContext(browser);
    url = stack.urls[0];
    ws = await newWorkspace(url, TIME_ZONE);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  const status = (page: Page, text: string | RegExp) => page.getByRole("status").filter({ hasText: text }).waitFor();

  it("keeps projects and clients: create, refuse bad input by field, edit, archive and restore, rename the client", async () => {
    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
    await page.getByTestId("projects-empty").waitFor();

    await page.getByLabel("New client").fill("Globex");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await status(page, "Client “Globex” added.");

    const form = page.getByRole("form", { name: "New project" });
    await form.getByLabel("Client").selectOption({ label: "Globex" });
    await form.getByLabel("Name").fill("Globex portal");
    await form.getByLabel("Rate per hour").fill("lots");
    await form.getByRole("button", { name: "Create project" }).click();
    await expect.poll(() => page.locator("#project-rate-error").textContent()).toBe("Use an amount like 90 or 90.50");
    await form.getByLabel("Rate per hour").fill("120.50");
    await form.getByLabel("Bill agent time").check();
    await form.getByRole("button", { name: "Create project" }).click();
    await status(page, "Project “Globex portal” created.");
    const row = page.getByTestId("project-row").filter({ hasText: "Globex portal" });
    expect(await row.locator("td").allInnerTexts()).toEqual(["Globex portal", "Globex", "€120.50", "EUR", "Yes", "Active", expect.any(String)]);

    // The API's answer lands on its field: a second project of the same name.
    await form.getByLabel("Client").selectOption({ label: "Globex" });
    await form.getByLabel("Name").fill("Globex portal");
    await form.getByLabel("Rate per hour").fill("90");
    await form.getByRole("button", { name: "Create project" }).click();
    await expect.poll(() => page.locator("#project-name-error").textContent()).toBe("A project with this name exists");
    expect(await page.getByTestId("project-row").count()).toBe(1);

    await page.getByRole("button", { name: "Edit Globex portal" }).click();
    const edit = page.getByRole("form", { name: "Edit Globex portal" });
    await edit.getByLabel("Rate per hour").fill("130");
    await edit.getByRole("button", { name: "Save project" }).click();
    await status(page, "Project “Globex portal” saved.");
    await row.getByText("€130.00").waitFor();

    // Archiving asks first; archived, it leaves the pickers and stays listed here.
    await page.getByRole("button", { name: "Archive Globex portal" }).click();
    await row.getByRole("button", { name: "Confirm archive" }).click();
    await status(page, "Project “Globex portal” archived: it takes no new time.");
    await row.getByRole("cell", { name: "Archived", exact: true }).waitFor();
    // New time can't pick it; the Entries filter still finds its old time.
    const entries = await context.newPage();
    await entries.goto(`${url}/entries`);
    await entries.getByLabel("Filter by project").fill("globex");
    await entries.getByRole("option", { name: /Globex portal.*archived/ }).waitFor();
    await entries.getByTestId("log-time").locator("summary").click();
    await entries.getByTestId("log-time").getByLabel("Project", { exact: true }).fill("globex");
    await entries.getByText("No matching project").waitFor();
    await entries.close();
    await page.getByRole("button", { name: "Restore Globex portal" }).click();
    await status(page, "Project “Globex portal” restored.");
    await row.getByRole("cell", { name: "Active", exact: true }).waitFor();

    await page.getByRole("button", { name: "Globex", exact: true }).click();
    await page.getByLabel("Name of Globex").fill("Globex Corp");
    await page.getByRole("button", { name: "Rename" }).click();
    await status(page, "Client renamed to “Globex Corp”.");
    await row.getByRole("cell", { name: "Globex Corp" }).waitFor();
    await page.close();
  });

  it("edits an entry (Cancel leaves it as it was), refuses a bad end by its field, and deletes it, saying so each time", async () => {
    const owner = { token: ws.owner.token };
    const client = (await ok(url, `mutation { createClient(input: { name: "Initech" }) { ... on Client { id } } }`, {}, owner)).createClient.id;
    const project = (await ok(url, `mutation($c: ID!) { createProject(input: { clientId: $c, name: "Initech reports", hourlyRateCents: 9000, currency: "EUR" }) { ... on Project { id } } }`, { c: client }, owner)).createProject.id;
    await ok(url, `mutation($p: ID!, $s: DateTime!, $e: DateTime!) { logTime(input: { projectId: $p, description: "Quarterly report", startedAt: $s, endedAt: $e }) { __typename } }`, { p: project, s: instant(DAY, "09:00"), e: instant(DAY, "10:00") }, owner);

    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.goto(`${url}/entries`);
    const row = page.getByTestId("entry-row").filter({ hasText: "Initech reports" });
    await row.waitFor();

    await row.getByRole("button", { name: "Edit entry Quarterly report" }).click();
    const form = page.getByTestId("entry-edit");
    await form.getByLabel("Description").fill("Thrown away");
    await form.getByRole("button", { name: "Cancel" }).click();
    expect(await form.count()).toBe(0);
    expect(await row.getByTestId("entry-description").textContent()).toBe("Quarterly report");

    await row.getByRole("button", { name: "Edit entry Quarterly report" }).click();
    expect(await form.getByLabel("Description").inputValue()).toBe("Quarterly report");
    expect(await form.getByLabel("Start").inputValue()).toBe("09:00");
    await form.getByLabel("End").fill("08:00");
    await form.getByRole("button", { name: "Save entry" }).click();
    await expect.poll(() => page.locator("#edit-end-error").textContent()).toBe("Must be after the start");
    expect(await row.getByTestId("entry-duration").textContent()).toBe("1:00:00");

    await form.getByLabel("Description").fill("Quarterly report, reviewed");
    await form.getByLabel("End").fill("10:30");
    await form.getByRole("button", { name: "Save entry" }).click();
    await status(page, "Entry saved: Quarterly report, reviewed, 1:30.");
    expect(await row.getByTestId("entry-duration").textContent()).toBe("1:30:00");
    expect(await row.getByTestId("entry-description").textContent()).toBe("Quarterly report, reviewed");

    await row.getByRole("button", { name: "Delete entry Quarterly report, reviewed" }).click();
    await row.getByRole("button", { name: "Confirm delete" }).click();
    await status(page, "Entry deleted: Quarterly report, reviewed.");
    await page.close();
  });

  it("starts a timer from the Log time panel's Start tab, and says when that or an agent session stopped a running one", async () => {
    const page = await context.newPage();
    await signInAs(page, url, ws.employee.email);
    await page.goto(`${url}/entries`);
    const panel = page.getByTestId("log-time");
    await panel.locator("summary").click();
    await panel.getByRole("tab", { name: "Start" }).click();
    expect(await panel.getByLabel("Date").count()).toBe(0);
    await panel.getByLabel("Project", { exact: true }).fill("initech");
    await page.getByRole("option", { name: /Initech reports/ }).click();
    await panel.getByLabel("Description").fill("Timer one");
    await panel.getByRole("button", { name: "Start timer" }).click();
    await status(page, "Timer started on Initech reports.");
    await page.getByTestId("header-timer").getByText("Timer one").waitFor();

    await panel.getByLabel("Description").fill("Timer two");
    await panel.getByRole("button", { name: "Start timer" }).click();
    await status(page, "The running timer “Timer one” was stopped and saved.");
    await page.getByTestId("header-timer").getByText("Timer two").waitFor();
    await page.getByTestId("entry-row").filter({ hasText: "Timer one" }).waitFor();

    // Starting an agent session stops the timer too, and says so.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agent sessions" }).click();
    await page.getByRole("button", { name: "New session" }).click();
    const start = page.getByTestId("new-session-form");
    await start.getByLabel("Project", { exact: true }).fill("initech");
    await page.getByRole("option", { name: /Initech reports/ }).click();
    await start.getByLabel("Description").fill("Draft the summary");
    await start.getByRole("button", { name: "Start" }).click();
    await status(page, "Started “Draft the summary”. The running timer “Timer two” was stopped and saved.");
    await page.getByTestId("header-timer").getByRole("button", { name: "Start timer" }).waitFor();
    await page.close();
  });

  it("says how many invoices Generate made, and confirms issuing and payment", async () => {
    const owner = { token: ws.owner.token };
    const client = (await ok(url, `mutation { createClient(input: { name: "Umbrella" }) { ... on Client { id } } }`, {}, owner)).createClient.id;
    const project = (await ok(url, `mutation($c: ID!) { createProject(input: { clientId: $c, name: "Umbrella audit", hourlyRateCents: 10000, currency: "EUR" }) { ... on Project { id } } }`, { c: client }, owner)).createProject.id;
    await ok(url, `mutation($p: ID!, $s: DateTime!, $e: DateTime!) { logTime(input: { projectId: $p, startedAt: $s, endedAt: $e }) { __typename } }`, { p: project, s: instant(DAY, "13:00"), e: instant(DAY, "15:00") }, owner);

    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.goto(`${url}/invoices`);
    const generate = page.getByTestId("invoice-month-form");
    await generate.getByLabel("Month").fill(isoMonth(DAY));
    await generate.getByRole("button", { name: "Generate" }).click();
    await status(page, `Invoices generated: 1 (${isoMonth(DAY)}).`);

    await page.getByTestId("invoice-row").filter({ hasText: "Umbrella" }).getByRole("link").click();
    await page.getByTestId("invoice").waitFor();
    const invoiceNumber = /^Invoice #(\d+) · Umbrella/.exec(await page.title())?.[1];
    expect(invoiceNumber).toBeDefined();
    await page.getByRole("button", { name: "Issue" }).click();
    await status(page, `Invoice #${invoiceNumber} issued.`);
    await page.getByRole("button", { name: "Mark paid" }).click();
    await status(page, `Invoice #${invoiceNumber} marked paid.`);
    await page.close();
  });
});
