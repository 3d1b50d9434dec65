// The identity domain's rules that need no database: what a valid email, password and owner set are.
import { DateTime } from "luxon";
import type { Problems } from "../common/errors.js";
import type { Role } from "../common/policy.js";

export const MIN_PASSWORD = 8;
/** scrypt hashes any length, but a megabyte "password" is a way to burn CPU, not a password. */
export const MAX_PASSWORD = 1000;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function checkEmail(problems: Problems, path: string, email: string) {
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email) || email.length > 254) problems.add(path, "Not an email address");
}

export function checkNewPassword(problems: Problems, path: string, password: string) {
  if (password.length < MIN_PASSWORD) problems.add(path, `At least ${MIN_PASSWORD} characters`);
  else if (password.length > MAX_PASSWORD) problems.add(path, `At most ${MAX_PASSWORD} characters`);
}

/** Only an owner hands out, takes away or changes the owner role. */
export function touchesOwnerRole(from: Role | null, to: Role | null): boolean {
  return from === "owner" || to === "owner";
}

export const TIME_FORMATS = ["24h", "12h"] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

/** How the workspace reads weeks and clock times; kept in the settings document's `workspace` section. */
export interface WorkspaceDisplay {
  /** ISO weekday a week starts on, 1 = Monday. */
  weekStart: number;
  timeFormat: TimeFormat;
}

/** The stored display settings, with the defaults (Monday weeks, 24-hour clock) for anything unset or invalid. */
export function workspaceDisplay(settings: unknown): WorkspaceDisplay {
  const section = ((settings as Record<string, unknown> | null)?.workspace ?? {}) as Partial<WorkspaceDisplay>;
  return {
    weekStart: isWeekday(section.weekStart) ? section.weekStart : 1,
    timeFormat: TIME_FORMATS.includes(section.timeFormat as TimeFormat) ? (section.timeFormat as TimeFormat) : "24h",
  };
}

export function isWeekday(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 7;
}

/**
 * Two instants, in winter and in summer, and their local times in `zone` as this server reads it
 * (ICU, through Luxon). PostgreSQL must read the zone the same way, since reports, invoices and
 * analytics group by local day in SQL; see zoneProblem.
 */
export function zoneProbes(zone: string): { at: string; local: string }[] {
  return ["2026-01-15T12:00:00Z", "2026-07-15T12:00:00Z"].map((at) => ({ at, local: DateTime.fromISO(at, { zone }).toFormat("yyyy-MM-dd HH:mm:ss") }));
}
