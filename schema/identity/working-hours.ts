import { Problems } from "../common/errors.js";
import { HH_MM } from "../common/time.js";

export interface WorkingHours {
  days: number[];
  start: string;
  end: string;
}

/** Validates working hours; with no `problems` collector, stored values fall back to a sane default. */
export function parseWorkingHours(value: unknown, problems?: Problems, path = "workingHours"): WorkingHours {
  const v = (value ?? {}) as Partial<WorkingHours>;
  const local = problems ?? new Problems();
  const days = Array.isArray(v.days) ? v.days : [];
  if (!days.length || days.some((d) => !Number.isInteger(d) || d < 1 || d > 7))
    local.add(`${path}.days`, "Weekdays must be 1 (Monday) to 7 (Sunday)");
  if (!HH_MM.test(String(v.start))) local.add(`${path}.start`, "Use 24-hour HH:mm");
  if (!HH_MM.test(String(v.end))) local.add(`${path}.end`, "Use 24-hour HH:mm");
  else if (String(v.start) >= String(v.end)) local.add(`${path}.end`, "Must be after the start");
  if (!problems && local.list.length) return { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" };
  return { days: [...new Set(days)].sort(), start: String(v.start), end: String(v.end) };
}
