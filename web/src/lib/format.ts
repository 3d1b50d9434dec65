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
