// Pure rules of desktop work sessions: heartbeat merging, session assignment, durations and
// calendar splitting in the workspace time zone. No I/O; tested directly.
import { DateTime } from "luxon";
import { clip, seconds, type Interval } from "../common/time.js";

export interface WindowData {
  app: string;
  title: string;
  url?: string | null;
}

export interface Heartbeat {
  timestamp: Date;
  /** Seconds the heartbeat itself covers (0 for a plain pulse). */
  duration: number;
  data: WindowData;
}

export interface ActivitySpan extends Interval {
  data: WindowData;
}

function sameData(a: WindowData, b: WindowData) {
  return a.app === b.app && a.title === b.title && (a.url ?? null) === (b.url ?? null);
}

/**
 * ActivityWatch's heartbeat rule: a heartbeat with the same data as the last event, arriving within
 * `pulsetime` seconds of that event's end, extends it; anything else starts a new event.
 */
export function mergeHeartbeat(last: ActivitySpan | null, beat: Heartbeat, pulsetime: number): { merged: boolean; span: ActivitySpan } {
  const end = new Date(beat.timestamp.getTime() + beat.duration * 1000);
  if (last && sameData(last.data, beat.data) && beat.timestamp >= last.start && beat.timestamp.getTime() <= last.end.getTime() + pulsetime * 1000) {
    return { merged: true, span: { ...last, end: end > last.end ? end : last.end } };
  }
  return { merged: false, span: { start: beat.timestamp, end, data: beat.data } };
}

export interface SessionBounds {
  startedAt: Date;
  endedAt: Date | null;
  lastActivityAt: Date;
  /** A session the app closed takes no more events after its end: reopening starts a new one. */
  closedByApp: boolean;
}

/**
 * The session an event at `t` belongs to, late or out of order: one it falls inside, or one it
 * continues within the inactivity timeout (before its start or after its last activity).
 */
export function sessionFor<T extends SessionBounds>(sessions: readonly T[], t: Date, timeoutMs: number): T | null {
  let best: { session: T; distance: number } | null = null;
  for (const s of sessions) {
    const end = s.endedAt ?? s.lastActivityAt;
    const reachEnd = s.closedByApp ? end.getTime() : end.getTime() + timeoutMs;
    const reachStart = s.startedAt.getTime() - timeoutMs;
    const at = t.getTime();
    if (at < reachStart || at > reachEnd) continue;
    const distance = at < s.startedAt.getTime() ? s.startedAt.getTime() - at : Math.max(0, at - end.getTime());
    if (!best || distance < best.distance) best = { session: s, distance };
  }
  return best?.session ?? null;
}

/** What the AFK dialog's answer says the time was; "work" gives it back to worked time. */
export type AfkReason = "break" | "meeting" | "lunch" | "call" | "work";

export interface AfkSpan {
  startedAt: Date;
  endedAt: Date | null;
  reason: AfkReason | null;
}

export interface SessionTotals {
  totalSeconds: number;
  netSeconds: number;
  afkSeconds: number;
  breakSeconds: number;
  meetingSeconds: number;
  lunchSeconds: number;
  callSeconds: number;
  /** AFK the employee answered was work: part of net time, shown apart so a manager sees it. */
  countedAsWorkSeconds: number;
}

/**
 * Net time is the session minus AFK, except AFK answered as work; AFK is clipped to the session so
 * nothing can go negative.
 */
export function sessionTotals(session: Interval, afk: readonly AfkSpan[]): SessionTotals {
  const totals = { totalSeconds: seconds(session), netSeconds: 0, afkSeconds: 0, breakSeconds: 0, meetingSeconds: 0, lunchSeconds: 0, callSeconds: 0, countedAsWorkSeconds: 0 };
  const clipped = afk
    .map((a) => ({ reason: a.reason, span: clip({ start: a.startedAt, end: a.endedAt ?? session.end }, session) }))
    .filter((a): a is { reason: AfkReason | null; span: Interval } => a.span !== null)
    .sort((a, b) => a.span.start.getTime() - b.span.start.getTime());
  let coveredUntil = session.start;
  for (const { reason, span } of clipped) {
    // Overlapping AFK records count once.
    const start = span.start > coveredUntil ? span.start : coveredUntil;
    if (span.end <= start) continue;
    const s = seconds({ start, end: span.end });
    coveredUntil = span.end;
    if (reason === "work") {
      totals.countedAsWorkSeconds += s;
      continue;
    }
    totals.afkSeconds += s;
    if (reason) totals[`${reason}Seconds`] += s;
  }
  totals.netSeconds = Math.max(0, totals.totalSeconds - totals.afkSeconds);
  return totals;
}

/** A calendar day in a time zone: its date and the instants it starts and ends (DST days are 23 or 25 h). */
export interface LocalDay {
  date: string;
  start: Date;
  end: Date;
}

/** The local days of a range that starts and ends at local midnights (as `dateRange` gives it). */
export function localDays(range: Interval, timeZone: string): LocalDay[] {
  const days: LocalDay[] = [];
  for (let day = DateTime.fromJSDate(range.start, { zone: timeZone }).startOf("day"); day.toJSDate() < range.end; ) {
    const next = day.plus({ days: 1 });
    days.push({ date: day.toISODate()!, start: day.toJSDate(), end: next.toJSDate() });
    day = next;
  }
  return days;
}

/**
 * An interval within `days` cut at their local midnights: a session across midnight counts on both
 * days. The days are worked out once per report, not per session: time zone arithmetic was most of a
 * month's chart.
 */
export function splitByDay(i: Interval, days: readonly LocalDay[]): { date: string; span: Interval }[] {
  // The first day that ends after the interval starts (the days are in order).
  let first = 0;
  for (let last = days.length; first < last; ) {
    const middle = (first + last) >> 1;
    if (days[middle].end <= i.start) first = middle + 1;
    else last = middle;
  }
  const parts: { date: string; span: Interval }[] = [];
  for (let k = first; k < days.length && days[k].start < i.end; k++) {
    const span = clip(i, days[k]);
    if (span) parts.push({ date: days[k].date, span });
  }
  return parts;
}

export interface Span {
  startedAt: Date;
  endedAt: Date | null;
}

const endOf = (s: Span) => s.endedAt?.getTime() ?? Infinity;

/**
 * Chains of spans that overlap one another (half-open; an open span reaches to the end of time),
 * each sorted by start. Only chains of two or more: what "Merge duplicate sessions" would fold.
 */
export function overlapGroups<T extends Span>(spans: readonly T[]): T[][] {
  const sorted = [...spans].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const groups: T[][] = [];
  let current: T[] = [];
  let reach = -Infinity;
  for (const s of sorted) {
    if (s.startedAt.getTime() < reach) {
      current.push(s);
      reach = Math.max(reach, endOf(s));
      continue;
    }
    if (current.length > 1) groups.push(current);
    current = [s];
    reach = endOf(s);
  }
  if (current.length > 1) groups.push(current);
  return groups;
}

/** The union of a chain of overlapping spans: still open if any of them is. */
export function unionOf(spans: readonly Span[]): Span {
  const end = Math.max(...spans.map(endOf));
  return {
    startedAt: new Date(Math.min(...spans.map((s) => s.startedAt.getTime()))),
    endedAt: end === Infinity ? null : new Date(end),
  };
}

/**
 * Overlapping spans with the same key become one: the earliest of each chain is kept, stretched to
 * the chain's end, and the others go. Two sessions' copies of one AFK period or one app window are
 * then counted once.
 */
export function coalesce<T extends Span>(spans: readonly T[], key: (s: T) => string): { keep: T; others: T[]; endedAt: Date | null }[] {
  const byKey = new Map<string, T[]>();
  for (const s of spans) byKey.set(key(s), [...(byKey.get(key(s)) ?? []), s]);
  return [...byKey.values()].flatMap((same) =>
    overlapGroups(same).map(([keep, ...others]) => ({ keep, others, endedAt: unionOf([keep, ...others]).endedAt })),
  );
}

/** Activity of one app or URL closer than this to its previous stretch continues it on a timeline. */
export const TIMELINE_GAP_MS = 60_000;

export interface TimelineSpan extends Interval {
  name: string;
}

/**
 * An app's (or URL's) stretches of use within the session, in time order: its windows clipped to
 * the session, and joined when less than a minute apart, so a day reads as a few bars per app
 * instead of one per window title.
 */
export function timeline<T extends Interval>(activities: readonly T[], session: Interval, name: (a: T) => string | null): TimelineSpan[] {
  const sorted = [...activities].sort((a, b) => a.start.getTime() - b.start.getTime());
  const open = new Map<string, TimelineSpan>();
  const spans: TimelineSpan[] = [];
  for (const a of sorted) {
    const key = name(a);
    const within = key && clip(a, session);
    if (!key || !within) continue;
    const last = open.get(key);
    if (last && within.start.getTime() - last.end.getTime() < TIMELINE_GAP_MS) {
      if (within.end > last.end) last.end = within.end;
      continue;
    }
    const span = { name: key, ...within };
    spans.push(span);
    open.set(key, span);
  }
  return spans;
}
