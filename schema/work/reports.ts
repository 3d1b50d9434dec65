// Totals per employee and per day, in the workspace time zone. Pure: sessions in, numbers out.
import { clip, type Interval } from "../common/time.js";
import type { AfkSpan, SessionTotals } from "./rules.js";
import { localDays, sessionTotals, splitByDay } from "./rules.js";

export interface ReportSession {
  userId: string;
  startedAt: Date;
  endedAt: Date | null;
  manual: boolean;
  afkPeriods: AfkSpan[];
}

export interface Totals extends SessionTotals {
  manualSeconds: number;
}

const empty = (): Totals => ({ totalSeconds: 0, netSeconds: 0, afkSeconds: 0, breakSeconds: 0, meetingSeconds: 0, lunchSeconds: 0, callSeconds: 0, countedAsWorkSeconds: 0, manualSeconds: 0 });

function add(into: Totals, part: SessionTotals, manual: boolean) {
  for (const key of Object.keys(part) as (keyof SessionTotals)[]) into[key] += part[key];
  if (manual) into.manualSeconds += part.netSeconds;
}

/**
 * Each session's part within `range`, cut at local midnights: a session across midnight counts on
 * both days, DST days have their 23 or 25 hours, and the days add up exactly to the total.
 */
export function dailyTotals(sessions: readonly ReportSession[], range: Interval, timeZone: string, now: Date) {
  const days = new Map<string, Totals>();
  const calendar = localDays(range, timeZone);
  for (const s of sessions) {
    const within = clip({ start: s.startedAt, end: s.endedAt ?? now }, range);
    if (!within) continue;
    for (const { date, span } of splitByDay(within, calendar)) {
      const day = days.get(date) ?? empty();
      add(day, sessionTotals(span, s.afkPeriods), s.manual);
      days.set(date, day);
    }
  }
  const list = [...days].map(([date, totals]) => ({ date, ...totals })).sort((a, b) => a.date.localeCompare(b.date));
  const total = empty();
  for (const d of list) add(total, d, false);
  total.manualSeconds = list.reduce((sum, d) => sum + d.manualSeconds, 0);
  return { days: list, total, daysWorked: list.filter((d) => d.netSeconds > 0).length };
}

/** Group by employee (summed by the database, see report-types.ts). */
export interface EmployeeSummary extends Totals {
  userId: string;
  sessionCount: number;
  firstArrival: Date | null;
  lastDeparture: Date | null;
  /** The instant the totals were computed at: an open session's part counts on from here. */
  serverTime: Date;
}

function hours(seconds: number) {
  return (seconds / 3600).toFixed(2);
}

/** The monthly report as CSV: one row per day, then the totals. */
export function reportCsv(name: string, report: ReturnType<typeof dailyTotals>) {
  const header = ["employee", "date", "net_hours", "afk_hours", "break_hours", "meeting_hours", "lunch_hours", "call_hours", "manual_hours", "counted_as_work_hours"];
  const row = (date: string, t: Totals) =>
    [name, date, ...[t.netSeconds, t.afkSeconds, t.breakSeconds, t.meetingSeconds, t.lunchSeconds, t.callSeconds, t.manualSeconds, t.countedAsWorkSeconds].map(hours)];
  // A name a spreadsheet would run as a formula (=, +, -, @) is kept as text.
  const quote = (raw: string) => {
    const v = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
    return /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
  };
  const lines = [header, ...report.days.map((d) => row(d.date, d)), row("total", report.total), [name, "days_worked", String(report.daysWorked)]];
  return lines.map((l) => l.map(quote).join(",")).join("\n") + "\n";
}
