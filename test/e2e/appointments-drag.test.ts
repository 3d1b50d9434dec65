// Moving and resizing sessions on the calendar's time grid in Chromium, with the mouse and the
// keyboard: what is dropped is saved (for that session only), an overlap is warned about and can be
// undone, leaving the session as it was. In a workspace of the test's own, next week.
import { existsSync } from "node:fs";
import { DateTime } from "luxon";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, signInAs, snap } from "../support/browser.js";
import { ok } from "../support/client.js";
import { calendar, isoDate } from "../support/dates.js";
import { startE2e, type E2e } from "../support/setup.js";

const TIME_ZONE = "Europe/Berlin";
/** The grid draws a minute as 1.5 px. */
const PX_PER_MINUTE = 1.5;

describe.runIf(existsSync(CHROMIUM))("Dragging sessions on the calendar in Chromium", () => {
  let e2e: E2e;
  // Set once the workspace is up, for the helpers below.
  let url: string;
  let owner: string;
  // Tuesday and Wednesday next week: future working days of one week, whatever today is.
  const tuesday = calendar(TIME_ZONE).monday(1).plus({ days: 1 });
  const wednesday = tuesday.plus({ days: 1 });

  const client = async (name: string) =>
    (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: name }, { token: owner })).createClient.id as string;
  const book = async (name: string, clientId: string, on: DateTime, time: string, durationMinutes: number) =>
    (
      await ok(
        url,
        `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ... on AppointmentPayload { appointment { id } } } }`,
        { i: { name, clientId, date: isoDate(on), time, durationMinutes } },
        { token: owner },
      )
    ).createAppointment.appointment.id as string;
  /** Where the API has the session: its local date, start and end in the workspace's zone. */
  const stored = async (id: string) => {
    const { node } = await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { startsAt endsAt } } }`, { id }, { token: owner });
    const local = (iso: string) => DateTime.fromISO(iso, { zone: TIME_ZONE });
    return `${local(node.startsAt).toISODate()} ${local(node.startsAt).toFormat("HH:mm")}-${local(node.endsAt).toFormat("HH:mm")}`;
  };
  /** Presses at `from`'s point (x share of its width, y px from its top), moves by dx/dy in steps, releases. */
  async function dragBy(page: Page, from: Locator, y: number, dx: number, dy: number) {
    await from.scrollIntoViewIfNeeded();
    const box = (await from.boundingBox())!;
    const [x0, y0] = [box.x + box.width / 2, box.y + y];
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    await page.mouse.move(x0 + dx, y0 + dy, { steps: 12 });
    await page.mouse.up();
  }

  beforeAll(async () => {
    e2e = await startE2e(TIME_ZONE);
    [url, owner] = [e2e.url, e2e.ws.owner.token];
    const page = await e2e.context.newPage();
    await signInAs(page, url, e2e.ws.owner.email);
    await page.close();
  });
  afterAll(() => e2e?.stop());

  it("moves and resizes a session with the mouse and the keyboard, warns of overlaps and working hours, and undoes", async () => {
    const moved = await book("Physio", await client("Greta Hansen"), tuesday, "10:00", 60);
    await book("Check-up", await client("Ida Jensen"), wednesday, "14:00", 60);
    const page = await e2e.context.newPage();
    await page.goto(`${url}/appointments`);
    await page.getByLabel("Go to date").fill(isoDate(tuesday));
    const block = page.locator(`[data-testid="appointment"][data-id="${moved}"]`);
    await block.waitFor();
    const notice = page.getByTestId("move-notice");

    // Dragged down by an hour (and a few pixels, which snap to the quarter hour).
    await dragBy(page, block, 10, 0, 60 * PX_PER_MINUTE + 4);
    await expect.poll(() => notice.textContent()).toContain("11:00–12:00");
    await expect.poll(() => stored(moved)).toBe(`${isoDate(tuesday)} 11:00-12:00`);
    expect(await page.getByTestId("move-warnings").count()).toBe(0);
    await notice.getByRole("button", { name: "Keep" }).click();

    // Its bottom edge dragged down by half an hour: a later end, the same start.
    await dragBy(page, block.getByTestId("resize-handle"), 3, 0, 30 * PX_PER_MINUTE);
    await expect.poll(() => stored(moved)).toBe(`${isoDate(tuesday)} 11:00-12:30`);
    await notice.getByRole("button", { name: "Keep" }).click();

    // Onto Wednesday at 14:00, where the same staff member has a session: saved with the warning...
    const wednesdayColumn = (await page.locator(`.day-column[data-date="${isoDate(wednesday)}"]`).boundingBox())!;
    const blockBox = (await block.boundingBox())!;
    await dragBy(page, block, 10, wednesdayColumn.x + wednesdayColumn.width / 2 - (blockBox.x + blockBox.width / 2), 180 * PX_PER_MINUTE);
    await expect.poll(() => page.getByTestId("move-warnings").textContent()).toContain('Overlaps "Check-up"');
    await expect.poll(() => stored(moved)).toBe(`${isoDate(wednesday)} 14:00-15:30`);
    await snap(page, "appointments-moved-with-warning");
    // ...and undone: the session is back where it was, in the API and on the grid.
    await notice.getByRole("button", { name: "Undo" }).click();
    await page.getByRole("status").filter({ hasText: "Move undone" }).waitFor();
    expect(await stored(moved)).toBe(`${isoDate(tuesday)} 11:00-12:30`);
    await expect.poll(() => block.evaluate((b) => b.closest(".day-column")?.getAttribute("data-date"))).toBe(isoDate(tuesday));

    // The keyboard: Alt+Down moves the focused session by a quarter hour, Alt+Shift+Up moves its end back.
    await block.focus();
    await page.keyboard.press("Alt+ArrowDown");
    await expect.poll(() => stored(moved)).toBe(`${isoDate(tuesday)} 11:15-12:45`);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-id"))).toBe(moved);
    await page.keyboard.press("Alt+Shift+ArrowUp");
    await expect.poll(() => stored(moved)).toBe(`${isoDate(tuesday)} 11:15-12:30`);
    // Undo after two moves in a row puts it back where it was before the first.
    await notice.getByRole("button", { name: "Undo" }).click();
    await page.getByRole("status").filter({ hasText: "Move undone" }).waitFor();
    expect(await stored(moved)).toBe(`${isoDate(tuesday)} 11:00-12:30`);

    // Nine quick presses, a quarter hour each, to before the working day (09:00): a press made while
    // the one before is saving still counts, the last move is saved with the working-hours warning,
    // and one Undo takes back all nine.
    await block.focus();
    for (let quarter = 1; quarter <= 9; quarter++) await page.keyboard.press("Alt+ArrowUp");
    await expect.poll(() => stored(moved), { timeout: 15_000 }).toBe(`${isoDate(tuesday)} 08:45-10:15`);
    await expect.poll(() => block.textContent()).toContain("08:45");
    await expect.poll(() => page.getByTestId("move-warnings").textContent()).toContain("Outside working hours");
    await notice.getByRole("button", { name: "Undo" }).click();
    await page.getByRole("status").filter({ hasText: "Move undone" }).waitFor();
    expect(await stored(moved)).toBe(`${isoDate(tuesday)} 11:00-12:30`);

    // A short click still opens the session.
    await block.click();
    await page.getByTestId("appointment-dialog").waitFor();
    await page.close();
  });

  it("moves only the dragged session of a series, and shows a quarter-hour session's time and client on its one line", async () => {
    const hugo = await client("Hugo Ibsen");
    const { createAppointmentSeries } = await ok(
      url,
      `mutation($i: NewAppointmentSeriesInput!) { createAppointmentSeries(input: $i) { ... on AppointmentSeriesPayload { occurrences { appointment { id } } } } }`,
      { i: { name: "Weekly therapy", clientId: hugo, date: isoDate(tuesday), time: "08:00", durationMinutes: 45, repeat: { everyWeeks: 1, count: 2 } } },
      { token: owner },
    );
    const [first, second] = createAppointmentSeries.occurrences.map((o: { appointment: { id: string } }) => o.appointment.id);
    const quick = await book("Quick call", hugo, wednesday, "09:00", 15);
    const page = await e2e.context.newPage();
    await page.goto(`${url}/appointments`);
    await page.getByLabel("Go to date").fill(isoDate(tuesday));
    const block = page.locator(`[data-testid="appointment"][data-id="${first}"]`);
    await block.waitFor();

    await dragBy(page, block, 10, 0, 30 * PX_PER_MINUTE);
    await expect.poll(() => stored(first)).toBe(`${isoDate(tuesday)} 08:30-09:15`);
    expect(await stored(second)).toBe(`${isoDate(tuesday.plus({ weeks: 1 }))} 08:00-08:45`);
    await expect.poll(() => block.getByTestId("repeat-mark").count()).toBe(1);

    // 15 minutes are 24 px: one line with the time and the client first, all of it in the label.
    const short = page.locator(`[data-testid="appointment"][data-id="${quick}"]`);
    expect((await short.innerText()).trim()).toMatch(/^○\s+09:00 Hugo Ibsen · Quick call$/);
    expect(await short.getAttribute("aria-label")).toBe("09:00–09:15 Quick call, Hugo Ibsen with Owen Owner, Scheduled");
    const [line, box] = await short.evaluate((b) => [b.firstElementChild!.getBoundingClientRect().height, b.getBoundingClientRect().height]);
    expect(line).toBeLessThanOrEqual(box);
    await snap(page, "appointments-short-session");
    await page.close();
  });

  it("puts a session whose move can't be saved back where it was, and says why in words", async () => {
    const kept = await book("Intake", await client("Kari Lund"), tuesday, "13:00", 60);
    const page = await e2e.context.newPage();
    await page.goto(`${url}/appointments`);
    await page.getByLabel("Go to date").fill(isoDate(tuesday));
    const block = page.locator(`[data-testid="appointment"][data-id="${kept}"]`);
    await block.waitFor();
    const top = await block.evaluate((b) => getComputedStyle(b).top);

    // The connection drops between picking the session up and letting it go.
    await e2e.context.setOffline(true);
    await dragBy(page, block, 10, 0, 60 * PX_PER_MINUTE);
    await expect.poll(() => page.getByRole("alert").filter({ hasText: "Not moved" }).textContent()).toBe(
      "Not moved: The server can't be reached: check your connection and try again",
    );
    await e2e.context.setOffline(false);
    expect(await block.evaluate((b) => getComputedStyle(b).top)).toBe(top);
    expect(await page.getByTestId("move-notice").count()).toBe(0);
    expect(await stored(kept)).toBe(`${isoDate(tuesday)} 13:00-14:00`);
    await page.close();
  });

  it("on a phone, a swipe over a session leaves it where it is; a finger resting on it picks it up to move it", async () => {
    const moved = await book("Walk and talk", await client("Jon Dahl"), tuesday, "15:00", 60);
    const phone = await e2e.browser.newContext({ locale: "en-US", viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    const page = await phone.newPage();
    await signInAs(page, url, e2e.ws.owner.email);
    await page.goto(`${url}/appointments`);
    await page.getByLabel("Go to date").fill(isoDate(tuesday));
    const block = page.locator(`[data-testid="appointment"][data-id="${moved}"]`);
    await block.waitFor();
    // Touches as Chromium gets them from a screen (Playwright's touchscreen only taps).
    const cdp = await phone.newCDPSession(page);
    const touch = (type: "touchStart" | "touchMove" | "touchEnd", x: number, y: number) => cdp.send("Input.dispatchTouchEvent", { type, touchPoints: type === "touchEnd" ? [] : [{ x, y }] });
    /** A finger put down on the session and moved by `dy`, at once or once the session has lifted (picked up by the hold). */
    async function slide(hold: boolean, dy: number) {
      await block.scrollIntoViewIfNeeded();
      const box = (await block.boundingBox())!;
      const [x, y] = [box.x + box.width / 2, box.y + 10];
      const steps = Array.from({ length: 10 }, (_, i) => y + (dy * (i + 1)) / 10);
      if (!hold) {
        // A swipe: the moves follow the touch at once, sent together (the browser takes them in order).
        // Each awaited in turn, a busy machine could space the first move past the hold's delay.
        await Promise.all([touch("touchStart", x, y), ...steps.map((to) => touch("touchMove", x, to)), touch("touchEnd", x, y + dy)]);
        return;
      }
      await touch("touchStart", x, y);
      // Waits for the lift the person sees rather than a time: a busy phone may fire the hold's timer late.
      await page.locator(`[data-testid="appointment"][data-id="${moved}"].moving`).waitFor();
      for (const to of steps) await touch("touchMove", x, to);
      await touch("touchEnd", x, y + dy);
    }

    await slide(false, -120);
    await page.waitForLoadState("networkidle");
    expect(await page.getByTestId("move-notice").count()).toBe(0);
    expect(await stored(moved)).toBe(`${isoDate(tuesday)} 15:00-16:00`);

    await slide(true, 30 * PX_PER_MINUTE);
    await expect.poll(() => stored(moved)).toBe(`${isoDate(tuesday)} 15:30-16:30`);
    await page.getByTestId("move-notice").waitFor();
    await phone.close();
  });
});
