// What every domain's demo data is laid out on: the demo workspace's calendar around the moment it
// is seeded, so two weeks of data always end "now", whatever the day of first start.
import { DateTime } from "luxon";

export interface DemoCalendar {
  workspaceId: string;
  timeZone: string;
  /** The moment the demo is seeded for: the newest data ends here. */
  now: Date;
  /** Today, at midnight in the workspace's time zone. */
  today: DateTime;
  /** The working days from the Monday of the week before last up to yesterday, oldest first, at midnight. */
  pastWorkingDays: DateTime[];
  /** The working days of the seven days after today, at midnight. */
  nextWorkingDays: DateTime[];
}

export function demoCalendar(workspaceId: string, timeZone: string, workingDays: number[], now: Date): DemoCalendar {
  const today = DateTime.fromJSDate(now, { zone: timeZone }).startOf("day");
  // Two whole weeks before this one: invoices can bill full weeks whatever the weekday of first start.
  const first = today.startOf("week").minus({ weeks: 2 });
  const days = (from: DateTime, count: number) => Array.from({ length: count }, (_, i) => from.plus({ days: i }));
  const working = (dates: DateTime[]) => dates.filter((day) => workingDays.includes(day.weekday));
  return {
    workspaceId,
    timeZone,
    now,
    today,
    pastWorkingDays: working(days(first, Math.round(today.diff(first, "days").days))),
    nextWorkingDays: working(days(today.plus({ days: 1 }), 7)),
  };
}

/** A local time of day ("14:30") on a demo day, as an instant. */
export function timeOn(day: DateTime, hhmm: string): Date {
  const [hour, minute] = hhmm.split(":").map(Number);
  return day.set({ hour, minute }).toJSDate();
}
