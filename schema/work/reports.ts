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

/** Seconds in hundredths of an hour, rounded half up. */
const hundredths = (seconds: number) => Math.round(seconds / 36);
const hours = (hundredthsOfHour: number) => (hundredthsOfHour / 100).toFixed(2);

/**
 * A column of days in hundredths of an hour that add up to the total's: each day is rounded down,
 * and the hundredths the total rounds to beyond their sum go, one each, to the days rounded down the
 * most (the earlier day on a tie). Rounded on its own, each of three days of 20 minutes would read
 * 0.33, together 0.99 beside a total of 1.00, and a payroll clerk summing the column pays another
 * amount than the total says. Each day stays within 0.01 of its exact hours.
 */
export function hundredthsAddingUp(days: number[]): number[] {
  const exact = days.map((seconds) => seconds / 36);
  const rounded = exact.map(Math.floor);
  const missing = hundredths(days.reduce((sum, seconds) => sum + seconds, 0)) - rounded.reduce((sum, h) => sum + h, 0);
  const byRemainder = days.map((_, i) => i).sort((a, b) => exact[b] - rounded[b] - (exact[a] - rounded[a]) || a - b);
  for (const i of byRemainder.slice(0, missing)) rounded[i] += 1;
  return rounded;
}

const COLUMNS = ["netSeconds", "afkSeconds", "breakSeconds", "meetingSeconds", "lunchSeconds", "callSeconds", "manualSeconds", "countedAsWorkSeconds"] as const;

/**
 * The monthly report as CSV: one row per day, then the totals. Hours have two decimals, and each
 * column's days add up to its total (see hundredthsAddingUp): the columns keep their meaning.
 */
export function reportCsv(name: string, report: ReturnType<typeof dailyTotals>) {
  const header = ["employee", "date", "net_hours", "afk_hours", "break_hours", "meeting_hours", "lunch_hours", "call_hours", "manual_hours", "counted_as_work_hours"];
  const columns = COLUMNS.map((key) => hundredthsAddingUp(report.days.map((d) => d[key])));
  const days = report.days.map((d, i) => [name, d.date, ...columns.map((column) => hours(column[i]))]);
  const total = [name, "total", ...COLUMNS.map((key) => hours(hundredths(report.total[key])))];
  // A name a spreadsheet would run as a formula (=, +, -, @) is kept as text.
  const quote = (raw: string) => {
    const v = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
    return /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
  };
  const lines = [header, ...days, total, [name, "days_worked", String(report.daysWorked)]];
  return lines.map((l) => l.map(quote).join(",")).join("\n") + "\n";
}
