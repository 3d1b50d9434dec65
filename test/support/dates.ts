// Dates for tests, derived from a reference the test controls (now, unless it passes another) and
// computed in the workspace's time zone, so every suite passes on any day: the first of a month just
// after local midnight, both DST Sundays, New Year's Eve, 29 February.
import { DateTime } from "luxon";

export type Day = DateTime;

/** A calendar in `zone` around `now`: every day it hands out is the start of a local day. */
export function calendar(zone: string, now: DateTime = DateTime.now()) {
  const today = now.setZone(zone).startOf("day");
  return {
    zone,
    today,
    /** The Monday `weeks` weeks after this week's Monday (negative: before). */
    monday: (weeks: number) => today.startOf("week").plus({ weeks }),
    /** The first of the month `months` months after this one (negative: before). */
    firstOfMonth: (months: number) => today.startOf("month").plus({ months }),
    /** The first Monday on or after the first of the month `months` months after this one. */
    firstMondayOf(months: number) {
      const first = today.startOf("month").plus({ months });
      return first.plus({ days: (8 - first.weekday) % 7 });
    },
    /** The next Sunday after today on which the zone changes its offset (a 23- or 25-hour day). */
    nextDstSunday(kind: "start" | "end") {
      for (let day = today.plus({ days: 1 }); day < today.plus({ years: 2 }); day = day.plus({ days: 1 })) {
        const hours = day.plus({ days: 1 }).diff(day, "hours").hours;
        if (hours === (kind === "start" ? 23 : 25)) return day;
      }
      throw new Error(`${zone} has no DST ${kind} within two years`);
    },
  };
}

/** YYYY-MM-DD, the API's LocalDate. */
export const isoDate = (day: Day) => day.toISODate()!;

/** YYYY-MM, a month as the reports take it. */
export const isoMonth = (day: Day) => day.toFormat("yyyy-MM");

function wallTime(day: Day, hhmm: string) {
  const [hour, minute, second = 0] = hhmm.split(":").map(Number);
  return day.set({ hour, minute, second, millisecond: 0 });
}

/** A local wall time on `day` as the API prints an instant: UTC with milliseconds. */
export const instant = (day: Day, hhmm: string) => wallTime(day, hhmm).toUTC().toISO()!;

/** A local wall time on `day` with the zone's offset, as a user in that zone would send it. */
export const withOffset = (day: Day, hhmm: string) => wallTime(day, hhmm).toISO({ suppressMilliseconds: true })!;

/** `hours` hours after midnight of `day` (a DST day has 23 or 25), as an instant. */
export const hoursInto = (day: Day, hours: number) => day.plus({ hours }).toUTC().toISO()!;
