// The appointments pages in Chromium, in a workspace of the test's own, on a day derived from now in
// its zone: the calendar, the session dialog, field management, clients and calendar feeds.
import { existsSync } from "node:fs";
import { DateTime } from "luxon";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, newContext, pastTheEdge, signInAs, snap } from "../support/browser.js";
import { ok } from "../support/client.js";
import { calendar, instant, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const TIME_ZONE = "Europe/Berlin";
const CREATE_CLIENT = `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`;
const CREATE_APPOINTMENT = `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ... on AppointmentPayload { appointment { id } } } }`;

describe.runIf(existsSync(CHROMIUM))("Client sessions in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let url: string;
  let ws: TestWorkspace;
  let owner: string;
  let greta: string;
  // Tuesday next week: a future working day, whatever today is.
  const dayOf = calendar(TIME_ZONE).monday(1).plus({ days: 1 });
  const day = isoDate(dayOf);
  const client = async (name: string) => (await ok(url, CREATE_CLIENT, { n: name }, { token: owner })).createClient.id as string;
  const book = async (name: string, clientId: string, time: string, token = owner, on = day) =>
    (await ok(url, CREATE_APPOINTMENT, { i: { name, clientId, date: on, time, fields: { intake: "x" } } }, { token })).createAppointment.appointment.id as string;
  const sessionCount = async () =>
    (await ok(url, `query($d: LocalDate!) { appointmentCalendar(view: MONTH, date: $d) { ... on AppointmentCalendar { appointments { id } } } }`, { d: day }, { token: owner })).appointmentCalendar.appointments.length as number;
  /** The calendar page showing `day`'s week (asked at once: the page shows only its newest answer). */
  const showDay = async (page: Page) => {
    await page.getByLabel("Go to date").fill(day);
    await page.locator(`[data-date="${day}"]`).waitFor();
  };

  // Two hooks: the processes start (together), then the workspace is set up, each in its own time.
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    url = stack.urls[0];
    context = await newContext(browser);
  });
  beforeAll(async () => {
    ws = await newWorkspace(url, TIME_ZONE);
    owner = ws.owner.token;
    const field = (target: string, key: string, type: string, input: object) =>
      ok(url, `mutation($t: FieldTarget!, $k: String!, $ty: FieldType!, $i: FieldDefinitionInput!) { createFieldDefinition(input: { target: $t, key: $k, type: $ty, definition: $i }) { __typename } }`, { t: target, k: key, ty: type, i: input }, { token: owner });
    await field("PRE_SESSION", "intake", "TEXT", { label: "Intake reason", required: true });
    await field("PRE_SESSION", "readings", "ARRAY", { label: "Readings", fields: [{ key: "item", label: "Reading", type: "object", fields: [{ key: "pulse", label: "Pulse", type: "number", required: true }] }] });
    await field("POST_SESSION", "followUp", "SELECT", { label: "Follow-up", required: true, validation: { options: ["None", "In two weeks"] } });
    await field("POST_SESSION", "signedBy", "SIGNATURE", { label: "Signed by client" });
    await field("EVALUATION", "range", "NUMBER", { label: "Range of motion", required: true });
    greta = await client("Greta Hansen");
    await book("Existing massage", greta, "10:00");
    // Signed in once: every test opens its pages in this context, with the owner's cookie.
    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.close();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  it("creates a session with pre-session fields, warns about the overlap, fills post-session fields and completes it", async () => {
    const page = await context.newPage();
    await page.goto(url);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Appointments" }).click();
    await page.waitForURL(/\/appointments$/);
    await showDay(page);
    await page.getByTestId("appointment").filter({ hasText: "Existing massage" }).waitFor();
    // Booked elsewhere meanwhile: the open calendar shows it without a reload.
    await book("Booked by Lisa", greta, "16:00", ws.manager.token);
    await page.getByTestId("appointment").filter({ hasText: "Booked by Lisa" }).waitFor({ timeout: 5000 });

    // Clicking an empty slot starts a session there; free slots are listed.
    await page.getByRole("button", { name: `New session on ${day} at 14:00` }).click();
    const dialog = page.getByTestId("appointment-dialog");
    expect([await dialog.getByLabel("Date").inputValue(), await dialog.getByLabel("Start (24-hour)").inputValue()]).toEqual([day, "14:00"]);
    await dialog.getByRole("button", { name: "Close" }).click();
    await expect.poll(() => page.getByTestId("free-slots").locator("summary").textContent()).toMatch(/Free slots within working hours \(yours\): \d+/);

    await page.getByRole("button", { name: "New session", exact: true }).click();
    await dialog.getByLabel("Name").fill("Knee treatment");
    // No client yet: the API names the client field, in words, with the empty required field.
    await dialog.getByRole("button", { name: "Create session" }).click();
    await expect.poll(() => dialog.locator(".field-error").allTextContents()).toEqual(["Choose a client", "Required", "Please fix the fields marked above or below."]);
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
    await expect.poll(() => warnings.textContent()).toContain('Overlaps "Existing massage" (Greta Hansen with Owen Owner, 10:00-11:00)');
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
    const { appointmentCalendar } = await ok(url, `query($d: LocalDate!) { appointmentCalendar(view: DAY, date: $d) { ... on AppointmentCalendar { appointments { name status startsAt durationMinutes fieldValues } } } }`, { d: day }, { token: owner });
    const saved = appointmentCalendar.appointments.find((a: { name: string }) => a.name === "Knee treatment");
    expect(saved).toMatchObject({ status: "COMPLETED", durationMinutes: 45, fieldValues: { intake: "Knee pain after running", readings: [{ pulse: 64 }], followUp: "In two weeks" } });
    expect(saved.fieldValues.signedBy).toMatch(/^data:image\/png;base64,/);
    expect(DateTime.fromISO(saved.startsAt, { zone: TIME_ZONE }).toFormat("HH:mm")).toBe("10:30");
    await page.close();
  });

  it("shows the week asked for last, even when the first week's answer arrives after it", async () => {
    const page = await context.newPage();
    let firstAnswered!: () => void;
    const firstDone = new Promise<void>((resolve) => (firstAnswered = resolve));
    let held = false;
    await page.route("**/graphql", async (route) => {
      if (held || !(route.request().postData() ?? "").includes("appointmentCalendar")) return route.continue();
      held = true; // the current week's calendar: answered only after the asked week's is on screen
      await page.locator(`[data-date="${day}"]`).waitFor();
      await route.continue();
      firstAnswered();
    });
    await page.goto(`${url}/appointments`);
    await showDay(page);
    await firstDone;
    await page.waitForLoadState("networkidle");
    expect(await page.locator(`[data-date="${day}"]`).count()).toBe(1);
    await page.close();
  });

  it("manages fields: adds one, reorders, edits and archives it", async () => {
    const page = await context.newPage();
    await page.goto(`${url}/appointments/fields`);
    await page.getByLabel("Label").fill("Session goal");
    await page.getByLabel("Key").fill("sessionGoal");
    await page.getByLabel("Type").selectOption("TEXTAREA");
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
    await page.close();
  });

  it("keeps a client with its session history and evaluations", async () => {
    const page = await context.newPage();
    await page.goto(`${url}/appointments/clients`);
    await page.getByLabel("New client").fill("Hugo Ibsen");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    const hugoButton = page.getByRole("button", { name: "Hugo Ibsen" });
    await hugoButton.click();
    const detail = page.getByTestId("client-detail");
    await detail.getByText("No sessions yet.").waitFor();

    // Booked for Hugo meanwhile: opening him again shows it in his history and offers it to link.
    const { clients } = await ok(url, `{ clients(first: 100) { nodes { id name } } }`, {}, { token: owner });
    await book("Hugo's first", clients.nodes.find((c: { name: string }) => c.name === "Hugo Ibsen").id, "15:00");
    await hugoButton.click();
    await detail.getByTestId("client-history").getByRole("cell", { name: "Hugo's first" }).waitFor();

    // An evaluation: the required field is checked by the server, then saved and linked.
    await detail.getByLabel("Title").fill("Baseline");
    await detail.getByRole("button", { name: "Save evaluation" }).click();
    await expect.poll(() => detail.getByTestId("field-problem").allTextContents(), { timeout: 5000 }).toEqual(["Required"]);
    await detail.getByLabel("Range of motion *").fill("70");
    await detail.getByLabel("Session").selectOption({ label: `Hugo's first (${dayOf.setLocale("en-US").toLocaleString(DateTime.DATE_MED)})` });
    await detail.getByRole("button", { name: "Save evaluation" }).click();
    await detail.getByRole("status").filter({ hasText: "Evaluation “Baseline” saved." }).waitFor();
    const evaluation = detail.locator("details");
    await evaluation.locator("summary", { hasText: "Baseline" }).waitFor();
    expect(await evaluation.count()).toBe(1);
    expect(await evaluation.locator("summary").textContent()).toContain("Hugo's first");
    // Corrected, then removed.
    await evaluation.locator("summary").click();
    await evaluation.getByRole("button", { name: "Edit", exact: true }).click();
    await expect.poll(() => detail.getByLabel("Range of motion *").inputValue(), { timeout: 5000 }).toBe("70");
    await detail.getByLabel("Title").fill("Baseline (corrected)");
    await detail.getByLabel("Range of motion *").fill("75");
    await detail.getByRole("button", { name: "Save evaluation" }).click();
    await evaluation.locator("summary", { hasText: "Baseline (corrected)" }).waitFor();
    expect(await evaluation.count()).toBe(1);
    // Values in words, by their labels: not the JSON they are stored as.
    expect(await evaluation.locator("dl").innerText()).toMatch(/^Range of motion\s+75$/);
    page.once("dialog", (d) => d.accept());
    await evaluation.getByRole("button", { name: "Delete", exact: true }).click();
    await detail.getByText("No evaluations yet.").waitFor();
    await detail.getByRole("status").filter({ hasText: "Evaluation “Baseline (corrected)” deleted." }).waitFor();
    await snap(page, "appointment-clients");
    await page.close();
  });

  it("attaches files to a session, refusing one whose content is not its type", async () => {
    // One file is there already: once it shows, the dialog has loaded the session's files.
    const ida = await book("Ida's check-up", await client("Ida Jensen"), "12:00");
    const referral = await fetch(`${url}/api/appointments/attachments?fileName=referral.pdf&appointmentId=${encodeURIComponent(ida)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner}`, "content-type": "application/pdf" },
      body: "%PDF-1.4 referral",
    });
    expect(referral.status).toBe(201);
    const page = await context.newPage();
    await page.goto(`${url}/appointments`);
    await showDay(page);
    await page.getByTestId("appointment").filter({ hasText: "Ida's check-up" }).click();
    const dialog = page.getByTestId("appointment-dialog");
    await dialog.getByRole("link", { name: "referral.pdf" }).waitFor();
    const attach = dialog.getByLabel(/Attach a file/);
    await attach.setInputFiles({ name: "wrong.pdf", mimeType: "application/pdf", buffer: Buffer.from("not a pdf") });
    await dialog.getByRole("alert").filter({ hasText: "The content is not application/pdf" }).waitFor();
    await attach.setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("notes") });
    const notes = dialog.getByRole("link", { name: "notes.txt" });
    await notes.waitFor();
    expect(await dialog.getByRole("link", { name: "wrong.pdf" }).count()).toBe(0);
    await dialog.getByRole("button", { name: "Remove notes.txt" }).click();
    await notes.waitFor({ state: "detached" });
    expect(await dialog.getByRole("link", { name: "referral.pdf" }).count()).toBe(1);
    await page.close();
  });

  it("says a session on an invoice keeps what was billed, and refuses a new length in words", async () => {
    const payer = await client("Jon Billed");
    const service = (await ok(url, `mutation($i: AppointmentServiceInput!) { saveAppointmentService(input: { service: $i }) { ... on AppointmentService { id } } }`, { i: { name: "Massage", pricing: "PER_SESSION", priceCents: 7000, currency: "EUR" } }, { token: owner })).saveAppointmentService.id;
    const session = await book("Jon's massage", payer, "14:00");
    await ok(url, `mutation($id: ID!, $s: ID!) { updateAppointment(input: { id: $id, changes: { serviceId: $s, status: COMPLETED } }) { __typename } }`, { id: session, s: service }, { token: owner });
    const invoiced = await ok(url, `mutation($c: ID!) { createInvoice(input: { clientId: $c, from: "${day}", to: "${day}" }) { ... on MutationCreateInvoiceSuccess { data { number } } } }`, { c: payer }, { token: owner });
    const [{ number }] = invoiced.createInvoice.data;
    const page = await context.newPage();
    await page.goto(`${url}/appointments`);
    await showDay(page);
    await page.getByTestId("appointment").filter({ hasText: "Jon's massage" }).click();
    const dialog = page.getByTestId("appointment-dialog");
    await dialog.getByTestId("invoiced-note").waitFor();
    await dialog.getByLabel("Duration (minutes)").fill("90");
    await dialog.getByRole("button", { name: "Save details" }).click();
    await dialog.getByRole("alert").filter({ hasText: `This session is on invoice #${number}; void the invoice to change its time` }).waitFor();
    const stored = await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { durationMinutes } } }`, { id: session }, { token: owner });
    expect(stored.node.durationMinutes).not.toBe(90);
    await page.close();
  });

  it("saves only what the dialog changed, keeping what was changed elsewhere while it was open", async () => {
    const session = await book("Ida's visit", await client("Ida Lund"), "11:00");
    const page = await context.newPage();
    await page.goto(`${url}/appointments`);
    await showDay(page);
    await page.getByTestId("appointment").filter({ hasText: "Ida's visit" }).click();
    const dialog = page.getByTestId("appointment-dialog");
    await dialog.getByLabel("Admin notes").fill("Bring the scans");
    // Meanwhile a colleague renames it and it moves on to in progress.
    await ok(url, `mutation($id: ID!) { updateAppointment(input: { id: $id, changes: { name: "Ida's first visit", status: IN_PROGRESS } }) { __typename } }`, { id: session }, { token: ws.manager.token });
    await dialog.getByLabel("Start (24-hour)").fill("11:30");
    await dialog.getByRole("button", { name: "Save details" }).click();
    await dialog.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    const { node } = await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { name status adminNotes startsAt } } }`, { id: session }, { token: owner });
    expect({ ...node, startsAt: Date.parse(node.startsAt) }).toEqual({ name: "Ida's first visit", status: "IN_PROGRESS", adminNotes: "Bring the scans", startsAt: Date.parse(instant(dayOf, "11:30")) });
    await page.close();
  });

  it("keeps a session's newest details when its first load answers after a later one", async () => {
    await book("Kim's visit", await client("Kim Berg"), "14:00");
    const page = await context.newPage();
    const dialog = page.getByTestId("appointment-dialog");
    let firstAnswered!: () => void;
    const firstDone = new Promise<void>((resolve) => (firstAnswered = resolve));
    let held = false;
    await page.route("**/graphql", async (route) => {
      if (held || !(route.request().postData() ?? "").includes("query One")) return route.continue();
      held = true; // the details as the dialog opens, read now (without the file), delivered after the upload's reload is shown
      const response = await route.fetch();
      await dialog.getByRole("link", { name: "plan.txt" }).waitFor();
      await route.fulfill({ response });
      firstAnswered();
    });
    await page.goto(`${url}/appointments`);
    await showDay(page);
    await page.getByTestId("appointment").filter({ hasText: "Kim's visit" }).click();
    await dialog.getByLabel(/Attach a file/).setInputFiles({ name: "plan.txt", mimeType: "text/plain", buffer: Buffer.from("plan") });
    await firstDone;
    await page.waitForLoadState("networkidle");
    expect(await dialog.getByRole("link", { name: "plan.txt" }).count()).toBe(1);
    await page.close();
  });

  it("hands out a calendar feed of my sessions, shown once, that a calendar app can read", async () => {
    await book("Jon's review", await client("Jon Kaur"), "17:00");
    const page = await context.newPage();
    await page.goto(`${url}/appointments/settings`);
    await page.getByRole("button", { name: "New feed of my sessions" }).click();
    const feedUrl = await page.getByTestId("feed-url").textContent();
    const ics = await (await fetch(feedUrl!)).text();
    expect(ics).toContain("BEGIN:VCALENDAR");
    expect(ics).toContain("SUMMARY:Jon's review - J. K.");
    await page.close();
  });
  describe("recurring sessions", () => {
    // Five weeks after the other tests' day, so in another month than theirs and than today.
    const first = dayOf.plus({ weeks: 5 });
    const week = (n: number) => isoDate(first.plus({ weeks: n }));
    const showDate = async (page: Page, date: string) => {
      await page.getByLabel("Go to date").fill(date);
      await page.locator(`[data-date="${date}"]`).waitFor();
    };
    const blockOn = (page: Page, date: string) => page.locator(`[data-date="${date}"] [data-testid="appointment"]`).filter({ hasText: "Weekly therapy" });

    it("creates a weekly series, shows it, moves this and all following, and cancels one session", async () => {
      await client("Ruth Lang");
      const page = await context.newPage();
      await page.goto(`${url}/appointments`);
      await showDate(page, week(0));
      await page.getByRole("button", { name: "New session", exact: true }).click();
      const dialog = page.getByTestId("appointment-dialog");
      await dialog.getByLabel("Name").fill("Weekly therapy");
      await dialog.getByLabel("Client", { exact: true }).selectOption({ label: "Ruth Lang" });
      await dialog.getByLabel("Date").fill(week(0));
      await dialog.getByLabel("Start (24-hour)").fill("09:00");
      await dialog.getByLabel("Intake reason *").fill("Anxiety");
      await dialog.getByLabel("Repeats").selectOption({ label: "Every week" });
      // More than the API allows is named at the field, and nothing is made.
      await dialog.getByLabel("Sessions (at most 52)").fill("60");
      await dialog.getByRole("button", { name: "Create session" }).click();
      await expect.poll(() => dialog.locator(".field-error").allTextContents()).toContain("Between 1 and 52 sessions");
      await dialog.getByLabel("Sessions (at most 52)").fill("4");
      await expect.poll(() => dialog.getByTestId("repeat-preview").textContent()).toMatch(/^\s*4 sessions:/);
      // On a phone the repeat controls wrap; nothing scrolls sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await pastTheEdge(page)).toEqual([]);
      await page.setViewportSize({ width: 1360, height: 900 });
      await dialog.getByRole("button", { name: "Create session" }).click();
      await expect.poll(() => dialog.getByRole("status").allTextContents()).toContain("4 sessions saved");
      await dialog.getByRole("button", { name: "Close" }).click();

      // Each week shows its session with the repeat mark.
      for (const n of [0, 1, 2, 3]) {
        await showDate(page, week(n));
        await blockOn(page, week(n)).getByTestId("repeat-mark").waitFor();
      }

      // The second session and all after it move to 11:00.
      await showDate(page, week(1));
      await blockOn(page, week(1)).click();
      await dialog.getByRole("radio", { name: "This and all following" }).check();
      await dialog.getByLabel("Start (24-hour)").fill("11:00");
      await dialog.getByRole("button", { name: "Save details" }).click();
      await expect.poll(() => dialog.getByRole("status").allTextContents()).toContain("Saved, with 2 following sessions");
      await dialog.getByRole("button", { name: "Close" }).click();
      await showDate(page, week(2));
      await expect.poll(() => blockOn(page, week(2)).innerText()).toContain("11:00");

      // The last session is cancelled alone.
      await showDate(page, week(3));
      await blockOn(page, week(3)).click();
      await dialog.getByRole("radio", { name: "Only this session" }).check();
      await dialog.getByRole("button", { name: "Cancel session" }).click();
      await expect.poll(() => dialog.getByRole("status").allTextContents()).toContain("Status: Cancelled");

      const id = await blockOn(page, week(3)).getAttribute("data-id");
      const series = `query($id: ID!) { node(id: $id) { ... on Appointment { series { occurrences { startsAt status } } } } }`;
      const { node } = await ok(url, series, { id }, { token: owner });
      expect(node.series.occurrences.map((o: { startsAt: string; status: string }) => [o.startsAt, o.status])).toEqual([
        [instant(first, "09:00"), "SCHEDULED"],
        [instant(first.plus({ weeks: 1 }), "11:00"), "SCHEDULED"],
        [instant(first.plus({ weeks: 2 }), "11:00"), "SCHEDULED"],
        [instant(first.plus({ weeks: 3 }), "11:00"), "CANCELLED"],
      ]);
      await page.close();
    });
  });

  describe("the calendar from the keyboard, and errors at their fields", () => {
    const today = calendar(TIME_ZONE).today;
    // Another day of this week (the workspace's weeks start on Monday): tomorrow, or on a Sunday yesterday.
    const otherDay = today.weekday === 7 ? today.minus({ days: 1 }) : today.plus({ days: 1 });
    const focusedId = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id ?? document.activeElement?.textContent?.trim());
    let first: string;
    let second: string;
    let other: string;

    beforeAll(async () => {
      const lena = await client("Lena Keyboard");
      first = await book("Lena early", lena, "09:00", owner, isoDate(today));
      second = await book("Lena late", lena, "11:00", owner, isoDate(today));
      other = await book("Lena other day", lena, "10:00", owner, isoDate(otherDay));
    });

    it("reaches today's first session from the top of the page in four keypresses, then moves between sessions with the arrows", async () => {
      const page = await context.newPage();
      await page.goto(`${url}/appointments`);
      await page.locator(`[data-testid="appointment"][data-id="${other}"]`).waitFor();
      await page.keyboard.press("Tab");
      expect(await focusedId(page)).toBe("Skip to content");
      await page.keyboard.press("Enter");
      await page.keyboard.press("Tab");
      expect(await focusedId(page)).toBe("Skip to appointments");
      await page.keyboard.press("Enter");
      expect(await focusedId(page)).toBe(first);

      await page.keyboard.press("ArrowDown");
      expect(await focusedId(page)).toBe(second);
      // Nothing after the day's last: the focus stays.
      await page.keyboard.press("ArrowDown");
      expect(await focusedId(page)).toBe(second);
      await page.keyboard.press("ArrowUp");
      expect(await focusedId(page)).toBe(first);
      await page.keyboard.press(otherDay > today ? "ArrowRight" : "ArrowLeft");
      expect(await focusedId(page)).toBe(other);
      // The calendar is one Tab stop: the session the arrows chose.
      expect(await page.locator('[data-testid="appointment"][tabindex="0"]').evaluateAll((all) => all.map((a) => (a as HTMLElement).dataset.id))).toEqual([other]);
      await page.keyboard.press("Enter");
      const dialog = page.getByTestId("appointment-dialog");
      await dialog.getByRole("heading", { name: "Edit session" }).waitFor();
      expect(await dialog.getByLabel("Name").inputValue()).toBe("Lena other day");
      await page.close();
    });

    it("names the weekday on each day and marks today, and fits a phone without sideways scrolling", async () => {
      const page = await context.newPage();
      await page.goto(`${url}/appointments`);
      await page.locator(`[data-testid="appointment"][data-id="${first}"]`).waitFor();
      const columns = await page.locator(".day-column").evaluateAll((all) =>
        all.map((c) => ({ date: c.getAttribute("data-date")!, head: c.querySelector(".day-head")!.textContent!.trim(), current: c.querySelector(".day-head")!.getAttribute("aria-current") })),
      );
      expect(columns).toHaveLength(7);
      for (const { date, head, current } of columns) {
        const weekday = DateTime.fromISO(date).setLocale("en-US").toFormat("ccc");
        expect(head.startsWith(`${weekday}, `), head).toBe(true);
        expect(current).toBe(date === isoDate(today) ? "date" : null);
      }
      expect(await page.locator("[data-today] .day-head").innerText()).toMatch(/Today$/);
      // Each status has its colour, its mark and its name, in the legend and on the session.
      expect(await page.getByRole("list", { name: "Status colours" }).getByRole("listitem").allTextContents()).toEqual(["○Scheduled", "◐In progress", "✓Completed", "✕Cancelled"]);
      expect(await page.locator(`[data-id="${first}"]`).innerText()).toContain("Scheduled");
      await page.close();

      const phone = await browser.newContext({ locale: "en-US", viewport: { width: 390, height: 844 } });
      const small = await phone.newPage();
      await signInAs(small, url, ws.owner.email);
      await small.goto(`${url}/appointments`);
      await small.locator(`[data-testid="appointment"][data-id="${first}"]`).waitFor();
      expect(await pastTheEdge(small)).toEqual([]);
      for (const view of ["Week", "Month"]) {
        await small.getByRole("button", { name: view, exact: true }).click();
        // The other day is in this week; in this month too, unless today is the month's last day (29 February, say).
        const shown = view === "Week" || otherDay.month === today.month ? other : first;
        await small.locator(`[data-testid="appointment"][data-id="${shown}"]`).waitFor();
        expect(await pastTheEdge(small), view).toEqual([]);
        await snap(small, `appointments-phone-${view.toLowerCase()}`);
      }
      expect(await small.locator("[data-today]").count()).toBe(1);
      await phone.close();
    });

    it("saving with no client marks the client field with 'Choose a client' and creates nothing", async () => {
      const before = await sessionCount();
      const page = await context.newPage();
      await page.goto(`${url}/appointments`);
      await page.getByRole("button", { name: "New session", exact: true }).click();
      const dialog = page.getByTestId("appointment-dialog");
      await dialog.getByLabel("Name").fill("Nobody's session");
      await dialog.getByLabel("Date").fill(day);
      await dialog.getByLabel("Intake reason *").fill("x");
      await dialog.getByRole("button", { name: "Create session" }).click();
      const clientField = dialog.getByLabel("Client", { exact: true });
      await expect.poll(() => clientField.getAttribute("aria-invalid")).toBe("true");
      expect(await dialog.locator(`#${await clientField.getAttribute("aria-describedby")}`).innerText()).toBe("Choose a client");
      expect(await dialog.innerText()).not.toContain("Invalid global ID");
      expect(await dialog.getByRole("heading", { name: "New session" }).count()).toBe(1);
      expect(await sessionCount()).toBe(before);
      await page.close();
    });

    it("shows a settings problem at its field, in words", async () => {
      const page = await context.newPage();
      await page.goto(`${url}/appointments/settings`);
      const time = page.getByLabel("Default time (24-hour)");
      await time.fill("9.30");
      await page.getByRole("button", { name: "Save settings" }).click();
      await expect.poll(() => time.getAttribute("aria-invalid")).toBe("true");
      expect(await page.locator(`#${await time.getAttribute("aria-describedby")}`).innerText()).toBe("Use 24-hour HH:mm");
      expect(await page.locator("main").innerText()).not.toContain("defaultTime");
      // Corrected, it saves.
      await time.fill("09:30");
      await page.getByRole("button", { name: "Save settings" }).click();
      await page.getByRole("status").filter({ hasText: "Settings saved" }).waitFor();
      expect(await time.getAttribute("aria-invalid")).toBeNull();
      await page.close();
    });
  });
});
