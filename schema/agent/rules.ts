// Pure billing rules of agent sessions and time entries: no I/O, tested directly.
import { DateTime } from "luxon";
import type { Problems } from "../common/errors.js";

export type BeatKind = "active" | "agent" | "idle";

export interface BeatSpan {
  kind: BeatKind;
  startedAt: Date;
  endedAt: Date | null;
}

/** active is always billable, agent only when the session bills agent time, idle never. */
export function isBillable(kind: BeatKind, billAgentTime: boolean): boolean {
  return kind === "active" || (kind === "agent" && billAgentTime);
}

function seconds(beat: BeatSpan, now: Date): number {
  const end = beat.endedAt ?? now;
  return Math.max(0, Math.floor((end.getTime() - beat.startedAt.getTime()) / 1000));
}

export interface SessionTotals {
  billableSeconds: number;
  activeSeconds: number;
  agentSeconds: number;
  idleSeconds: number;
}

/** Totals of a session's beats; an open beat counts up to `now`. */
export function totals(beats: readonly BeatSpan[], billAgentTime: boolean, now: Date): SessionTotals {
  const result = { billableSeconds: 0, activeSeconds: 0, agentSeconds: 0, idleSeconds: 0 };
  for (const beat of beats) {
    const s = seconds(beat, now);
    result[`${beat.kind}Seconds`] += s;
    if (isBillable(beat.kind, billAgentTime)) result.billableSeconds += s;
  }
  return result;
}

/** Whole seconds of a session's ended beats per kind, as its row keeps them. */
export interface ClosedSeconds {
  closedActiveSeconds: number;
  closedAgentSeconds: number;
  closedIdleSeconds: number;
}

const KINDS: readonly BeatKind[] = ["active", "agent", "idle"];

/**
 * The same totals from the session's running totals and its open beat (counted up to `now`), so
 * reading a session never sums every beat it ever had.
 */
export function sessionTotals(closed: ClosedSeconds, open: BeatSpan | null, billAgentTime: boolean, now: Date): SessionTotals {
  const result = { billableSeconds: 0, activeSeconds: closed.closedActiveSeconds, agentSeconds: closed.closedAgentSeconds, idleSeconds: closed.closedIdleSeconds };
  if (open) result[`${open.kind}Seconds`] += seconds(open, now);
  for (const kind of KINDS) if (isBillable(kind, billAgentTime)) result.billableSeconds += result[`${kind}Seconds`];
  return result;
}

type Span = { startedAt: Date; endedAt: Date };
const length = (span: Span) => span.endedAt.getTime() - span.startedAt.getTime();

/**
 * What a time entry may hold, for a logged entry and an edited one (`stored`: as it is now) alike.
 * A timer left running over a weekend, or a long agent session, ends up longer than a day: such an
 * entry may still be edited, and shortened, but not lengthened.
 */
export function checkEntry(problems: Problems, entry: Span & { description: string }, now: Date, stored?: Span) {
  if (entry.endedAt <= entry.startedAt) problems.add("endedAt", "Must be after the start");
  if (entry.endedAt.getTime() > now.getTime() + 60_000) problems.add("endedAt", "Can't be in the future");
  if (length(entry) > 24 * 3600_000 && !(stored && length(entry) <= length(stored))) problems.add("endedAt", "At most 24 hours per entry");
  if (entry.description.length > 500) problems.add("description", "At most 500 characters");
}

/**
 * An agent session's entry spans the session and bills its billable seconds, so it is edited by
 * its duration (at most its span); timer and manual entries by their start and end.
 */
export function checkEntryChange(
  problems: Problems,
  source: string,
  changes: { startedAt?: Date | null; endedAt?: Date | null; durationSeconds?: number | null },
  span: { startedAt: Date; endedAt: Date },
) {
  if (source !== "session") {
    if (changes.durationSeconds != null) problems.add("durationSeconds", "Change the start or end instead");
    return;
  }
  if (changes.startedAt != null) problems.add("startedAt", "An agent session's entry keeps the session's times");
  if (changes.endedAt != null) problems.add("endedAt", "An agent session's entry keeps the session's times");
  const spanSeconds = Math.floor((span.endedAt.getTime() - span.startedAt.getTime()) / 1000);
  if (changes.durationSeconds != null && (changes.durationSeconds <= 0 || changes.durationSeconds > spanSeconds))
    problems.add("durationSeconds", "Between one second and the session's length");
}

export interface WeekTotal {
  /** The week's first day (YYYY-MM-DD). */
  week: string;
  projectId: string | null;
  seconds: number;
}

/**
 * Entries summed per week and project, each counted whole in the week it started in (as the list
 * filters by start), weeks starting on ISO weekday `weekStart` in `timeZone`. Earliest week first.
 */
export function weeklyTotals(
  entries: readonly { startedAt: Date; projectId: string | null; durationSeconds: number | null }[],
  timeZone: string,
  weekStart: number,
): WeekTotal[] {
  const totals = new Map<string, WeekTotal>();
  for (const e of entries) {
    const day = DateTime.fromJSDate(e.startedAt, { zone: timeZone }).startOf("day");
    const week = day.minus({ days: (day.weekday - weekStart + 7) % 7 }).toISODate()!;
    const key = `${week} ${e.projectId}`;
    const total = totals.get(key) ?? { week, projectId: e.projectId, seconds: 0 };
    total.seconds += e.durationSeconds ?? 0;
    totals.set(key, total);
  }
  return [...totals.values()].sort((a, b) => a.week.localeCompare(b.week));
}
