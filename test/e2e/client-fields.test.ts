// Clients in Chromium: profile fields defined on the fields page's Client profile tab, filled in on
// the client page with field-level problems, shown there, and used to find clients; and a client's
// progress report with its chart, its text alternative and its PDF.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, signInAs, snap } from "../support/browser.js";
import { ok } from "../support/client.js";
import { calendar, isoDate } from "../support/dates.js";
import { startE2e, type E2e } from "../support/setup.js";

describe.runIf(existsSync(CHROMIUM))("client profile fields in Chromium", () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e("Europe/Berlin");
    const owner = { token: e2e.ws.owner.token };
    const field = `mutation($k: String!, $ty: FieldType!, $i: FieldDefinitionInput!) { createFieldDefinition(input: { target: CLIENT, key: $k, type: $ty, definition: $i }) { __typename } }`;
    await ok(e2e.url, field, { k: "birthYear", ty: "NUMBER", i: { label: "Birth year", required: true, validation: { min: 1900, max: 2030 } } }, owner);
    for (const name of ["Ida Berg", "Jon Dahl"]) await ok(e2e.url, `mutation($n: String!) { createClient(input: { name: $n }) { __typename } }`, { n: name }, owner);
  });
  afterAll(() => e2e?.stop());

  it("adds a client field, fills in a profile with a field-level error first, and finds the client by it", async () => {
    const { url, context, ws } = e2e;
    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);

    // The fields page's Client profile tab: a filterable select, and no file types on offer.
    await page.goto(`${url}/appointments/fields`);
    await page.getByRole("tab", { name: "Client profile" }).click();
    await page.getByTestId("field-row").filter({ hasText: "birthYear" }).waitFor();
    expect(await page.getByLabel("Type").locator("option").allTextContents()).not.toContain("File");
    // The server's problems show at their fields: the key beside the definition, the options in it.
    await page.getByLabel("Label").fill("Referral");
    await page.getByLabel("Key").fill("Referral source");
    await page.getByLabel("Type").selectOption("SELECT");
    await page.getByRole("button", { name: "Add field" }).click();
    await page.locator("#f-key-error").filter({ hasText: "Start with a lowercase letter" }).waitFor();
    expect(await page.locator("#f-options-error").textContent()).toBe("List at least one non-empty option");
    expect(await page.getByLabel("Key").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByLabel("Options (comma-separated)").getAttribute("aria-invalid")).toBe("true");
    await page.getByLabel("Key").fill("referral");
    await page.getByLabel("Options (comma-separated)").fill("GP, Self");
    await page.getByLabel("Filter the client list").check();
    await page.getByRole("button", { name: "Add field" }).click();
    await page.locator('[data-testid="field-row"][data-key="referral"]').waitFor();

    // The client page: the profile, saved once the year is a real one.
    await page.goto(`${url}/appointments/clients`);
    await page.getByRole("button", { name: "Ida Berg" }).click();
    const detail = page.getByTestId("client-detail");
    await detail.getByText("Nothing filled in yet.").waitFor();
    await detail.getByRole("button", { name: "Edit profile" }).click();
    const form = detail.getByRole("form", { name: "Profile" });
    await form.getByLabel("Referral").selectOption("GP");
    await form.getByLabel("Birth year *").fill("1850");
    await form.getByRole("button", { name: "Save profile" }).click();
    await expect.poll(() => form.getByTestId("field-problem").allTextContents(), { timeout: 5000 }).toEqual([expect.stringMatching(/1900/)]);
    await form.getByLabel("Birth year *").fill("1984");
    await form.getByRole("button", { name: "Save profile" }).click();
    await detail.getByRole("status").filter({ hasText: "Profile saved." }).waitFor();
    const profile = detail.getByTestId("client-profile");
    await expect.poll(() => profile.textContent()).toMatch(/Referral\s*GP/);
    expect(await profile.textContent()).toMatch(/Birth year\s*1984/);
    await snap(page, "client-profile");

    // Finding clients by a filterable profile field.
    const find = page.getByRole("form", { name: "Find clients by profile" });
    await find.getByLabel("Referral").selectOption("GP");
    await find.getByRole("button", { name: "Find" }).click();
    await expect.poll(() => find.getByTestId("clients-found").getByRole("button").allTextContents()).toEqual(["Ida Berg"]);
    await find.getByLabel("Referral").selectOption("Self");
    await find.getByRole("button", { name: "Find" }).click();
    await find.getByText("No client matches.").waitFor();
    await page.close();
  });

  it("shows a client's progress report: counts, charts of a number and a choice with their tables, a bad range at its field, and the PDF", async () => {
    const { url, context, ws } = e2e;
    const owner = { token: ws.owner.token };
    await ok(url, `mutation { createFieldDefinition(input: { target: PRE_SESSION, key: "pain", type: NUMBER, definition: { label: "Pain" } }) { __typename } }`, {}, owner);
    await ok(url, `mutation { createFieldDefinition(input: { target: PRE_SESSION, key: "mood", type: SELECT, definition: { label: "Mood", validation: { options: ["Better", "Same", "Worse"] } } }) { __typename } }`, {}, owner);
    const { clients } = await ok(url, `{ clients(first: 10) { nodes { id name } } }`, {}, owner);
    const ida = clients.nodes.find((c: { name: string }) => c.name === "Ida Berg").id;
    // Two weeks, one week and three days ago, within the report's default three months whatever today is.
    const today = calendar("Europe/Berlin").today;
    for (const [days, pain, mood] of [[14, 8, "Worse"], [7, 6, "Better"], [3, 5, "Better"]] as const) {
      const made = await ok(url, `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ... on AppointmentPayload { appointment { id } } } }`,
        { i: { clientId: ida, name: `Day -${days}`, date: isoDate(today.minus({ days })), time: "10:00", fields: { pain, mood } } }, owner);
      await ok(url, `mutation($id: ID!) { setAppointmentStatus(input: { id: $id, status: COMPLETED }) { __typename } }`, { id: made.createAppointment.appointment.id }, owner);
    }
    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.goto(`${url}/appointments/clients`);
    await page.getByRole("button", { name: "Ida Berg" }).click();
    await page.getByRole("link", { name: "Progress report" }).click();
    await page.waitForURL(/\/progress$/);
    await expect.poll(() => page.title()).toContain("Progress: Ida Berg");
    await expect.poll(() => page.getByTestId("progress-counts").textContent()).toMatch(/3 attended/);
    const chart = page.getByTestId("progress-chart-pain");
    await chart.locator("canvas").waitFor();
    expect(await chart.locator("canvas").evaluate((c: HTMLCanvasElement) => c.width > 0 && c.height > 0)).toBe(true);
    expect(await chart.getByTestId("chart-row").evaluateAll((rows) => rows.map((r) => r.lastElementChild?.textContent))).toEqual(["8", "6", "5"]);
    // A choice: how often each option was chosen, as a chart and, in its table, in words.
    const choices = page.getByTestId("progress-chart-mood");
    await choices.locator("canvas").waitFor();
    expect(await choices.locator("canvas").evaluate((c: HTMLCanvasElement) => c.width > 0 && c.height > 0)).toBe(true);
    expect(await choices.getByRole("img").getAttribute("aria-label")).toBe("Mood: Better 2 times, Worse 1 time.");
    await choices.getByRole("button", { name: "Show as table" }).click();
    expect(await choices.getByTestId("chart-row").evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)))).toEqual([["Better", "2"], ["Worse", "1"]]);
    await snap(page, "client-progress");

    // The PDF of what is shown.
    const href = (await page.getByTestId("progress-pdf").getAttribute("href"))!;
    const pdf = await page.request.get(url + href);
    expect([pdf.status(), pdf.headers()["content-type"]]).toEqual([200, "application/pdf"]);

    // A range that ends before it starts is named under the dates.
    await page.locator("#progress-to").fill(isoDate(today.minus({ days: 200 })));
    await expect.poll(() => page.locator("#progress-range-error").textContent()).toBe("Must not be before from");
    await page.close();
  });
});
