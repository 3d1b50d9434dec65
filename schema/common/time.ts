// Time as every domain uses it: half-open intervals of instants, the instants of local dates in a
// workspace's time zone, 24-hour HH:mm wall-clock times and ISO-8601 instants with an offset. Pure.
import { DateTime } from "luxon";

export interface Interval {
  start: Date;
  end: Date;
}

/** Seconds of the half-open interval [start, end), never negative. */
export function seconds(i: Interval): number {
  return Math.max(0, Math.floor((i.end.getTime() - i.start.getTime()) / 1000));
}

/** Half-open intervals overlap only if each starts before the other ends: 12:30-14:00 and 14:00-15:00 don't. */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

/** The part of an interval within another, or null when they don't overlap. */
export function clip(i: Interval, to: Interval): Interval | null {
  const start = i.start > to.start ? i.start : to.start;
  const end = i.end < to.end ? i.end : to.end;
  return start < end ? { start, end } : null;
}

/** The instants of local dates [from, to] (inclusive) in a time zone. */
export function dateRange(from: string, to: string, timeZone: string): Interval {
  return {
    start: DateTime.fromISO(from, { zone: timeZone }).startOf("day").toJSDate(),
    end: DateTime.fromISO(to, { zone: timeZone }).startOf("day").plus({ days: 1 }).toJSDate(),
  };
}

// Local dates (YYYY-MM-DD) parse as UTC midnights, so calendar days are whole 24-hour steps apart
// whatever a time zone's clocks do.
const DAY_MS = 86_400_000;

/** The local date `days` days after `date` (before, when negative). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(date) + days * DAY_MS).toISOString().slice(0, 10);
}

/** How many days `to` is after `from`, both local dates: 0 for the same day, negative before it. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);
}

/** A 24-hour wall-clock time, "00:00" to "23:59"; the groups are the hour and the minute. */
export const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** An instant as ISO-8601 with its offset (or Z, which RFC 3339 lets be lower case): a bare local date-time would be ambiguous. */
export const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([zZ]|[+-]\d{2}:\d{2})$/;

/**
 * An ISO_WITH_OFFSET instant, or null: what Date.parse reads of it, with a calendar check (Date.parse
 * rolls 2026-02-30 over into March). Read digit by digit: ingestion batches carry thousands of
 * timestamps, and the pattern with Date.parse was the API's largest cost per analytics event.
 */
export function parseTimestamp(value: unknown): Date | null {
  if (typeof value !== "string" || value.length < 17) return null;
  if (value[4] !== "-" || value[7] !== "-" || value[10] !== "T" || value[13] !== ":") return null;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  const hour = digits(value, 11, 13);
  const minute = digits(value, 14, 16);
  if (!(year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 24 && minute <= 59)) return null;
  let at = 16;
  let second = 0;
  let millis = 0;
  let fraction = 0;
  if (value[at] === ":") {
    second = digits(value, at + 1, at + 3);
    if (!(second <= 59)) return null;
    at += 3;
    if (value[at] === ".") {
      const end = fractionEnd(value, at + 1);
      if (end === at + 1 || end > at + 10) return null;
      // Milliseconds are the fraction's first three digits, the rest cut off (as Date.parse does).
      const kept = Math.min(end - at - 1, 3);
      millis = digits(value, at + 1, at + 1 + kept) * 10 ** (3 - kept);
      fraction = digits(value, at + 1, end);
      at = end;
    }
  }
  // 24:00 is the end of the day, and nothing after it.
  if (hour === 24 && (minute || second || fraction)) return null;
  const offset = offsetMinutes(value, at);
  if (offset === null) return null;
  const time = ((hour * 60 + minute - offset) * 60 + second) * 1000 + millis;
  return new Date(daysSinceEpoch(year, month, day) * DAY_MS + time);
}

/** The number the decimal digits of text[from, to) make; NaN if any is not a digit. */
function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/** Where the run of digits from `from` ends. */
function fractionEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  return i;
}

/** The offset ending the text at `at` ("Z", "z" or ±HH:MM) in minutes east of UTC, or null. */
function offsetMinutes(text: string, at: number): number | null {
  const sign = text[at];
  if (sign === "Z" || sign === "z") return at + 1 === text.length ? 0 : null;
  if ((sign !== "+" && sign !== "-") || at + 6 !== text.length || text[at + 3] !== ":") return null;
  const hours = digits(text, at + 1, at + 3);
  const minutes = digits(text, at + 4, at + 6);
  if (!(hours <= 23 && minutes <= 59)) return null;
  return (sign === "-" ? -1 : 1) * (hours * 60 + minutes);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil): Date.UTC would read years 0-99 as 1900-1999. */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}
