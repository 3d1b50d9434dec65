// Desktop work sessions: the Sessions page's queries, mutations and client-side counters.
import type { Client } from "graphql-ws";
import { received, secondsAfter } from "./clock.svelte";
import { ApiError, gql, graphql, subscribe, unwrap } from "./graphql";

import type {
  AddManualTimeMutation,
  AfkPeriodFragment,
  EditWorkSessionMutation,
  FindDuplicatesQuery,
  AfkReason,
  WorkSessionEnd,
  WorkMonthlyReportQuery,
  WorkSessionDetailFragment,
  WorkSessionFragment,
  WorkSessionMergeFragment,
  WorkSummaryQuery,
  WorkDaysQuery,
} from "./generated/graphql";
import { AWAY_COLOR, type ChartData } from "./charts";
import { formatShortDate } from "./format";
import { addDays } from "./zoned";
import type { Page } from "./paged.svelte";

export type { AfkReason };
export const AFK_REASONS: AfkReason[] = ["BREAK", "MEETING", "LUNCH", "CALL", "WORK"];
export const AFK_REASON_LABELS: Record<AfkReason, string> = { BREAK: "Break", MEETING: "Meeting", LUNCH: "Lunch", CALL: "Call", WORK: "Work (counted as worked time)" };

export const END_REASON_LABELS: Record<WorkSessionEnd, string> = {
  APP_CLOSED: "Closed in the desktop app",
  INACTIVITY: "Auto-closed after inactivity",
  MANUAL: "Added or edited by a manager",
};

graphql(`fragment AfkPeriod on AfkPeriod { id startedAt endedAt reason unanswered }`);
// AFK periods spelled out, not spread: the API's cost limit counts each fragment spread one level
// deeper (x1.5), and a month of 100 sessions would go over it.
graphql(`
  fragment WorkSession on WorkSession {
    id employee { id name } startedAt endedAt endReason manual notes serverTime
    totalSeconds netSeconds afkSeconds breakSeconds meetingSeconds lunchSeconds callSeconds countedAsWorkSeconds
    afkPeriods { id startedAt endedAt reason unanswered }
  }
`);
graphql(`
  fragment WorkSessionDetail on WorkSession {
    ...WorkSession apps { name seconds } urls { name seconds } screenshots { id takenAt mime size url }
    appTimeline { name startedAt endedAt } urlTimeline { name startedAt endedAt }
  }
`);

/** `unanswered`: the AFK dialog still asks about it (over, long enough, no reason yet). */
export type AfkPeriod = AfkPeriodFragment;
export type WorkSession = WorkSessionFragment;
/** Screenshot `url`s are same origin, authenticated by the session cookie. */
export type WorkSessionDetail = WorkSessionDetailFragment;
export type UsageShare = WorkSessionDetail["apps"][number];
/** `countedAsWorkSeconds`: AFK the employee said was work, part of net time, flagged for managers. */
export type Durations = Pick<
  WorkSession,
  "totalSeconds" | "netSeconds" | "afkSeconds" | "breakSeconds" | "meetingSeconds" | "lunchSeconds" | "callSeconds" | "countedAsWorkSeconds"
>;

/** A session as fetched, with the local moment (performance.now()) its counters were valid. */
export type Tracked<T extends WorkSession = WorkSession> = T & { receivedAt: number };

export type EmployeeSummary = WorkSummaryQuery["workSummary"][number];

export interface Member {
  id: string;
  name: string;
}

export interface Filters {
  from: string;
  to: string;
  employeeId: string | null;
}

// Literals in the queries: the API's cost limit counts literal page sizes, not variables.
const SESSION_LISTS = {
  page: graphql(`
    query WorkSessions($from: LocalDate!, $to: LocalDate!, $employeeId: ID, $after: String) {
      workSessions(from: $from, to: $to, employeeId: $employeeId, first: 50, after: $after) {
        nodes { ...WorkSession } pageInfo { hasNextPage endCursor }
      }
    }
  `),
  notes: graphql(`
    query WorkSessionNotes($from: LocalDate!, $to: LocalDate!, $employeeId: ID, $after: String) {
      workSessions(from: $from, to: $to, employeeId: $employeeId, withNotes: true, first: 50, after: $after) {
        nodes { ...WorkSession } pageInfo { hasNextPage endCursor }
      }
    }
  `),
  month: graphql(`
    query WorkSessionsOfMonth($from: LocalDate!, $to: LocalDate!, $employeeId: ID, $after: String) {
      workSessions(from: $from, to: $to, employeeId: $employeeId, first: 100, after: $after) {
        nodes { ...WorkSession } pageInfo { hasNextPage endCursor }
      }
    }
  `),
};

/** One page of sessions overlapping the range: 50 of them, or 50 with notes (the notes report), or 100 (a month). */
export async function fetchSessions(filters: Filters, after: string | null, list: keyof typeof SESSION_LISTS = "page"): Promise<Page<Tracked>> {
  const { workSessions } = await gql(SESSION_LISTS[list], { ...filters, after });
  const receivedAt = performance.now();
  return { nodes: workSessions.nodes.map((s) => received(s, receivedAt)), ...workSessions.pageInfo };
}

/** One session with its app and URL breakdown; null when it doesn't exist or isn't visible to you. */
export async function fetchSessionDetail(id: string): Promise<Tracked<WorkSessionDetail> | null> {
  const { node } = await gql(graphql(`query WorkSessionDetail($id: ID!) { node(id: $id) { __typename ...WorkSessionDetail } }`), { id });
  return node?.__typename === "WorkSession" ? received(node) : null;
}

/** One session without its breakdown (to name the session a conflict points at); null when not visible. */
export async function fetchSession(id: string): Promise<Tracked | null> {
  const { node } = await gql(graphql(`query WorkSession($id: ID!) { node(id: $id) { __typename ...WorkSession } }`), { id });
  return node?.__typename === "WorkSession" ? received(node) : null;
}

export async function fetchSummary(filters: Filters): Promise<EmployeeSummary[]> {
  const data = await gql(
    graphql(`
      query WorkSummary($from: LocalDate!, $to: LocalDate!, $employeeId: ID) {
        workSummary(from: $from, to: $to, employeeId: $employeeId) {
          employee { id name } sessionCount netSeconds afkSeconds breakSeconds meetingSeconds lunchSeconds callSeconds
          manualSeconds firstArrival lastDeparture serverTime
        }
      }
    `),
    filters,
  );
  return data.workSummary;
}

/** The workspace's members for the person selector (needs TEAM_READ), by name. */
export async function fetchMembers(): Promise<Member[]> {
  const data = await gql(graphql(`query WorkMembers { viewer { workspace { members(first: 100) { nodes { user { id name } } } } } }`));
  return (data.viewer?.workspace.members.nodes ?? [])
    .map((m) => m.user)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The API said the new bounds overlap another session: `conflictingIds` names it (may be empty in a race). */
export class OverlapError extends ApiError {
  constructor(
    message: string,
    readonly conflictingIds: string[],
  ) {
    super(message, "CONFLICT");
    this.name = "OverlapError";
  }
}

graphql(`fragment Conflict on ConflictError { conflictingIds }`);

function sessionFrom(result: AddManualTimeMutation["addManualTime"] | EditWorkSessionMutation["editWorkSession"]): Tracked {
  if (result.__typename === "ConflictError") {
    throw new OverlapError(result.message || "Overlaps another session", result.conflictingIds.filter(Boolean));
  }
  return received(unwrap(result, "WorkSession"));
}

export async function addManualTime(input: { employeeId: string; start: string; end: string; note: string }): Promise<Tracked> {
  const { addManualTime } = await gql(
    graphql(`
      mutation AddManualTime($employeeId: ID!, $start: DateTime!, $end: DateTime!, $note: String) {
        addManualTime(input: { employeeId: $employeeId, start: $start, end: $end, note: $note }) { __typename ...Failure ...Problems ...Conflict ...WorkSession }
      }
    `),
    input,
  );
  return sessionFrom(addManualTime);
}

export async function editWorkSession(input: { id: string; start: string; end: string; notes: string }): Promise<Tracked> {
  const { editWorkSession } = await gql(
    graphql(`
      mutation EditWorkSession($id: ID!, $start: DateTime!, $end: DateTime!, $notes: String) {
        editWorkSession(input: { id: $id, start: $start, end: $end, notes: $notes }) { __typename ...Failure ...Problems ...Conflict ...WorkSession }
      }
    `),
    input,
  );
  return sessionFrom(editWorkSession);
}

export async function setAfkReason(afkPeriodId: string, reason: AfkReason | null): Promise<AfkPeriod> {
  const { setAfkReason } = await gql(
    graphql(`
      mutation SetAfkReason($afkPeriodId: ID!, $reason: AfkReason) {
        setAfkReason(input: { afkPeriodId: $afkPeriodId, reason: $reason }) { __typename ...Failure ...AfkPeriod }
      }
    `),
    { afkPeriodId, reason },
  );
  return unwrap(setAfkReason, "AfkPeriod");
}

const AFK_PROMPTS = graphql(`subscription AfkPromptsChanged { afkPromptsChanged { ...AfkPeriod } }`);

/** Your unanswered AFK periods, newest first, each time they change (you came back, or answered elsewhere). */
export function watchAfkPrompts(client: Client, on: { prompts: (list: AfkPeriod[]) => void; failed: (error: unknown) => void }) {
  return subscribe(client, AFK_PROMPTS, { data: (data) => on.prompts(data.afkPromptsChanged), failed: on.failed });
}

/** The AFK period still running in an open session (the employee is away right now). */
export function openAfk(s: WorkSession): AfkPeriod | null {
  return s.endedAt ? null : (s.afkPeriods.find((a) => !a.endedAt) ?? null);
}

/**
 * The server's durations as of serverTime, advanced on this device while the session is open:
 * net time while working, AFK time (and its reason's) while away.
 */
export function durationsAt(s: Tracked, now: number): Durations {
  const d: Durations = {
    totalSeconds: s.totalSeconds,
    netSeconds: s.netSeconds,
    afkSeconds: s.afkSeconds,
    breakSeconds: s.breakSeconds,
    meetingSeconds: s.meetingSeconds,
    lunchSeconds: s.lunchSeconds,
    callSeconds: s.callSeconds,
    countedAsWorkSeconds: s.countedAsWorkSeconds,
  };
  if (s.endedAt) return d;
  const elapsed = secondsAfter(s.serverTime, now);
  d.totalSeconds += elapsed;
  const away = openAfk(s);
  if (!away || away.reason === "WORK") d.netSeconds += elapsed;
  if (away?.reason === "WORK") d.countedAsWorkSeconds += elapsed;
  else if (away) {
    d.afkSeconds += elapsed;
    if (away.reason) d[`${away.reason.toLowerCase() as Exclude<Lowercase<AfkReason>, "work">}Seconds`] += elapsed;
  }
  return d;
}

/** Whether the net counter of an open session is running (open, nobody away). */
export function isTicking(s: WorkSession) {
  return !s.endedAt && !openAfk(s);
}

// Employee detail (monthly calendar and report) and the session notes report.

/** `csvUrl` is same origin, authenticated by the session cookie. */
export type MonthlyReport = WorkMonthlyReportQuery["workMonthlyReport"];
export type WorkDay = MonthlyReport["days"][number];

/** An employee's month (YYYY-MM); the API answers FORBIDDEN for someone else's unless you may see the team. */
export async function fetchMonthlyReport(month: string, employeeId: string): Promise<MonthlyReport> {
  const data = await gql(
    graphql(`
      query WorkMonthlyReport($month: String!, $employeeId: ID) {
        workMonthlyReport(month: $month, employeeId: $employeeId) {
          month employee { id name } daysWorked csvUrl
          netSeconds afkSeconds breakSeconds meetingSeconds lunchSeconds callSeconds manualSeconds
          days { date netSeconds afkSeconds breakSeconds meetingSeconds lunchSeconds callSeconds manualSeconds }
        }
      }
    `),
    { month, employeeId },
  );
  return data.workMonthlyReport;
}

/** Every session overlapping the range (one person's month: a page or two of 100). */
export async function fetchAllSessions(filters: Filters): Promise<Tracked[]> {
  const all: Tracked[] = [];
  let after: string | null = null;
  for (let i = 0; i < 20; i++) {
    const page = await fetchSessions(filters, after, "month");
    const known = new Set(all.map((s) => s.id));
    all.push(...page.nodes.filter((s) => !known.has(s.id)));
    after = page.endCursor;
    if (!page.hasNextPage) break;
  }
  return all;
}

// The chart of each day's work and time away: over the filtered range on the Sessions page, over
// the month on an employee's page.

const WORK_DAYS = graphql(`
  query WorkDays($from: LocalDate!, $to: LocalDate!, $employeeId: ID) {
    workDays(from: $from, to: $to, employeeId: $employeeId) { date netSeconds afkSeconds breakSeconds lunchSeconds meetingSeconds callSeconds }
  }
`);

type WorkDayTotals = Omit<WorkDaysQuery["workDays"][number], "__typename">;

/** The parts of a day's stack: net work, then the AFK reasons, then AFK nobody gave a reason for. */
const DAY_PARTS: { label: string; color: string; seconds: (d: WorkDayTotals) => number }[] = [
  { label: "Net work", color: "#2f6fde", seconds: (d) => d.netSeconds },
  { label: "Break", color: "#1f9d55", seconds: (d) => d.breakSeconds },
  { label: "Lunch", color: "#d08700", seconds: (d) => d.lunchSeconds },
  { label: "Meeting", color: "#8957e5", seconds: (d) => d.meetingSeconds },
  { label: "Call", color: "#0f8b8d", seconds: (d) => d.callSeconds },
  { label: "AFK, no reason", color: AWAY_COLOR, seconds: (d) => d.afkSeconds - d.breakSeconds - d.lunchSeconds - d.meetingSeconds - d.callSeconds },
];

/** Each of `dates` (days without work too, so the axis keeps its rhythm), stacked by part. */
export function workDayChart(days: WorkDayTotals[], dates: string[]): ChartData {
  const byDate = new Map(days.map((d) => [d.date, d]));
  const none = { date: "", netSeconds: 0, afkSeconds: 0, breakSeconds: 0, lunchSeconds: 0, meetingSeconds: 0, callSeconds: 0 };
  return {
    categories: dates.map((date) => ({ key: date, label: formatShortDate(date, true) })),
    series: DAY_PARTS.map((part) => ({ label: part.label, color: part.color, values: dates.map((date) => part.seconds(byDate.get(date) ?? none)) })),
  };
}

export async function fetchWorkDayChart(filters: Filters): Promise<ChartData> {
  const { workDays } = await gql(WORK_DAYS, filters);
  const dates: string[] = [];
  for (let date = filters.from; date <= filters.to; date = addDays(date, 1)) dates.push(date);
  return workDayChart(workDays, dates);
}

/** The dates of a month (YYYY-MM). */
export function datesOf(month: string): string[] {
  const dates: string[] = [];
  for (let date = `${month}-01`; date.startsWith(month); date = addDays(date, 1)) dates.push(date);
  return dates;
}

/** What is wrong with a date range picked in the filters, if anything. */
export function rangeProblem(from: string, to: string): string | null {
  return !from || !to ? "Pick a start and an end date" : to < from ? "The end date is before the start date" : null;
}

// Work settings: the inactivity and AFK prompt thresholds, and merging overlapping sessions.

export async function fetchWorkSettings() {
  return (await gql(graphql(`query WorkSettings { workSettings { inactivityMinutes afkPromptMinutes } }`))).workSettings;
}

const SETTING_CHANGES = {
  inactivityMinutes: graphql(`
    mutation SaveInactivityMinutes($m: Int!) {
      updateWorkSettings(input: { inactivityMinutes: $m }) { __typename ...Failure ...Problems ... on WorkSettings { value: inactivityMinutes } }
    }
  `),
  afkPromptMinutes: graphql(`
    mutation SaveAfkPromptMinutes($m: Int!) {
      updateWorkSettings(input: { afkPromptMinutes: $m }) { __typename ...Failure ...Problems ... on WorkSettings { value: afkPromptMinutes } }
    }
  `),
};

/** Saves one setting (the mutation keeps the others as stored); the value as stored. */
export async function saveWorkSetting(key: keyof typeof SETTING_CHANGES, value: number): Promise<number> {
  const { updateWorkSettings } = await gql(SETTING_CHANGES[key], { m: value });
  return unwrap(updateWorkSettings, "WorkSettings").value;
}

graphql(`fragment WorkSessionMerge on WorkSessionMerge { id mergedAt employee { name } mergedBy { name } before { sessionId startedAt endedAt } }`);

export type Merge = WorkSessionMergeFragment;
export type DuplicateGroup = Extract<FindDuplicatesQuery["workSessionDuplicates"], { __typename: "QueryWorkSessionDuplicatesSuccess" }>["data"][number];

/** The last merges, newest first. */
export async function fetchMergeTrail(): Promise<Merge[]> {
  return (await gql(graphql(`query MergeTrail { workSessionMerges(first: 20) { nodes { ...WorkSessionMerge } } }`))).workSessionMerges.nodes;
}

/** Groups of overlapping sessions (everyone's, or one employee's) that merging would make one. */
export async function findDuplicates(employeeId: string | null): Promise<DuplicateGroup[]> {
  const { workSessionDuplicates } = await gql(
    graphql(`
      query FindDuplicates($e: ID) {
        workSessionDuplicates(employeeId: $e) {
          __typename ...Failure
          ... on QueryWorkSessionDuplicatesSuccess { data { mergedStartedAt mergedEndedAt sessions { id startedAt endedAt manual employee { name } } } }
        }
      }
    `),
    { e: employeeId },
  );
  return unwrap(workSessionDuplicates, "QueryWorkSessionDuplicatesSuccess").data;
}

export async function mergeDuplicates(employeeId: string | null): Promise<Merge[]> {
  const { mergeDuplicateWorkSessions } = await gql(
    graphql(`
      mutation MergeDuplicates($e: ID) {
        mergeDuplicateWorkSessions(input: { employeeId: $e }) {
          __typename ...Failure ... on MutationMergeDuplicateWorkSessionsSuccess { data { ...WorkSessionMerge } }
        }
      }
    `),
    { e: employeeId },
  );
  return unwrap(mergeDuplicateWorkSessions, "MutationMergeDuplicateWorkSessionsSuccess").data;
}
