import { ApiError } from "./graphql";
import { session, weekStart } from "./session.svelte";
import { localDateOf, weekdaysFrom } from "./zoned";

/**
 * Clock times as the workspace chose: 24-hour ("14:05") unless it picked 12-hour ("2:05 PM"),
 * whatever the reader's locale. Every time on every page is formatted with these options.
 */
function clock(): Intl.DateTimeFormatOptions {
  return (session.viewer?.workspace.timeFormat ?? session.kioskClock) === "H12"
    ? { hourCycle: "h12", hour: "numeric", minute: "2-digit" }
    : { hourCycle: "h23", hour: "2-digit", minute: "2-digit" };
}

/** H:MM:SS */
export function formatDuration(totalSeconds: number) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** Weekday and time in the workspace's time zone, e.g. "Fri 09:30 CET". */
export function formatStarted(iso: string, timeZone: string) {
  return new Intl.DateTimeFormat(undefined, { timeZone, weekday: "short", ...clock(), timeZoneName: "short" }).format(new Date(iso));
}

/** Date and clock time, e.g. "Nov 21, 2026, 14:05". */
export function formatDate(iso: string, timeZone: string) {
  return `${formatLocalDate(localDateOf(Date.parse(iso), timeZone))}, ${formatTime(iso, timeZone)}`;
}

/** A validation error reads best as its field messages. */
export function errorMessage(error: unknown) {
  if (error instanceof ApiError && error.problems.length) return error.problems.map((p) => p.message).join("; ");
  return error instanceof Error ? error.message : String(error);
}

/** H:MM, rounded down to the minute. */
export function formatHoursMinutes(totalSeconds: number) {
  const minutes = Math.max(0, Math.floor(totalSeconds / 60));
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
}

/** Amounts are integers in the currency's minor unit (cents, or yen for JPY). */
/**
 * Amounts come as strings of minor units (the API's 64-bit Money); they are shifted to a decimal
 * string, which Intl formats exactly, instead of divided as a number, which loses cents past 2^53.
 */
export function formatMoney(minorUnits: string, currency: string) {
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency });
  const fractionDigits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const negative = minorUnits.startsWith("-");
  const digits = minorUnits.replace(/^-/, "").padStart(fractionDigits + 1, "0");
  const whole = digits.slice(0, digits.length - fractionDigits);
  const decimal = `${negative ? "-" : ""}${whole}${fractionDigits ? "." + digits.slice(-fractionDigits) : ""}`;
  return format.format(decimal as `${number}`);
}

/** A calendar date (YYYY-MM-DD) as the reader writes dates, e.g. "Nov 21, 2026". */
export function formatLocalDate(date: string) {
  return new Intl.DateTimeFormat(undefined, { timeZone: "UTC", dateStyle: "medium" }).format(utcMidnight(date));
}

/** A calendar date as the instant of its midnight in UTC, to format with `timeZone: "UTC"`. */
function utcMidnight(date: string) {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

/** A calendar date short enough for a chart's axis: "Nov 21", or with its weekday "Sat, Nov 21". */
export function formatShortDate(date: string, withWeekday = false) {
  return new Intl.DateTimeFormat(undefined, { timeZone: "UTC", weekday: withWeekday ? "short" : undefined, month: "short", day: "numeric" }).format(utcMidnight(date));
}

/** An API enum value as words for the page, e.g. IN_PROGRESS -> "in progress". */
export function inWords(value: string) {
  return value.toLowerCase().replaceAll("_", " ");
}

/** The clock time of an instant in the workspace's time zone and clock, e.g. "14:05" (or "2:05 PM"). */
export function formatTime(iso: string, timeZone: string) {
  return new Intl.DateTimeFormat(undefined, { timeZone, ...clock() }).format(new Date(iso));
}

/** A wall-clock time "HH:mm" (a grid line, a working-hours bound) in the workspace's clock: "14:00" or "2:00 PM". */
export function formatWallTime(hhmm: string) {
  const [h, m] = hhmm.split(":").map(Number);
  return new Intl.DateTimeFormat(undefined, { timeZone: "UTC", ...clock() }).format(new Date(Date.UTC(2000, 0, 1, h, m)));
}

/** Short weekday names in the order of the workspace's week, e.g. ["Sun", "Mon", …]. */
export function weekdayNames(): string[] {
  const name = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", weekday: "short" });
  // 2024-01-01 was a Monday: ISO weekday n is January n.
  return weekdaysFrom(weekStart()).map((weekday) => name.format(new Date(Date.UTC(2024, 0, weekday))));
}

/** Weekday and date of a calendar date (YYYY-MM-DD), e.g. "Tue, Nov 24". */
export function formatLocalDay(date: string) {
  const [y, m, d] = date.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, { timeZone: "UTC", weekday: "short", month: "short", day: "numeric" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** Weekday and date of an instant in the workspace's time zone, e.g. "Mon, Jan 12". */
export function formatDay(iso: string, timeZone: string) {
  return new Intl.DateTimeFormat(undefined, { timeZone, weekday: "short", month: "short", day: "numeric" }).format(new Date(iso));
}

/** Date and clock time, e.g. "Mon, Jan 12 14:05". */
export function formatDayTime(iso: string, timeZone: string) {
  return `${formatDay(iso, timeZone)} ${formatTime(iso, timeZone)}`;
}

/** A span of time: "Mon, Jan 12 12:30–14:00", with the end's date when it is another day, "now" while open. */
export function formatSpan(start: string, end: string | null, timeZone: string) {
  if (!end) return `${formatDayTime(start, timeZone)}–now`;
  const sameDay = localDateOf(Date.parse(start), timeZone) === localDateOf(Date.parse(end), timeZone);
  return `${formatDayTime(start, timeZone)}–${sameDay ? formatTime(end, timeZone) : formatDayTime(end, timeZone)}`;
}
