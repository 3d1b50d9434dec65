// RFC 5545 calendars of client sessions, for calendar apps that subscribe to a feed URL. Pure.
import { DateTime } from "luxon";

export interface FeedEvent {
  id: string;
  name: string;
  /** Already shortened to initials unless the workspace shows full names. */
  client: string;
  staff: string;
  status: "scheduled" | "in_progress" | "completed" | "cancelled";
  startsAt: Date;
  endsAt: Date;
  sequence: number;
  updatedAt: Date;
}

/** Text values escape backslash, semicolon, comma and newlines. */
function text(value: string) {
  return value.replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\r?\n/g, "\\n");
}

/** Content lines longer than 75 octets continue on the next line after a space (never mid-character). */
function fold(line: string): string {
  const parts: string[] = [];
  let current = "";
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char);
    if (octets + size > (parts.length ? 74 : 75)) {
      parts.push(current);
      current = "";
      octets = 0;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join("\r\n ");
}

const utc = (d: Date) => DateTime.fromJSDate(d, { zone: "UTC" }).toFormat("yyyyMMdd'T'HHmmss'Z'");
const wallClock = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toFormat("yyyyMMdd'T'HHmmss");

/**
 * A time as `;TZID=zone:local`, or in UTC when that wall-clock time happens twice (the night the
 * clocks go back): parsers disagree on which occurrence such a local time means.
 */
function zoned(d: Date, zone: string) {
  const local = wallClock(d.getTime(), zone);
  const twice = [-60, -30, 30, 60].some((minutes) => wallClock(d.getTime() + minutes * 60_000, zone) === local);
  return twice ? `:${utc(d)}` : `;TZID=${zone}:${local}`;
}

function offset(minutes: number) {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
}

/**
 * The instants a zone's offset changes within [from, to), found exactly. Today's zones change on a
 * whole minute of UTC (on a whole hour only where the offset is whole hours: Adelaide changes at
 * 16:30 UTC), so the search runs on the grid of whole minutes: started anywhere else, say at a feed's
 * "now − 30 days", it lands its seconds on every transition (02:00:37), and they change each fetch.
 */
export function transitions(zone: string, from: Date, to: Date): { at: Date; before: number; after: number }[] {
  const found: { at: Date; before: number; after: number }[] = [];
  const offsetAt = (ms: number) => DateTime.fromMillis(ms, { zone }).offset;
  const step = 86_400_000;
  const wholeMinute = Math.floor(from.getTime() / 60_000) * 60_000;
  for (let ms = wholeMinute; ms < to.getTime(); ms += step) {
    const before = offsetAt(ms);
    if (offsetAt(ms + step) === before) continue;
    let [lo, hi] = [ms, ms + step];
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offsetAt(mid) === before) lo = mid;
      else hi = mid;
    }
    found.push({ at: new Date(hi), before, after: offsetAt(hi) });
  }
  return found;
}

/**
 * A VTIMEZONE covering the span: one observance per transition (DTSTART in the local time before
 * it), or a single fixed offset for zones without daylight saving.
 */
export function vtimezone(zone: string, from: Date, to: Date): string[] {
  const list = transitions(zone, from, to);
  const lines = ["BEGIN:VTIMEZONE", `TZID:${zone}`];
  if (!list.length) {
    const o = offset(DateTime.fromJSDate(from, { zone }).offset);
    lines.push("BEGIN:STANDARD", "DTSTART:19700101T000000", `TZOFFSETFROM:${o}`, `TZOFFSETTO:${o}`, "END:STANDARD");
  }
  for (const t of list) {
    const kind = t.after > t.before ? "DAYLIGHT" : "STANDARD";
    const start = DateTime.fromMillis(t.at.getTime(), { zone: "UTC" }).plus({ minutes: t.before }).toFormat("yyyyMMdd'T'HHmmss");
    lines.push(`BEGIN:${kind}`, `DTSTART:${start}`, `TZOFFSETFROM:${offset(t.before)}`, `TZOFFSETTO:${offset(t.after)}`, `END:${kind}`);
  }
  lines.push("END:VTIMEZONE");
  return lines;
}

const STATUS = { scheduled: "CONFIRMED", in_progress: "CONFIRMED", completed: "CONFIRMED", cancelled: "CANCELLED" } as const;

/** A whole feed: stable UIDs, SEQUENCE from the session, times in the workspace zone (TZID). */
export function calendarFeed(input: { name: string; zone: string; host: string; events: FeedEvent[]; span: { from: Date; to: Date } }): string {
  const { zone } = input;
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Sessions Platform//Client sessions//EN",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    `X-WR-CALNAME:${text(input.name)}`,
    `X-WR-TIMEZONE:${zone}`,
    ...vtimezone(zone, input.span.from, input.span.to),
  ];
  for (const e of input.events) {
    lines.push(
      "BEGIN:VEVENT",
      `UID:${e.id}@${input.host}`,
      `DTSTAMP:${utc(e.updatedAt)}`,
      `LAST-MODIFIED:${utc(e.updatedAt)}`,
      `SEQUENCE:${e.sequence}`,
      `DTSTART${zoned(e.startsAt, zone)}`,
      `DTEND${zoned(e.endsAt, zone)}`,
      `SUMMARY:${text(`${e.name} - ${e.client}`)}`,
      `DESCRIPTION:${text(`Client: ${e.client}\nWith: ${e.staff}\nStatus: ${e.status.replace("_", " ")}`)}`,
      `STATUS:${STATUS[e.status]}`,
      "END:VEVENT",
    );
  }
  lines.push("END:VCALENDAR");
  return lines.map(fold).join("\r\n") + "\r\n";
}
