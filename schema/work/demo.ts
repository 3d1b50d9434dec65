// Demo desktop work: two weeks of the demo employees' working days, sent through the same ingestion
// as the desktop app's events (so sessions, activities and AFK periods are what the app would make),
// screenshots stored the way uploads are, and one session still open. Nothing keeps that one open:
// like any other it closes at its last activity once the inactivity timeout has passed.
import { crc32, deflateSync } from "node:zlib";
import type { Services } from "../common/context.js";
import { timeOn, type DemoCalendar } from "../common/demo.js";
import type { WorkEvent } from "./events.js";
import type { Recorder } from "./recording.js";
import type { AfkReason } from "./rules.js";
import { storeScreenshot, type ScreenshotQuota } from "./screenshots.js";
import { ingest } from "./service.js";

/** A stretch of the day: time in one app window, or away from the keyboard (null: not answered yet). */
type Step = { app: string; title: string; url?: string; minutes: number } | { away: AfkReason | null; minutes: number };

const github = (path: string) => `https://github.com/acme/website/${path}`;

/** A developer's day. */
const TOM: Step[] = [
  { app: "Slack", title: "#dev · Acme", minutes: 10 },
  { app: "Code", title: "checkout.ts — acme-website", minutes: 55 },
  { app: "Firefox", title: "Pull request #42 · acme/website", url: github("pull/42"), minutes: 20 },
  { away: "break", minutes: 15 },
  { app: "Code", title: "cart.test.ts — acme-website", minutes: 60 },
  { away: "lunch", minutes: 40 },
  { app: "Firefox", title: "Array.prototype.toSorted() - MDN", url: "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Array/toSorted", minutes: 15 },
  { away: "meeting", minutes: 30 },
  { app: "Code", title: "checkout.ts — acme-website", minutes: 70 },
  { app: "Terminal", title: "npm test", minutes: 20 },
  { app: "Slack", title: "#dev · Acme", minutes: 10 },
  { app: "Code", title: "README.md — acme-website", minutes: 55 },
  { app: "Firefox", title: "Issues · acme/website", url: github("issues"), minutes: 15 },
];

/** A designer's day. */
const EMMA: Step[] = [
  { app: "Mail", title: "Inbox — emma@demo.test", minutes: 15 },
  { app: "Figma", title: "Checkout flow – Acme Website", url: "https://www.figma.com/design/acme-checkout", minutes: 70 },
  { away: "call", minutes: 20 },
  { app: "Chrome", title: "Acme Website – Staging", url: "https://staging.acme.example/checkout", minutes: 25 },
  { away: "lunch", minutes: 45 },
  { app: "Figma", title: "Design system – Acme", url: "https://www.figma.com/design/acme-system", minutes: 80 },
  { away: "work", minutes: 20 },
  { app: "Slack", title: "#design · Acme", minutes: 15 },
  { app: "Chrome", title: "Checkout redesign – Notion", url: "https://www.notion.so/acme/checkout-redesign", minutes: 35 },
  { away: "break", minutes: 10 },
  { app: "Figma", title: "Checkout flow – Acme Website", url: "https://www.figma.com/design/acme-checkout", minutes: 60 },
  { app: "Mail", title: "Inbox — emma@demo.test", minutes: 15 },
];

/** Today's session of the first employee: it ends now, with an AFK period they haven't explained yet. */
const OPEN: Step[] = [
  { app: "Code", title: "checkout.ts — acme-website", minutes: 40 },
  { away: null, minutes: 8 },
  { app: "Firefox", title: "Pull request #57 · acme/website", url: github("pull/57"), minutes: 15 },
  { app: "Code", title: "payment.ts — acme-website", minutes: 52 },
];

const minutesOf = (steps: Step[]) => steps.reduce((sum, s) => sum + s.minutes, 0);

/**
 * The desktop app's events for a run of steps from `start`; a day with `variation` stretches some
 * windows by five minutes and shortens others, so no two days look alike.
 */
function stepEvents(idPrefix: string, start: Date, steps: Step[], variation: number, reasons: Map<number, AfkReason>): { events: WorkEvent[]; end: Date } {
  const events: WorkEvent[] = [];
  let at = start.getTime();
  steps.forEach((step, i) => {
    const minutes = "app" in step && variation ? Math.max(5, step.minutes + (((variation + i) % 3) - 1) * 5) : step.minutes;
    const duration = minutes * 60;
    const timestamp = new Date(at);
    const id = `${idPrefix}-${i}`;
    if ("app" in step) {
      events.push({ id, type: "window", timestamp, duration, pulsetime: 60, data: { app: step.app, title: step.title, url: step.url ?? null } });
    } else {
      events.push({ id, type: "afk", timestamp, duration, status: "afk" });
      events.push({ id: `${id}-back`, type: "afk", timestamp: new Date(at + duration * 1000), duration: 0, status: "not-afk" });
      if (step.away) reasons.set(at, step.away);
    }
    at += duration * 1000;
  });
  return { events, end: new Date(at) };
}

/** Every past working day from about nine; every other day the app is quit, else the session times out. */
function pastDays(calendar: DemoCalendar, person: number, steps: Step[], reasons: Map<number, AfkReason>): WorkEvent[] {
  return calendar.pastWorkingDays.flatMap((day, d) => {
    const start = new Date(timeOn(day, "08:50").getTime() + ((d * 7 + person * 11) % 25) * 60_000);
    const { events, end } = stepEvents(`demo-${day.toISODate()}`, start, steps, d + person + 1, reasons);
    return d % 2 ? events : [...events, { id: `demo-${day.toISODate()}-quit`, type: "close" as const, timestamp: end }];
  });
}

async function answerAfk(services: Services, person: Recorder, reasons: Map<number, AfkReason>) {
  const byReason = new Map<AfkReason, Date[]>();
  for (const [at, reason] of reasons) byReason.set(reason, [...(byReason.get(reason) ?? []), new Date(at)]);
  for (const [reason, starts] of byReason)
    await services.db.afkPeriod.updateMany({ where: { session: { ...person }, startedAt: { in: starts } }, data: { reason } });
}

/** A small PNG of a desktop: a title bar in the app's colour, a sidebar and lines of text. */
function screenImage(hue: [number, number, number]): Buffer {
  const [width, height] = [320, 200];
  const row = width * 3 + 1;
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const text = x > 90 && y > 30 && y % 14 < 4 && x < 300 - ((y * 7) % 90);
      const colour = y < 18 ? hue : x < 70 ? [46, 52, 64] : text ? [120, 128, 140] : [246, 247, 249];
      raw.set(colour, y * row + 1 + x * 3);
    }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const frame = Buffer.alloc(8);
    frame.writeUInt32BE(data.length, 0);
    frame.writeUInt32BE(crc32(body), 4);
    return Buffer.concat([frame.subarray(0, 4), body, frame.subarray(4)]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2], 8); // 8 bits per channel, RGB
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

const HUES: [number, number, number][] = [[0, 122, 204], [162, 89, 255], [255, 149, 0]];

/** Where screenshots are stored, and how many a member may upload in a day. */
export interface ScreenshotStorage {
  dataDir: string;
  quota: ScreenshotQuota;
}

/** Two screenshots on each of the last two past days, and one in the open session. */
async function takeScreenshots(services: Services, person: Recorder, storage: ScreenshotStorage, calendar: DemoCalendar, openSince: Date | null) {
  const moments = calendar.pastWorkingDays.slice(-2).flatMap((day) => [timeOn(day, "10:30"), timeOn(day, "14:30")]);
  if (openSince) moments.push(new Date(openSince.getTime() + 20 * 60_000));
  for (const [i, takenAt] of moments.entries())
    await storeScreenshot(services, person, storage, { mime: "image/png", takenAt, bytes: screenImage(HUES[i % HUES.length]) });
}

/**
 * Two weeks of work for each employee (a developer's and a designer's day, in turn); the first of
 * them is working right now: their open session's last activity is `calendar.now`.
 */
export async function seedWorkDemo(services: Services, calendar: DemoCalendar, employeeIds: string[], screenshots: ScreenshotStorage) {
  for (const [i, userId] of employeeIds.entries()) {
    const person = { workspaceId: calendar.workspaceId, userId };
    const reasons = new Map<number, AfkReason>();
    const events = pastDays(calendar, i, i % 2 ? EMMA : TOM, reasons);
    const openSince = i === 0 ? new Date(calendar.now.getTime() - minutesOf(OPEN) * 60_000) : null;
    if (openSince) events.push(...stepEvents("demo-today", openSince, OPEN, 0, reasons).events);
    await ingest(services, person, events, calendar.now);
    await answerAfk(services, person, reasons);
    await takeScreenshots(services, person, screenshots, calendar, openSince);
  }
}
