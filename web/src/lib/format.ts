import { ApiError } from "./graphql";

/** H:MM:SS */
export function formatDuration(totalSeconds: number) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** Weekday and time in the workspace's time zone, e.g. "Fri 09:30 CET". */
export function formatStarted(iso: string, timeZone: string) {
  return new Intl.DateTimeFormat(undefined, {
    timeZone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  }).format(new Date(iso));
}

export function formatDate(iso: string, timeZone: string) {
  return new Intl.DateTimeFormat(undefined, { timeZone, dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
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
export function formatMoney(minorUnits: number, currency: string) {
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** digits);
}

/** A calendar date (YYYY-MM-DD) as the reader writes dates, e.g. "Nov 21, 2026". */
export function formatLocalDate(date: string) {
  const [y, m, d] = date.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, { timeZone: "UTC", dateStyle: "medium" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** Hours and minutes of an instant in the workspace's time zone, e.g. "09:30". */
export function formatClock(iso: string, timeZone: string) {
  return new Intl.DateTimeFormat(undefined, { timeZone, hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}
