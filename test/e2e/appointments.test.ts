import { existsSync } from "node:fs";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, newContext, signInAs, snap } from "../support/browser.js";
import { ok, tokenFor } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";

const TIME_ZONE = "Europe/Berlin";
const localDate = (ms: number) => new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE }).format(new Date(ms));

describe.runIf(existsSync(CHROMIUM))("Client sessions in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let url: string;
  let owner: string;
  // A day next week, so the demo workspace's own sessions this week stay out of the way.
  const day = localDate(Date.now() + 8 * 86_400_000);

  beforeAll(async () => {
    stack = await startStack();
    url = stack.urls[0];
    owner = await tokenFor(url, "owner@demo.test");
    const field = (target: string, key: string, type: string, input: object) =>
      ok(url, `mutation($t: FieldTarget!, $k: String!, $ty: FieldType!, $i: FieldDefinitionInput!) { createFieldDefinition(target: $t, key: $k, type: $ty, input: $i) { __typename } }`, { t: target, k: key, ty: type, i: input }, { token: owner });
    await field("pre_session", "intake", "text", { label: "Intake reason", required: true });
    await field("pre_session", "readings", "array", { label: "Readings", fields: [{ key: "item", label: "Reading", type: "object", fields: [{ key: "pulse", label: "Pulse", type: "number", required: true }] }] });
    await field("post_session", "followUp", "select", { label: "Follow-up", required: true, validation: { options: ["None", "In two weeks"] } });
    await field("post_session", "signedBy", "signature", { label: "Signed by client" });
    const client = (await ok(url, `mutation { createClient(name: "Greta Hansen") { ... on Client { id } } }`, {}, { token: owner })).createClient.id;
    await ok(url, `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { __typename } }`, { i: { name: "Existing massage", clientId: client, date: day, time: "10:00", fields: { intake: "x" } } }, { token: owner });
    browser = await launchBrowser();
    context = await newContext(browser);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  it("creates a session with pre-session fields, warns about the overlap, fills post-session fields and completes it", async () => {
    const page = await context.newPage();
    await signInAs(page, url, "owner@demo.test");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Appointments" }).click();
    await page.waitForURL(/\/appointments$/);
    await page.getByLabel("Go to date").fill(day);
    await expect.poll(() => page.getByTestId("appointment").filter({ hasText: "Existing massage" }).count()).toBe(1);
    // Booked elsewhere meanwhile: the open calendar shows it without a reload.
    const lisa = await tokenFor(url, "lisa@demo.test");
    const greta = (await ok(url, `{ clients { nodes { id name } } }`, {}, { token: lisa })).clients.nodes.find((c: { name: string }) => c.name === "Greta Hansen").id;
    await ok(url, `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { __typename } }`, { i: { name: "Booked by Lisa", clientId: greta, date: day, time: "16:00", fields: { intake: "x" } } }, { token: lisa });
    await expect.poll(() => page.getByTestId("appointment").filter({ hasText: "Booked by Lisa" }).count()).toBe(1);

    // Clicking an empty slot starts a session there; free slots are listed.
    await page.getByRole("button", { name: `New session on ${day} at 14:00` }).click();
    const dialog = page.getByTestId("appointment-dialog");
    expect([await dialog.getByLabel("Date").inputValue(), await dialog.getByLabel("Start (24-hour)").inputValue()]).toEqual([day, "14:00"]);
    await dialog.getByRole("button", { name: "Close" }).click();
    await expect.poll(() => page.getByTestId("free-slots").locator("summary").textContent()).toMatch(/Free slots within working hours \(yours\): \d+/);

    await page.getByRole("button", { name: "New session", exact: true }).click();
    await dialog.getByLabel("Name").fill("Knee treatment");
    await dialog.getByLabel("Client", { exact: true }).selectOption({ label: "Greta Hansen" });
    await dialog.getByLabel("Date").fill(day);
    await dialog.getByLabel("Start (24-hour)").fill("10:30");
    await dialog.getByLabel("Duration (minutes)").fill("45");
    // A required pre-session field left empty, and a reading without its pulse: the server names both.
    await dialog.getByRole("button", { name: "Add Reading" }).click();
    await dialog.getByRole("button", { name: "Create session" }).click();
    await expect.poll(() => dialog.getByTestId("field-problem").allTextContents()).toEqual(["Required", "Required"]);

    await dialog.getByLabel("Intake reason *").fill("Knee pain after running");
    await dialog.getByLabel("Pulse *").fill("64");
    await dialog.getByRole("button", { name: "Create session" }).click();
    const warnings = dialog.getByTestId("warnings");
    await expect.poll(() => warnings.textContent()).toContain('Overlaps "Existing massage" (Greta Hansen with Olivia Owner, 10:00-11:00)');
    await expect.poll(() => dialog.getByRole("heading", { name: "Edit session" }).count()).toBe(1);

    // Post-session: a required choice and a drawn signature, saved on their own.
    const post = dialog.getByRole("region", { name: "Post-session fields" });
    await post.getByRole("button", { name: "Save post-session fields" }).click();
    await expect.poll(() => post.getByTestId("field-problem").allTextContents()).toEqual(["Required"]);
    await post.getByLabel("Follow-up *").selectOption("In two weeks");
    const pad = post.locator('[data-field="signedBy"]').getByTestId("signature-pad");
    const box = (await pad.boundingBox())!;
    await page.mouse.move(box.x + 20, box.y + 60);
    await page.mouse.down();
    await page.mouse.move(box.x + 120, box.y + 30, { steps: 8 });
    await page.mouse.move(box.x + 220, box.y + 90, { steps: 8 });
    await page.mouse.up();
    await post.getByRole("button", { name: "Save post-session fields" }).click();
    await expect.poll(() => dialog.getByRole("status").allTextContents()).toContain("Post-session fields saved");

    await dialog.getByRole("button", { name: "Complete session" }).click();
    await expect.poll(() => dialog.getByRole("status").allTextContents()).toContain("Status: Completed");
    await snap(page, "appointment-dialog");
    await dialog.getByRole("button", { name: "Close" }).click();
    const block = page.getByTestId("appointment").filter({ hasText: "Knee treatment" });
    await expect.poll(() => block.getAttribute("data-status")).toBe("completed");
    await snap(page, "appointments-week");
    await page.getByRole("button", { name: "Month" }).click();
    await expect.poll(() => page.getByTestId("month-grid").count()).toBe(1);
    await snap(page, "appointments-month");

    // What the server stored.
    const { appointmentCalendar } = await ok(url, `query($d: LocalDate!) { appointmentCalendar(view: day, date: $d) { ... on AppointmentCalendar { appointments { name status startsAt durationMinutes fieldValues } } } }`, { d: day }, { token: owner });
    const saved = appointmentCalendar.appointments.find((a: { name: string }) => a.name === "Knee treatment");
    expect(saved).toMatchObject({ status: "completed", durationMinutes: 45, fieldValues: { intake: "Knee pain after running", readings: [{ pulse: 64 }], followUp: "In two weeks" } });
    expect(saved.fieldValues.signedBy).toMatch(/^data:image\/png;base64,/);
    expect(new Intl.DateTimeFormat("en-GB", { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit" }).format(new Date(saved.startsAt))).toBe("10:30");
  });

  it("manages fields: adds one, reorders, edits and archives it", async () => {
    const page = await context.newPage();
    await signInAs(page, url, "owner@demo.test");
    await page.goto(`${url}/appointments/fields`);
    await page.getByLabel("Label").fill("Session goal");
    await page.getByLabel("Key").fill("sessionGoal");
    await page.getByLabel("Type").selectOption("textarea");
    await page.getByRole("button", { name: "Add field" }).click();
    const keys = () => page.getByTestId("field-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-key")));
    await expect.poll(async () => (await keys()).at(-1)).toBe("sessionGoal");
    await page.getByRole("button", { name: "Move Session goal up" }).click();
    await expect.poll(async () => (await keys()).at(-2)).toBe("sessionGoal");
    await page.getByTestId("field-row").filter({ hasText: "Session goal" }).getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Label").fill("Goal");
    await page.getByLabel("Required").check();
    await page.getByRole("button", { name: "Save field" }).click();
    await expect.poll(() => page.locator('[data-testid="field-row"][data-key="sessionGoal"]').textContent()).toMatch(/Goal\s*sessionGoal\s*textarea\s*Yes/);
    await page.getByTestId("field-row").filter({ hasText: "sessionGoal" }).getByRole("button", { name: "Archive" }).click();
    await expect.poll(() => page.getByTestId("field-row").filter({ hasText: "Goal (archived)" }).count()).toBe(1);
    // A bad key is refused with the server's message under the field.
    await page.getByLabel("Label").fill("Bad");
    await page.getByLabel("Key").fill("Bad Key");
    await page.getByRole("button", { name: "Add field" }).click();
    await expect.poll(() => page.getByText("Start with a lowercase letter").count()).toBe(1);
  });

  it("keeps clients with their history and evaluations, attaches files, and hands out a calendar feed", async () => {
    await ok(url, `mutation { createFieldDefinition(target: evaluation, key: "range", type: number, input: { label: "Range of motion", required: true }) { __typename } }`, {}, { token: owner });
    const page = await context.newPage();
    await signInAs(page, url, "owner@demo.test");
    await page.goto(`${url}/appointments/clients`);
    await page.getByLabel("New client").fill("Hugo Ibsen");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByRole("button", { name: "Hugo Ibsen" }).click();
    await expect.poll(() => page.getByTestId("client-detail").textContent()).toContain("No sessions yet.");

    // A session for Hugo with a file attached to it.
    const hugo = (await ok(url, `{ clients { nodes { id name } } }`, {}, { token: owner })).clients.nodes.find((c: { name: string }) => c.name === "Hugo Ibsen").id;
    await ok(url, `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { __typename } }`, { i: { name: "Hugo's first", clientId: hugo, date: day, time: "15:00", fields: { intake: "x" } } }, { token: owner });
    await page.goto(`${url}/appointments`);
    await page.getByLabel("Go to date").fill(day);
    await page.getByTestId("appointment").filter({ hasText: "Hugo's first" }).click();
    const dialog = page.getByTestId("appointment-dialog");
    await dialog.getByLabel(/Attach a file/).setInputFiles({ name: "referral.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4 referral") });
    await expect.poll(() => dialog.getByRole("link", { name: "referral.pdf" }).count()).toBe(1);
    await dialog.getByLabel(/Attach a file/).setInputFiles({ name: "wrong.pdf", mimeType: "application/pdf", buffer: Buffer.from("not a pdf") });
    await expect.poll(() => dialog.getByRole("alert").textContent()).toContain("The content is not application/pdf");
    await dialog.getByLabel(/Attach a file/).setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("notes") });
    await expect.poll(() => dialog.getByRole("link", { name: "notes.txt" }).count()).toBe(1);
    await dialog.getByRole("button", { name: "Remove notes.txt" }).click();
    await expect.poll(() => dialog.getByRole("link", { name: "notes.txt" }).count()).toBe(0);
    await dialog.getByRole("button", { name: "Close" }).click();

    // An evaluation: the required field is checked by the server, then saved and linked.
    await page.goto(`${url}/appointments/clients`);
    await page.getByRole("button", { name: "Hugo Ibsen" }).click();
    const detail = page.getByTestId("client-detail");
    await expect.poll(() => detail.getByTestId("client-history").textContent()).toContain("Hugo's first");
    await detail.getByLabel("Title").fill("Baseline");
    await detail.getByRole("button", { name: "Save evaluation" }).click();
    await expect.poll(() => detail.getByTestId("field-problem").allTextContents()).toEqual(["Required"]);
    await detail.getByLabel("Range of motion *").fill("70");
    await detail.getByLabel("Session").selectOption({ label: `Hugo's first (${new Intl.DateTimeFormat("en-US", { timeZone: "UTC", dateStyle: "medium" }).format(new Date(day + "T00:00:00Z"))})` });
    await detail.getByRole("button", { name: "Save evaluation" }).click();
    await expect.poll(() => detail.locator("summary").allTextContents()).toEqual([expect.stringContaining("Baseline")]);
    expect(await detail.locator("summary").textContent()).toContain("Hugo's first");
    // Corrected, then removed.
    await detail.locator("summary").click();
    await detail.getByRole("button", { name: "Edit", exact: true }).click();
    await expect.poll(() => detail.getByLabel("Range of motion *").inputValue()).toBe("70");
    await detail.getByLabel("Title").fill("Baseline (corrected)");
    await detail.getByLabel("Range of motion *").fill("75");
    await detail.getByRole("button", { name: "Save evaluation" }).click();
    await expect.poll(() => detail.locator("summary").allTextContents()).toEqual([expect.stringContaining("Baseline (corrected)")]);
    expect(await detail.locator("details").textContent()).toContain("Range of motion: 75");
    page.once("dialog", (d) => d.accept());
    await detail.getByRole("button", { name: "Delete", exact: true }).click();
    await detail.getByText("No evaluations yet.").waitFor();
    await snap(page, "appointment-clients");

    // A calendar feed of my sessions, shown once, that a calendar app can read.
    await page.goto(`${url}/appointments/settings`);
    await page.getByRole("button", { name: "New feed of my sessions" }).click();
    const feedUrl = await page.getByTestId("feed-url").textContent();
    const ics = await (await fetch(feedUrl!)).text();
    expect(ics).toContain("BEGIN:VCALENDAR");
    expect(ics).toContain("SUMMARY:Hugo's first - H. I.");
  });
});

