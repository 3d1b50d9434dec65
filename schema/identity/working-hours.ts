import { Problems } from "../common/errors.js";
import { HH_MM } from "../common/time.js";

/** One weekday's working hours, HH:mm in the workspace time zone. */
export interface WorkingDay {
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  start: string;
  end: string;
}

/** The working days, each with its own hours; a weekday not listed is a day off. */
export type WorkingHours = WorkingDay[];

export const DEFAULT_WORKING_HOURS: WorkingHours = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: "09:00", end: "17:00" }));

/**
 * Validates working hours: each weekday 1–7 at most once, HH:mm, start before end. Each problem
 * names its entry (`workingHours.2.end`). With no `problems` collector, stored values fall back to
 * the default week.
 */
export function parseWorkingHours(value: unknown, problems?: Problems, path = "workingHours"): WorkingHours {
  const local = problems ?? new Problems();
  if (!Array.isArray(value)) {
    local.add(path, "A list of weekdays with their hours");
    return problems ? [] : DEFAULT_WORKING_HOURS;
  }
  const seen = new Set<number>();
  const days = value.map((entry, i) => {
    const day = (entry ?? {}) as Partial<WorkingDay>;
    const at = `${path}.${i}`;
    if (!Number.isInteger(day.weekday) || day.weekday! < 1 || day.weekday! > 7) local.add(`${at}.weekday`, "Weekdays are 1 (Monday) to 7 (Sunday)");
    else if (seen.has(day.weekday!)) local.add(`${at}.weekday`, "Each weekday once");
    seen.add(day.weekday!);
    const startValid = HH_MM.test(String(day.start));
    if (!startValid) local.add(`${at}.start`, "Use 24-hour HH:mm");
    if (!HH_MM.test(String(day.end))) local.add(`${at}.end`, "Use 24-hour HH:mm");
    else if (startValid && String(day.start) >= String(day.end)) local.add(`${at}.end`, "Must be after the start");
    return { weekday: Number(day.weekday), start: String(day.start), end: String(day.end) };
  });
  if (!problems && local.list.length) return DEFAULT_WORKING_HOURS;
  return days.sort((a, b) => a.weekday - b.weekday);
}

/** The hours of one ISO weekday, or undefined on a day off. */
export function hoursOn(hours: WorkingHours, weekday: number): WorkingDay | undefined {
  return hours.find((day) => day.weekday === weekday);
}
