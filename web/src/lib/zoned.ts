// Calendar dates and wall-clock times in the workspace's time zone, without a date library:
// Intl knows every zone's offsets, the rest is arithmetic on UTC milliseconds.

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(ms: number, timeZone: string) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour"), minute: get("minute"), second: get("second") };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The zone's offset from UTC at an instant, in minutes (Europe/Berlin in winter: 60). */
export function offsetMinutes(ms: number, timeZone: string): number {
  const p = partsIn(ms, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** The instant a wall-clock time (date YYYY-MM-DD, time HH:mm) names in a zone. In a DST gap, the time after it. */
export function zonedInstant(date: string, time: string, timeZone: string): number {
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let instant = wall - offsetMinutes(wall, timeZone) * 60_000;
  const corrected = offsetMinutes(instant, timeZone);
  if (wall - corrected * 60_000 !== instant) instant = wall - corrected * 60_000;
  return instant;
}

/** ISO-8601 with the zone's offset, e.g. 2026-11-21T09:30:00.000+01:00. */
export function isoInZone(ms: number, timeZone: string): string {
  const p = partsIn(ms, timeZone);
  const offset = offsetMinutes(ms, timeZone);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return (
    `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.${pad(((ms % 1000) + 1000) % 1000, 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** A wall-clock time in a zone as ISO-8601 with offset. */
export function zonedIso(date: string, time: string, timeZone: string): string {
  return isoInZone(zonedInstant(date, time, timeZone), timeZone);
}

/** The calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDateOf(ms: number, timeZone: string): string {
  const p = partsIn(ms, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** The wall-clock time (HH:mm, 24-hour) of an instant in a zone: for arithmetic and form fields, not for display. */
export function wallTimeOf(ms: number, timeZone: string): string {
  const p = partsIn(ms, timeZone);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

export function todayIn(timeZone: string): string {
  return localDateOf(Date.now(), timeZone);
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + days));
  return `${next.getUTCFullYear()}-${pad(next.getUTCMonth() + 1)}-${pad(next.getUTCDate())}`;
}

/** The ISO weekday (1 = Monday … 7 = Sunday) of a calendar date. */
export function weekdayOf(date: string): number {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay() || 7;
}

/** The first date of the week `date` falls in, for weeks that start on ISO weekday `weekStart`. */
export function weekStartOf(date: string, weekStart: number): string {
  return addDays(date, -((weekdayOf(date) - weekStart + 7) % 7));
}

/** The ISO weekdays of a week in order, from `weekStart`: 7 (Sunday) gives 7, 1, 2, … 6. */
export function weekdaysFrom(weekStart: number): number[] {
  return Array.from({ length: 7 }, (_, i) => ((weekStart - 1 + i) % 7) + 1);
}

export function firstOfMonth(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

/** YYYY-MM of the month before the one `date` falls in. */
export function previousMonth(date: string): string {
  const [y, m] = date.split("-").map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${pad(m - 1)}`;
}
