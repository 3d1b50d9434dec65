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
 * An ISO_WITH_OFFSET instant, or null. Checked by pattern, then parsed natively: ingestion batches
 * carry thousands of timestamps, and a full ISO parser per event shows in the ingestion rate.
 */
export function parseTimestamp(value: unknown): Date | null {
  if (typeof value !== "string" || !ISO_WITH_OFFSET.test(value)) return null;
  const [year, month, day] = value.slice(0, 10).split("-").map(Number);
  // Date.parse rolls 2026-02-30 over into March; a calendar date must exist.
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}
