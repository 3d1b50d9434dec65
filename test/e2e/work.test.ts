import { existsSync } from "node:fs";
import pg from "pg";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchBrowser, newContext, signInAs, snap } from "../support/browser.js";
import { ok, tokenFor } from "../support/client.js";
import { calendar, instant, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

/** The test workspace's time zone: dates and times in the UI are its wall clock. */
const TIME_ZONE = "Europe/Berlin";
const NOTE = "Remote work — VPN, desktop app not opened";

function localDate(ms: number) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE }).format(new Date(ms));
}

/** HH:mm of an instant on the workspace's wall clock. */
function localTime(ms: number) {
  return new Intl.DateTimeFormat("en-GB", { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(ms));
}

/** H:MM:SS or H:MM as seconds. */
function seconds(text: string | null): number {
  const [h, m, s = 0] = (text ?? "").trim().split(":").map(Number);
  return h * 3600 + m * 60 + s;
}

const row = (page: Page, id: string) => page.locator(`[data-testid="work-row"][data-session-id="${id}"]`);

async function addTime(page: Page, times: { date: string; start: string; end: string; note?: string; employee?: string }) {
  await page.getByRole("button", { name: "Add time" }).click();
  const dialog = page.getByRole("dialog", { name: "Add time" });
  await dialog.getByLabel("Employee").selectOption({ label: times.employee ?? "Tom Employee" });
  await dialog.getByLabel("Date").fill(times.date);
  await dialog.getByLabel("Start").fill(times.start);
  await dialog.getByLabel("End").fill(times.end);
  if (times.note) await dialog.getByLabel("Note").fill(times.note);
  await dialog.getByRole("button", { name: "Save" }).click();
  return dialog;
}

async function rowIds(rows: Locator) {
  return rows.evaluateAll((els) => els.map((el) => el.getAttribute("data-session-id")));
}

describe.runIf(existsSync(CHROMIUM))("Work sessions page in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let url: string;
  let ws: TestWorkspace;
  const cal = calendar(TIME_ZONE);
  const today = isoDate(cal.today);
  const yesterday = isoDate(cal.today.minus({ days: 1 }));

  beforeAll(async () => {
    stack = await startStack();
    url = stack.urls[0];
    ws = await newWorkspace(url, TIME_ZONE);
    browser = await launchBrowser();
    context = await newContext(browser);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  it("adds manual time, rejects an overlap in the dialog, edits a session; an employee sees only his own, read-only", async () => {
    // Someone else's time yesterday, for Tom not to see later.
    const lisaToken = await tokenFor(url, ws.manager.email);
    const { viewer } = await ok(url, `{ viewer { workspace { members(first: 100) { nodes { user { id name } } } } } }`, {}, { token: lisaToken });
    const userId = (name: string) => viewer.workspace.members.nodes.find((m: { user: { name: string } }) => m.user.name === name).user.id;
    const emma = await ok(
      url,
      `mutation($e: ID!, $s: DateTime!, $t: DateTime!) { addManualTime(input: { employeeId: $e, start: $s, end: $t, note: "Workshop" }) { __typename ... on WorkSession { id } } }`,
      { e: userId("Emma Employee"), s: instant(cal.today.minus({ days: 1 }), "09:00"), t: instant(cal.today.minus({ days: 1 }), "10:00") },
      { token: lisaToken },
    );
    expect(emma.addManualTime.__typename).toBe("WorkSession");

    const page = await context.newPage();
    await signInAs(page, url, ws.manager.email);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Work sessions" }).click();
    await page.waitForURL(/\/work$/);

    // A date range covering yesterday.
    const filters = page.getByRole("form", { name: "Filter sessions" });
    await filters.getByLabel("From").fill(yesterday);
    await filters.getByLabel("To").fill(today);
    await row(page, emma.addManualTime.id).waitFor();
    // The person selector lists the team (a manager has TEAM_READ).
    await expect.poll(() => filters.getByLabel("Employee").locator("option").allTextContents()).toContain("Tom Employee");

    // Add time for Tom yesterday 12:30-14:00: the row appears with the M label, 1:30 net, and its note.
    const added = await addTime(page, { date: yesterday, start: "12:30", end: "14:00", note: NOTE });
    await added.waitFor({ state: "detached" });
    const first = page.getByTestId("work-row").filter({ hasText: "Tom Employee" }).filter({ hasText: "12:30–14:00" });
    await first.waitFor();
    const firstId = (await first.getAttribute("data-session-id"))!;
    expect(await first.getByTestId("manual-label").textContent()).toBe("M");
    expect(await first.getByTestId("net-duration").textContent()).toBe("1:30");
    expect(await first.getByTestId("notes-icon").getAttribute("aria-label")).toBe(`Notes: ${NOTE}`);
    expect(await first.getByRole("button", { name: "Edit" }).count()).toBe(1);
    expect(await page.getByRole("status").textContent()).toContain("Added 1:30 for Tom Employee");

    // 13:00-13:30 overlaps it: the dialog names the conflict, stays open, and nothing is added.
    const clash = await addTime(page, { date: yesterday, start: "13:00", end: "13:30" });
    const alert = clash.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("Overlaps Tom Employee's manual time");
    expect(await alert.textContent()).toContain("12:30–14:00");
    expect(await alert.getAttribute("data-conflicting-ids")).toBe(firstId);
    await snap(page, "work-conflict");
    await clash.getByRole("button", { name: "Cancel" }).click();
    await clash.waitFor({ state: "detached" });
    const tomRows = page.getByTestId("work-row").filter({ hasText: "Tom Employee" });
    expect(await tomRows.count()).toBe(1);
    const tomSessions = async () =>
      (
        await ok(
          url,
          `query($f: LocalDate!, $t: LocalDate!, $e: ID) { workSessions(from: $f, to: $t, employeeId: $e, first: 50) { nodes { id startedAt endedAt } } }`,
          { f: yesterday, t: today, e: userId("Tom Employee") },
          { token: lisaToken },
        )
      ).workSessions.nodes;
    expect(await tomSessions()).toHaveLength(1);

    // Back to back (14:00-15:00) is no overlap.
    const second = await addTime(page, { date: yesterday, start: "14:00", end: "15:00" });
    await second.waitFor({ state: "detached" });
    await expect.poll(() => tomRows.count()).toBe(2);
    const next = tomRows.filter({ hasText: "14:00–15:00" });
    expect(await next.getByTestId("net-duration").textContent()).toBe("1:00");
    expect(await next.getByTestId("notes-icon").count()).toBe(0);

    // Edit the first one to 12:45-14:00 with new notes: 1:15.
    await row(page, firstId).getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: "Edit session" });
    expect(await edit.getByLabel("Date").inputValue()).toBe(yesterday);
    expect(await edit.getByLabel("Start").inputValue()).toBe("12:30");
    expect(await edit.getByLabel("End").inputValue()).toBe("14:00");
    expect(await edit.getByLabel("Notes").inputValue()).toBe(NOTE);
    await edit.getByLabel("Start").fill("12:45");
    await edit.getByLabel("Notes").fill("Corrected");
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "detached" });
    await expect.poll(() => row(page, firstId).getByTestId("net-duration").textContent()).toBe("1:15");
    expect(await row(page, firstId).getByTestId("session-span").textContent()).toContain("12:45–14:00");
    expect(await row(page, firstId).getByTestId("notes-icon").getAttribute("aria-label")).toBe("Notes: Corrected");
    expect((await tomSessions()).map((s: { id: string }) => s.id)).toContain(firstId);

    // The detail panel of a manual session: notes, no app activity, no AFK.
    await row(page, firstId).getByRole("button", { name: "Detail" }).click();
    const detail = page.getByRole("dialog", { name: /Tom Employee/ });
    await detail.getByText("Manual time has no app activity.").waitFor();
    expect(await detail.getByText("Corrected").count()).toBe(1);
    expect(await detail.getByTestId("detail-netSeconds").textContent()).toBe("1:15");
    await page.keyboard.press("Escape");
    await detail.waitFor({ state: "detached" });

    // Group by employee: one accordion per person with their totals over the range.
    await page.getByRole("switch", { name: "Group by employee" }).check();
    const tomGroup = page.getByTestId("work-group").filter({ hasText: "Tom Employee" });
    await tomGroup.waitFor();
    await expect.poll(() => tomGroup.getByTestId("group-net").textContent()).toBe("2:15");
    expect(await tomGroup.getByTestId("group-first-arrival").textContent()).toContain("12:45");
    expect(await tomGroup.getByTestId("group-last-departure").textContent()).toContain("15:00");
    expect(await page.getByTestId("work-group").count()).toBe(2);
    await tomGroup.locator("summary").click();
    await tomGroup.getByTestId("work-row").first().waitFor();
    expect(await tomGroup.getByTestId("work-row").count()).toBe(2);
    await snap(page, "work-grouped");
    await page.close();

    // Tom, in a fresh browser: only his own sessions, no Add time, no Edit, no person selector.
    const tomContext = await newContext(browser);
    const tomPage = await tomContext.newPage();
    await signInAs(tomPage, url, ws.employee.email);
    await tomPage.goto(`${url}/work`);
    const tomFilters = tomPage.getByRole("form", { name: "Filter sessions" });
    await tomFilters.getByLabel("From").fill(yesterday);
    await tomFilters.getByLabel("To").fill(today);
    await row(tomPage, firstId).waitFor();
    const visible = tomPage.getByTestId("work-row");
    await expect.poll(() => visible.count()).toBe(2);
    expect((await rowIds(visible)).sort()).toEqual((await tomSessions()).map((s: { id: string }) => s.id).sort());
    expect(await visible.filter({ hasText: "Emma Employee" }).count()).toBe(0);
    expect(await row(tomPage, emma.addManualTime.id).count()).toBe(0);
    expect(await tomPage.getByRole("button", { name: "Add time" }).count()).toBe(0);
    expect(await tomPage.getByRole("button", { name: "Edit" }).count()).toBe(0);
    expect(await tomPage.getByRole("button", { name: "Detail" }).count()).toBe(2);
    expect(await tomFilters.getByLabel("Employee").count()).toBe(0);
    await snap(tomPage, "work-employee");
    await tomContext.close();
  });

  it("a range that ended yesterday keeps its group total still while a session open since then ticks on", async () => {
    const own = await newWorkspace(url, TIME_ZONE);
    const start = Date.parse(instant(cal.today.minus({ days: 1 }), "23:55"));
    const lived = Math.floor((Date.now() - start) / 1000);
    if (lived > 86_000) return; // the last minutes of the day: no event may span a day
    const events = [{ id: "overnight", type: "window", timestamp: new Date(start).toISOString(), duration: lived, data: { app: "Code", title: "main.ts" } }];
    const sent = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${own.employee.token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    expect(sent.status).toBe(200);
    const ownContext = await newContext(browser);
    const page = await ownContext.newPage();
    await signInAs(page, url, own.manager.email);
    await page.goto(`${url}/work`);
    const filters = page.getByRole("form", { name: "Filter sessions" });
    await filters.getByLabel("From").fill(yesterday);
    await filters.getByLabel("To").fill(yesterday);
    await page.getByRole("switch", { name: "Group by employee" }).check();
    const net = page.getByTestId("work-group").filter({ hasText: "Tom Employee" }).getByTestId("group-net");
    // Yesterday holds the session's five minutes before midnight, however long it runs on.
    await expect.poll(async () => seconds(await net.textContent())).toBe(300);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(seconds(await net.textContent())).toBe(300);
    await ownContext.close();
  });

  it("shows a desktop session as it opens, ticks it, stops it while AFK, and closes it live", async () => {
    const page = await context.newPage();
    await signInAs(page, url, ws.manager.email);
    await page.goto(`${url}/work`);
    await page.getByTestId("work-row").first().waitFor();

    // Emma's desktop app uploads a batch: a session opens now.
    const emma = await tokenFor(url, ws.employee2.email);
    const post = async (events: unknown[]) => {
      const res = await fetch(`${url}/api/work/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${emma}`, "content-type": "application/json" },
        body: JSON.stringify({ events }),
      });
      expect(res.status).toBe(200);
      return res.json();
    };
    const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    await post([
      { id: "w1", type: "window", timestamp: at(120_000), duration: 60, data: { app: "Figma", title: "Design" } },
      { id: "w2", type: "window", timestamp: at(30_000), duration: 25, data: { app: "Chromium", title: "Issue", url: "https://example.org/issue" } },
    ]);
    // workSessions lists open sessions too (endedAt and endReason null), counters as of serverTime.
    const open = page.locator('[data-testid="work-row"][data-state="working"]').filter({ hasText: "Emma Employee" });
    await open.waitFor({ timeout: 5000 });
    const id = (await open.getAttribute("data-session-id"))!;
    const counter = open.getByTestId("net-duration");
    const before = seconds(await counter.textContent());
    expect(before).toBeGreaterThanOrEqual(100);
    await expect.poll(async () => seconds(await counter.textContent()), { timeout: 5000 }).toBeGreaterThan(before);

    // Manual time over her open session is rejected, naming that session.
    const from = Date.now() - 5 * 60_000;
    if (localDate(from) === localDate(Date.now())) {
      const clash = await addTime(page, { employee: "Emma Employee", date: localDate(from), start: localTime(from), end: localTime(Date.now()) });
      const alert = clash.getByRole("alert");
      await alert.waitFor();
      expect(await alert.textContent()).toContain("Overlaps Emma Employee's open desktop session");
      expect(await alert.getAttribute("data-conflicting-ids")).toBe(id);
      await clash.getByRole("button", { name: "Cancel" }).click();
      await clash.waitFor({ state: "detached" });
    }

    // She goes away: the row says AFK and the net counter stops.
    await post([{ id: "k1", type: "afk", timestamp: at(5_000), duration: 0, data: { status: "afk" } }]);
    await expect.poll(() => row(page, id).getAttribute("data-state"), { timeout: 5000 }).toBe("afk");
    const paused = await row(page, id).getByTestId("net-duration").textContent();
    await page.waitForTimeout(1500);
    expect(await row(page, id).getByTestId("net-duration").textContent()).toBe(paused);

    // The app closes: the row is a completed session now.
    await post([{ id: "c1", type: "close", timestamp: at(0) }]);
    await expect.poll(() => row(page, id).getAttribute("data-state"), { timeout: 5000 }).toBe("closed");
    await snap(page, "work-live");

    // The desktop app's screenshot of that minute joins the session.
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
    const shot = await fetch(`${url}/api/work/screenshots?takenAt=${encodeURIComponent(at(60_000))}`, {
      method: "POST",
      headers: { authorization: `Bearer ${emma}`, "content-type": "image/png" },
      body: png,
    });
    expect(shot.status).toBe(201);

    // The detail panel: apps, URLs and the screenshot (served to the manager's cookie).
    await row(page, id).getByRole("button", { name: "Detail" }).click();
    const detail = page.getByRole("dialog", { name: /Emma Employee/ });
    await detail.getByRole("cell", { name: "Figma" }).waitFor();
    expect(await detail.getByRole("cell", { name: "https://example.org/issue" }).count()).toBe(1);
    const image = detail.getByTestId("screenshot").getByRole("img");
    await image.waitFor();
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);

    // The AFK dialog in the detail panel: the manager files the time away as lunch.
    const afk = detail.getByTestId("afk-row");
    expect(await afk.count()).toBe(1);
    await afk.getByRole("combobox").selectOption("LUNCH");
    const lisa = await tokenFor(url, ws.manager.email);
    const reason = async () =>
      (await ok(url, `query($id: ID!) { node(id: $id) { ... on WorkSession { afkPeriods { reason } } } }`, { id }, { token: lisa })).node.afkPeriods[0].reason;
    await expect.poll(reason).toBe("LUNCH");
    expect(await afk.getByRole("combobox").inputValue()).toBe("LUNCH");
    await page.close();
  });

  it("shows an employee's month as a calendar with the monthly report and its CSV, and lists session notes", async () => {
    const lisaToken = await tokenFor(url, ws.manager.email);
    const { viewer } = await ok(url, `{ viewer { workspace { members(first: 100) { nodes { user { id name } } } } } }`, {}, { token: lisaToken });
    const tomId: string = viewer.workspace.members.nodes.find((m: { user: { name: string } }) => m.user.name === "Tom Employee").user.id;
    const month = yesterday.slice(0, 7);
    const report = async () =>
      (
        await ok(
          url,
          `query($m: String!, $e: ID) { workMonthlyReport(month: $m, employeeId: $e) { netSeconds days { date netSeconds } } }`,
          { m: month, e: tomId },
          { token: lisaToken },
        )
      ).workMonthlyReport as { netSeconds: number; days: { date: string; netSeconds: number }[] };
    const dayNet = (r: Awaited<ReturnType<typeof report>>) => r.days.find((d) => d.date === yesterday)?.netSeconds ?? 0;
    const hm = (secs: number) => `${Math.floor(secs / 3600)}:${String(Math.floor((secs % 3600) / 60)).padStart(2, "0")}`;
    const before = await report();

    // 1:30 of manual time for Tom yesterday with a note. The first test already gave him 12:45–15:00 that day
    // (12:30–14:00 would overlap it): 16:30–18:00 in Berlin is clear of it.
    const note = "Client workshop at their office";
    const start = Date.parse(instant(cal.today.minus({ days: 1 }), "16:30"));
    const end = start + 90 * 60_000;
    const added = await ok(
      url,
      `mutation($e: ID!, $s: DateTime!, $t: DateTime!, $n: String) { addManualTime(input: { employeeId: $e, start: $s, end: $t, note: $n }) { __typename ... on WorkSession { id netSeconds } } }`,
      { e: tomId, s: new Date(start).toISOString(), t: new Date(end).toISOString(), n: note },
      { token: lisaToken },
    );
    expect(added.addManualTime).toMatchObject({ __typename: "WorkSession", netSeconds: 5400 });
    const after = await report();
    expect(after.netSeconds - before.netSeconds).toBe(5400);
    expect(dayNet(after) - dayNet(before)).toBe(5400);

    // The employee detail page: this month by default; yesterday may be last month's.
    const page = await context.newPage();
    await signInAs(page, url, ws.manager.email);
    await page.goto(`${url}/work/employees/${tomId}`);
    await page.getByRole("heading", { name: "Tom Employee" }).waitFor();
    if (month !== today.slice(0, 7)) await page.getByLabel("Month", { exact: true }).fill(month);
    const day = page.locator(`[data-testid="calendar-day"][data-date="${yesterday}"]`);
    await day.waitFor();
    // Yesterday's total: the new 1:30 on top of whatever Tom had that day already (nothing when run alone).
    await expect.poll(() => day.getByTestId("day-net").textContent()).toBe(hm(dayNet(before) + 5400));
    if (dayNet(before) === 0) expect(await day.getByTestId("day-net").textContent()).toBe("1:30");
    const entry = day.getByTestId("calendar-session").filter({ hasText: `${localTime(start)}–${localTime(end)}` });
    expect(await entry.count()).toBe(1);
    expect(await entry.locator("abbr").textContent()).toBe("M");
    expect(await page.getByTestId("calendar-day").count()).toBe(new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5)), 0)).getUTCDate());

    // The monthly report's totals include it.
    expect(seconds(await page.getByTestId("report-net").textContent())).toBe(Math.floor(after.netSeconds / 60) * 60);
    expect(Number(await page.getByTestId("report-days-worked").textContent())).toBeGreaterThanOrEqual(1);
    await snap(page, "work-employee-detail");

    // Download CSV: the same cookie gets the report as text/csv.
    const href = (await page.getByRole("link", { name: "Download CSV" }).getAttribute("href"))!;
    const csv = await page.request.get(new URL(href, url).toString());
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toContain("text/csv");
    expect(await csv.text()).toContain(yesterday);

    // The session notes report (last 30 days) lists the note, with the employee and the times.
    await page.goto(`${url}/work/notes`);
    const noteRow = page.getByTestId("note-row").filter({ hasText: note });
    await noteRow.waitFor();
    expect(await noteRow.textContent()).toContain("Tom Employee");
    expect(await noteRow.textContent()).toContain(`${localTime(start)}–${localTime(end)}`);
    // A manager narrows it to one person.
    const filters = page.getByRole("form", { name: "Filter notes" });
    await expect.poll(() => filters.getByLabel("Employee").locator("option").allTextContents()).toContain("Tom Employee");
    await filters.getByLabel("Employee").selectOption({ label: "Tom Employee" });
    await expect.poll(() => page.getByTestId("note-row").filter({ hasText: "Emma Employee" }).count()).toBe(0);
    await noteRow.waitFor();
    expect((await page.getByTestId("note-row").allTextContents()).every((t) => t.includes("Tom Employee"))).toBe(true);
    await snap(page, "work-notes");
    await page.close();
  });

  it("saves the inactivity timeout and merges overlapping sessions from the settings page", async () => {
    // Overlaps only exist in data loaded without the database's constraint; make some the same way.
    const db = stack.databaseUrl ? new pg.Client({ connectionString: stack.databaseUrl }) : null;
    await db?.connect();
    await db?.query(`ALTER TABLE "WorkSession" DROP CONSTRAINT "WorkSession_no_overlap"`);
    const day = cal.firstMondayOf(-1);
    for (const [start, end] of [[instant(day, "08:00"), instant(day, "10:00")], [instant(day, "09:00"), instant(day, "11:00")]]) {
      await db?.query(
        `INSERT INTO "WorkSession" (id, "workspaceId", "userId", "startedAt", "endedAt", "lastActivityAt", "endReason", "updatedAt")
         SELECT gen_random_uuid(), m."workspaceId", u.id, $1, $2, $2, 'inactivity', now() FROM "User" u JOIN "Membership" m ON m."userId" = u.id WHERE u.email = $3`,
        [start, end, ws.employee2.email],
      );
    }
    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.getByRole("link", { name: "Work settings" }).click();
    const timeout = page.getByLabel("Auto-close open sessions after");
    await expect.poll(() => timeout.inputValue()).toBe("15");
    await timeout.fill("20");
    const timeoutSave = page.getByRole("form", { name: "Inactivity timeout" }).getByRole("button", { name: "Save" });
    await timeoutSave.click();
    await expect.poll(() => timeoutSave.isDisabled()).toBe(true);
    await page.getByRole("status").filter({ hasText: "Open sessions now close after 20 minutes without activity." }).waitFor();
    // The AFK dialog's threshold saves on its own; the timeout stays as saved.
    const prompt = page.getByLabel("Ask what the time was after");
    expect(await prompt.inputValue()).toBe("3");
    await prompt.fill("5");
    const promptSave = page.getByRole("form", { name: "AFK dialog" }).getByRole("button", { name: "Save" });
    await promptSave.click();
    await expect.poll(() => promptSave.isDisabled()).toBe(true);
    await page.getByRole("status").filter({ hasText: "The AFK question now comes after 5 minutes away." }).waitFor();
    const lisaToken = await tokenFor(url, ws.manager.email);
    expect((await ok(url, `{ workSettings { inactivityMinutes afkPromptMinutes } }`, {}, { token: lisaToken })).workSettings).toEqual({ inactivityMinutes: 20, afkPromptMinutes: 5 });

    await page.getByLabel("Employee").selectOption({ label: "Emma Employee" });
    await page.getByRole("button", { name: "Find overlapping sessions" }).click();
    if (!db) {
      await page.getByText("No overlapping sessions found.").waitFor();
      return page.close();
    }
    const groups = page.getByRole("table", { name: "Overlapping sessions" });
    await groups.waitFor();
    expect(await groups.locator("tbody tr").count()).toBe(1);
    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Merge 1 group" }).click();
    await page.getByText("Merged 1 group.").waitFor();
    const trail = page.getByRole("table", { name: "Merge trail" });
    await expect.poll(() => trail.locator("tbody tr").first().textContent()).toContain("Emma Employee");
    await snap(page, "work-settings-merge");
    await page.getByRole("button", { name: "Find overlapping sessions" }).click();
    await page.getByText("No overlapping sessions found.").waitFor();
    await db.query(`ALTER TABLE "WorkSession" ADD CONSTRAINT "WorkSession_no_overlap"
      EXCLUDE USING gist ("userId" WITH =, tstzrange("startedAt", COALESCE("endedAt", 'infinity'), '[)') WITH &&)`);
    await db.end();
    await page.close();
  });
});

