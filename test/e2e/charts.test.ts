// Charts in Chromium: each drawn from data the test made through the API, with a text alternative
// (its table) holding the numbers the test computes from that data, and fitting a 390 px phone.
import { existsSync } from "node:fs";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, pastTheEdge, signInAs, snap } from "../support/browser.js";
import { ok } from "../support/client.js";
import { calendar, instant, isoDate, isoMonth, type Day } from "../support/dates.js";
import { startE2e, type E2e } from "../support/setup.js";
import type { TestWorkspace } from "../support/workspace.js";

const TIME_ZONE = "Europe/Berlin";

/** H:MM, as the page writes durations. */
function hm(seconds: number) {
  const minutes = Math.floor(seconds / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
}

const minutesBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 1000;

/** The chart is drawn: a canvas with a size and some painted pixels. */
async function expectDrawn(chart: Locator) {
  const canvas = chart.locator("canvas");
  const box = await canvas.boundingBox();
  expect(box?.width).toBeGreaterThan(0);
  expect(box?.height).toBeGreaterThan(0);
  const painted = await canvas.evaluate((c: HTMLCanvasElement) => {
    const pixels = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let count = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) count++;
    return count;
  });
  expect(painted).toBeGreaterThan(0);
}

/** The table's cell for a category (its key) and a series, as text. */
const cell = (chart: Locator, key: string, series: string) => chart.locator(`[data-testid="chart-row"][data-key="${key}"] [data-series="${series}"]`).textContent();

async function fitsAPhone(page: Page) {
  await page.setViewportSize({ width: 390, height: 844 });
  // Chart.js redraws a canvas for its new width a frame or two after the window changes.
  await expect.poll(() => pastTheEdge(page)).toEqual([]);
  await page.setViewportSize({ width: 1360, height: 900 });
}

describe.runIf(existsSync(CHROMIUM))("charts in Chromium", () => {
  let e2e: E2e;
  let context: BrowserContext;
  let url: string;
  let ws: TestWorkspace;
  const cal = calendar(TIME_ZONE);

  beforeAll(async () => {
    e2e = await startE2e(TIME_ZONE);
    ({ context, url, ws } = e2e);
  });
  afterAll(() => e2e?.stop());

  it("Work sessions: each day's net work and AFK by reason, summed over the team, as a chart and a table", async () => {
    const d1 = cal.today.minus({ days: 2 });
    const d2 = cal.today.minus({ days: 1 });
    // Tom's desktop app on both days: 09:00-10:30, away 2 minutes at 09:10 (too short to be asked
    // about: AFK without a reason) and 30 minutes at 09:30 (answered Lunch on d1, Meeting on d2),
    // in Code but for 09:12-09:30 in Firefox.
    const DOCS = "https://example.com/docs";
    const events = (day: Day, prefix: string) => {
      const at = (hhmm: string) => instant(day, hhmm);
      const win = (id: string, time: string, duration: number) => ({
        id: prefix + id,
        type: "window",
        timestamp: at(time),
        duration,
        data: id === "w2" ? { app: "Firefox", title: "Docs", url: DOCS } : { app: "Code", title: "x" },
      });
      const afk = (id: string, time: string, status: string, duration = 0) => ({ id: prefix + id, type: "afk", timestamp: at(time), duration, data: { status } });
      return [
        win("w1", "09:00", 600), afk("a1", "09:10", "afk", 120), afk("a2", "09:12", "not-afk"),
        win("w2", "09:12", 1080), afk("a3", "09:30", "afk", 1800), afk("a4", "10:00", "not-afk"),
        win("w3", "10:00", 1800), { id: prefix + "c", type: "close", timestamp: at("10:30") },
      ];
    };
    for (const [day, prefix] of [[d1, "d1"], [d2, "d2"]] as const) {
      const res = await fetch(`${url}/api/work/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${ws.employee.token}`, "content-type": "application/json" },
        body: JSON.stringify({ events: events(day, prefix) }),
      });
      expect(res.status).toBe(200);
    }
    const SESSION = `query($f: LocalDate!) { workSessions(from: $f, to: $f, first: 5) { nodes { id afkPeriods { id startedAt } } } }`;
    const sessionIds: string[] = [];
    for (const [day, reason] of [[d1, "LUNCH"], [d2, "MEETING"]] as const) {
      const [session] = (await ok(url, SESSION, { f: isoDate(day) }, { token: ws.employee.token })).workSessions.nodes;
      sessionIds.push(session.id);
      const long = session.afkPeriods.find((a: { startedAt: string }) => a.startedAt === instant(day, "09:30"));
      await ok(url, `mutation($id: ID!, $r: AfkReason) { setAfkReason(input: { afkPeriodId: $id, reason: $r }) { __typename } }`, { id: long.id, r: reason }, { token: ws.employee.token });
    }
    // Emma's manual time on d2, 13:00-15:00, added by her manager: no time away.
    const manual = { start: instant(d2, "13:00"), end: instant(d2, "15:00") };
    const added = await ok(
      url,
      `mutation($e: ID!, $s: DateTime!, $t: DateTime!) { addManualTime(input: { employeeId: $e, start: $s, end: $t }) { __typename } }`,
      { e: ws.employee2.id, s: manual.start, t: manual.end },
      { token: ws.manager.token },
    );
    expect(added.addManualTime.__typename).toBe("WorkSession");

    // What each day should show, from the times above.
    const session = minutesBetween(instant(d1, "09:00"), instant(d1, "10:30"));
    const shortAfk = 120;
    const longAfk = 1800;
    const tomNet = session - shortAfk - longAfk;
    const emmaNet = minutesBetween(manual.start, manual.end);

    const page = await context.newPage();
    await signInAs(page, url, ws.manager.email);
    await page.goto(`${url}/work`);
    const filters = page.getByRole("form", { name: "Filter sessions" });
    await filters.getByLabel("From").fill(isoDate(cal.today.minus({ days: 3 })));
    await filters.getByLabel("To").fill(isoDate(cal.today));
    const chart = page.getByTestId("work-day-chart");
    await chart.getByRole("heading", { name: "Work time per day" }).waitFor();
    await chart.locator("canvas").waitFor();
    await expectDrawn(chart);

    // The text alternative: a row per day of the range, the same numbers.
    await expect.poll(() => cell(chart, isoDate(d2), "Net work")).toBe(hm(tomNet + emmaNet));
    expect(await chart.locator('[data-testid="chart-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-key")))).toEqual(
      [3, 2, 1, 0].map((n) => isoDate(cal.today.minus({ days: n }))),
    );
    expect(await cell(chart, isoDate(d1), "Net work")).toBe(hm(tomNet));
    expect(await cell(chart, isoDate(d1), "Lunch")).toBe(hm(longAfk));
    expect(await cell(chart, isoDate(d1), "Meeting")).toBe(hm(0));
    expect(await cell(chart, isoDate(d1), "AFK, no reason")).toBe(hm(shortAfk));
    expect(await cell(chart, isoDate(d1), "Total")).toBe(hm(session));
    expect(await cell(chart, isoDate(d2), "Meeting")).toBe(hm(longAfk));
    expect(await cell(chart, isoDate(d2), "AFK, no reason")).toBe(hm(shortAfk));
    expect(await cell(chart, isoDate(d2), "Total")).toBe(hm(session + emmaNet));
    expect(await cell(chart, isoDate(cal.today), "Total")).toBe(hm(0));
    // Parts nobody had get no column, and the canvas says the totals in one sentence.
    expect(await chart.locator("th").allTextContents()).not.toContain("Break");
    expect(await chart.getByRole("img").getAttribute("aria-label")).toContain(`${hm(2 * session + emmaNet)} in all`);

    // The table is out of sight (not out of reach of a screen reader) until asked for.
    const toggle = chart.getByRole("button", { name: "Show as table" });
    const table = page.locator(`#${await toggle.getAttribute("aria-controls")}`);
    expect((await table.boundingBox())?.width).toBeLessThanOrEqual(1);
    await toggle.click();
    expect(await chart.getByRole("button", { name: "Hide table" }).getAttribute("aria-expanded")).toBe("true");
    expect((await table.boundingBox())?.width).toBeGreaterThan(100);
    await snap(page, "work-day-chart");
    await fitsAPhone(page);

    // d1's detail: its apps and time away over time, and its URLs.
    await page.locator(`[data-testid="work-row"][data-session-id="${sessionIds[0]}"]`).getByRole("button", { name: "Detail" }).click();
    const detail = page.getByTestId("work-detail");
    const apps = detail.getByTestId("app-timeline");
    await apps.locator("canvas").waitFor();
    await expectDrawn(apps);
    const stretch = (name: string, from: string, to: string) => [name, from, to, hm(minutesBetween(instant(d1, from), instant(d1, to)))];
    const rows = (chart: Locator) => chart.locator('[data-testid="chart-row"]').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    expect(await rows(apps)).toEqual([
      stretch("Code", "09:00", "09:10"),
      stretch("AFK", "09:10", "09:12"),
      stretch("Firefox", "09:12", "09:30"),
      stretch("AFK", "09:30", "10:00"),
      stretch("Code", "10:00", "10:30"),
    ]);
    expect(await apps.getByRole("img").getAttribute("aria-label")).toContain("between 09:00 and 10:30");
    const urls = detail.getByTestId("url-timeline");
    await expectDrawn(urls);
    expect(await rows(urls)).toEqual([stretch(DOCS, "09:12", "09:30")]);
    await snap(page, "work-detail-timeline");
    await fitsAPhone(page);
    await detail.getByRole("button", { name: "Close" }).click();
    await detail.waitFor({ state: "detached" });

    // A range without work says so instead of drawing empty bars.
    await filters.getByLabel("From").fill(isoDate(cal.today.minus({ days: 30 })));
    await filters.getByLabel("To").fill(isoDate(cal.today.minus({ days: 29 })));
    await page.getByTestId("work-day-chart-empty").waitFor();
    expect(await chart.locator("canvas").count()).toBe(0);

    // Tom's month: his days only, every day of the month a row.
    await page.goto(`${url}/work/employees/${ws.employee.id}`);
    if (isoMonth(d1) !== isoMonth(cal.today)) await page.getByLabel("Month", { exact: true }).fill(isoMonth(d1));
    const month = page.getByTestId("month-day-chart");
    await month.locator("canvas").waitFor();
    await expectDrawn(month);
    await expect.poll(() => cell(month, isoDate(d1), "Net work")).toBe(hm(tomNet));
    expect(await month.locator('[data-testid="chart-row"]').count()).toBe(d1.daysInMonth);
    expect(await cell(month, isoDate(d1), "Lunch")).toBe(hm(longAfk));
    expect(await cell(month, isoDate(d1), "AFK, no reason")).toBe(hm(shortAfk));
    if (isoMonth(d2) === isoMonth(d1)) expect(await cell(month, isoDate(d2), "Total")).toBe(hm(session));
    await fitsAPhone(page);
    await page.close();
  });

  it("Entries: time by project and by client per week, as charts and tables", async () => {
    const owner = { token: ws.owner.token };
    const client = async (name: string) => (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: name }, owner)).createClient.id;
    const project = async (clientId: string, name: string) =>
      (await ok(url, `mutation($c: ID!, $n: String!) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: 9000 }) { ... on Project { id } } }`, { c: clientId, n: name }, owner))
        .createProject.id;
    const acme = await client("Acme Corp");
    const globex = await client("Globex");
    const website = await project(acme, "Acme Website");
    const app = await project(acme, "Acme App");
    const audit = await project(globex, "Globex Audit");

    // Tom's entries in last week and three weeks ago (weeks start on Monday, the workspace's default).
    const lastWeek = cal.monday(-1);
    const earlier = cal.monday(-3);
    const entries = [
      { project: website, name: "Acme Website", week: lastWeek, start: instant(lastWeek, "09:00"), end: instant(lastWeek, "11:00") },
      { project: app, name: "Acme App", week: lastWeek, start: instant(lastWeek.plus({ days: 1 }), "13:00"), end: instant(lastWeek.plus({ days: 1 }), "13:45") },
      { project: audit, name: "Globex Audit", week: earlier, start: instant(earlier.plus({ days: 2 }), "10:00"), end: instant(earlier.plus({ days: 2 }), "11:30") },
      { project: website, name: "Acme Website", week: earlier, start: instant(earlier, "09:00"), end: instant(earlier, "09:30") },
    ];
    for (const e of entries) {
      const logged = await ok(
        url,
        `mutation($p: ID!, $s: DateTime!, $t: DateTime!) { logTime(input: { projectId: $p, startedAt: $s, endedAt: $t }) { __typename } }`,
        { p: e.project, s: e.start, t: e.end },
        { token: ws.employee.token },
      );
      expect(logged.logTime.__typename).toBe("TimeEntry");
    }
    const clientOf: Record<string, string> = { "Acme Website": "Acme Corp", "Acme App": "Acme Corp", "Globex Audit": "Globex" };
    const sum = (week: Day, of: (e: (typeof entries)[number]) => boolean) =>
      entries.filter((e) => +e.week === +week && of(e)).reduce((total, e) => total + minutesBetween(e.start, e.end), 0);

    const page = await context.newPage();
    await signInAs(page, url, ws.employee.email);
    await page.goto(`${url}/entries`);
    const byProject = page.getByTestId("project-week-chart");
    const byClient = page.getByTestId("client-week-chart");
    await byProject.locator("canvas").waitFor();
    await byClient.locator("canvas").waitFor();
    await expectDrawn(byProject);
    await expectDrawn(byClient);
    expect(await byProject.getByRole("heading").textContent()).toContain("Time by project per week");

    // Twelve weeks up to this one, a row each.
    const weeks = await byProject.locator('[data-testid="chart-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-key")));
    expect(weeks).toEqual(Array.from({ length: 12 }, (_, i) => isoDate(cal.monday(i - 11))));
    for (const week of [lastWeek, earlier]) {
      for (const name of ["Acme Website", "Acme App", "Globex Audit"]) expect(await cell(byProject, isoDate(week), name)).toBe(hm(sum(week, (e) => e.name === name)));
      for (const name of ["Acme Corp", "Globex"]) expect(await cell(byClient, isoDate(week), name)).toBe(hm(sum(week, (e) => clientOf[e.name] === name)));
    }
    expect(await cell(byProject, isoDate(cal.monday(0)), "Total")).toBe(hm(0));
    // The largest project first.
    expect(await byProject.locator("thead th").allTextContents()).toEqual(["Week of", "Acme Website", "Globex Audit", "Acme App", "Total"]);
    await fitsAPhone(page);
    await snap(page, "entry-week-charts");

    // The client filter narrows the charts as it does the list.
    await page.getByLabel("Client", { exact: true }).selectOption({ label: "Globex" });
    await expect.poll(() => byProject.locator("thead th").allTextContents()).toEqual(["Week of", "Globex Audit", "Total"]);
    expect(await cell(byClient, isoDate(earlier), "Globex")).toBe(hm(sum(earlier, (e) => clientOf[e.name] === "Globex")));
    await page.close();
  });
});
