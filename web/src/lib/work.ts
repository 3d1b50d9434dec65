// Desktop work sessions: the Sessions page's queries, mutations and client-side counters.
import type { Client } from "graphql-ws";
import { received, secondsAfter } from "./clock.svelte";
import { ApiError, ERROR_FIELDS, gql, PROBLEM_FIELDS, unwrap } from "./graphql";

export type AfkReason = "BREAK" | "MEETING" | "LUNCH" | "CALL" | "WORK";
export const AFK_REASONS: AfkReason[] = ["BREAK", "MEETING", "LUNCH", "CALL", "WORK"];
export const AFK_REASON_LABELS: Record<AfkReason, string> = { BREAK: "Break", MEETING: "Meeting", LUNCH: "Lunch", CALL: "Call", WORK: "Work (counted as worked time)" };

export type EndReason = "APP_CLOSED" | "INACTIVITY" | "MANUAL";
export const END_REASON_LABELS: Record<EndReason, string> = {
  APP_CLOSED: "Closed in the desktop app",
  INACTIVITY: "Auto-closed after inactivity",
  MANUAL: "Added or edited by a manager",
};

export interface AfkPeriod {
  id: string;
  startedAt: string;
  endedAt: string | null;
  reason: AfkReason | null;
  /** The AFK dialog still asks about it (over, long enough, no reason yet). */
  unanswered: boolean;
}

export interface UsageShare {
  name: string;
  seconds: number;
}

export interface Durations {
  totalSeconds: number;
  netSeconds: number;
  afkSeconds: number;
  breakSeconds: number;
  meetingSeconds: number;
  lunchSeconds: number;
  callSeconds: number;
  /** AFK the employee said was work: part of net time, flagged for managers. */
  countedAsWorkSeconds: number;
}

export interface WorkSession extends Durations {
  id: string;
  employee: { id: string; name: string };
  startedAt: string;
  endedAt: string | null;
  endReason: EndReason | null;
  manual: boolean;
  notes: string;
  serverTime: string;
  afkPeriods: AfkPeriod[];
}

export interface Screenshot {
  id: string;
  takenAt: string;
  mime: string;
  size: number;
  /** Same origin, authenticated by the session cookie. */
  url: string;
}

export interface WorkSessionDetail extends WorkSession {
  apps: UsageShare[];
  urls: UsageShare[];
  screenshots: Screenshot[];
}

/** A session as fetched, with the local moment (performance.now()) its counters were valid. */
export type Tracked<T extends WorkSession = WorkSession> = T & { receivedAt: number };

export interface EmployeeSummary {
  employee: { id: string; name: string };
  sessionCount: number;
  netSeconds: number;
  afkSeconds: number;
  breakSeconds: number;
  meetingSeconds: number;
  lunchSeconds: number;
  callSeconds: number;
  manualSeconds: number;
  firstArrival: string | null;
  lastDeparture: string | null;
}

export interface Member {
  id: string;
  name: string;
  role: string;
}

const AFK_PERIOD = "id startedAt endedAt reason unanswered";
const SESSION = `id employee { id name } startedAt endedAt endReason manual notes serverTime
  totalSeconds netSeconds afkSeconds breakSeconds meetingSeconds lunchSeconds callSeconds countedAsWorkSeconds
  afkPeriods { ${AFK_PERIOD} }`;
const DETAIL = `${SESSION} apps { name seconds } urls { name seconds } screenshots { id takenAt mime size url }`;

// A literal in the query: the API's cost limit counts literal page sizes, not variables.
export const PAGE_SIZE = 50;

export interface Filters {
  from: string;
  to: string;
  employeeId: string | null;
}

export interface SessionPage {
  sessions: Tracked[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * One page of sessions overlapping the range; `withNotes` gives the session notes report. The page
 * size is written into the query, because the API's cost limit only counts literal page sizes.
 */
export async function fetchSessions(
  filters: Filters,
  after: string | null,
  { withNotes = false, pageSize = PAGE_SIZE }: { withNotes?: boolean; pageSize?: number } = {},
): Promise<SessionPage> {
  const data = await gql<{ workSessions: { nodes: WorkSession[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(
    `query WorkSessions($from: LocalDate!, $to: LocalDate!, $employeeId: ID, $after: String) {
      workSessions(from: $from, to: $to, employeeId: $employeeId, withNotes: ${withNotes}, first: ${pageSize}, after: $after) {
        nodes { ${SESSION} } pageInfo { hasNextPage endCursor }
      }
    }`,
    { ...filters, after },
  );
  const receivedAt = performance.now();
  return {
    sessions: data.workSessions.nodes.map((s) => received(s, receivedAt)),
    hasNextPage: data.workSessions.pageInfo.hasNextPage,
    endCursor: data.workSessions.pageInfo.endCursor,
  };
}

/** One session with its app and URL breakdown; null when it doesn't exist or isn't visible to you. */
export async function fetchSessionDetail(id: string): Promise<Tracked<WorkSessionDetail> | null> {
  const data = await gql<{ node: (WorkSessionDetail & { __typename: string }) | null }>(
    `query WorkSessionDetail($id: ID!) { node(id: $id) { __typename ... on WorkSession { ${DETAIL} } } }`,
    { id },
  );
  if (!data.node || data.node.__typename !== "WorkSession") return null;
  return received(data.node);
}

/** One session without its breakdown (to name the session a conflict points at); null when not visible. */
export async function fetchSession(id: string): Promise<Tracked | null> {
  const data = await gql<{ node: (WorkSession & { __typename: string }) | null }>(
    `query WorkSession($id: ID!) { node(id: $id) { __typename ... on WorkSession { ${SESSION} } } }`,
    { id },
  );
  if (!data.node || data.node.__typename !== "WorkSession") return null;
  return received(data.node);
}

export async function fetchSummary(filters: Filters): Promise<EmployeeSummary[]> {
  const data = await gql<{ workSummary: EmployeeSummary[] }>(
    `query WorkSummary($from: LocalDate!, $to: LocalDate!, $employeeId: ID) {
      workSummary(from: $from, to: $to, employeeId: $employeeId) {
        employee { id name } sessionCount netSeconds afkSeconds breakSeconds meetingSeconds lunchSeconds callSeconds
        manualSeconds firstArrival lastDeparture
      }
    }`,
    { ...filters },
  );
  return data.workSummary;
}

/** The workspace's members for the person selector (needs TEAM_READ), by name. */
export async function fetchMembers(): Promise<Member[]> {
  const data = await gql<{ viewer: { workspace: { members: { nodes: { role: string; user: { id: string; name: string } }[] } } } | null }>(
    `query WorkMembers { viewer { workspace { members(first: 100) { nodes { role user { id name } } } } } }`,
  );
  return (data.viewer?.workspace.members.nodes ?? [])
    .map((m) => ({ id: m.user.id, name: m.user.name, role: m.role }))
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

type SessionResult = { __typename: string; code?: string; message?: string; conflictingIds?: string[] };

const RESULT = `${ERROR_FIELDS} ${PROBLEM_FIELDS} ... on ConflictError { conflictingIds } ... on WorkSession { ${SESSION} }`;

function sessionFrom(result: SessionResult): Tracked {
  if (result.__typename === "ConflictError") {
    throw new OverlapError(result.message ?? "Overlaps another session", (result.conflictingIds ?? []).filter(Boolean));
  }
  return received(unwrap<WorkSession>(result, "WorkSession"));
}

export async function addManualTime(input: { employeeId: string; start: string; end: string; note: string }): Promise<Tracked> {
  const { addManualTime } = await gql<{ addManualTime: SessionResult }>(
    `mutation AddManualTime($employeeId: ID!, $start: DateTime!, $end: DateTime!, $note: String) {
      addManualTime(input: { employeeId: $employeeId, start: $start, end: $end, note: $note }) { ${RESULT} }
    }`,
    input,
  );
  return sessionFrom(addManualTime);
}

export async function editWorkSession(input: { id: string; start: string; end: string; notes: string }): Promise<Tracked> {
  const { editWorkSession } = await gql<{ editWorkSession: SessionResult }>(
    `mutation EditWorkSession($id: ID!, $start: DateTime!, $end: DateTime!, $notes: String) {
      editWorkSession(input: { id: $id, start: $start, end: $end, notes: $notes }) { ${RESULT} }
    }`,
    input,
  );
  return sessionFrom(editWorkSession);
}

export async function setAfkReason(afkPeriodId: string, reason: AfkReason | null): Promise<AfkPeriod> {
  const { setAfkReason } = await gql<{ setAfkReason: { __typename: string } }>(
    `mutation SetAfkReason($afkPeriodId: ID!, $reason: AfkReason) {
      setAfkReason(input: { afkPeriodId: $afkPeriodId, reason: $reason }) { ${ERROR_FIELDS} ... on AfkPeriod { ${AFK_PERIOD} } }
    }`,
    { afkPeriodId, reason },
  );
  return unwrap<AfkPeriod>(setAfkReason, "AfkPeriod");
}

const AFK_PROMPTS = `subscription AfkPromptsChanged { afkPromptsChanged { ${AFK_PERIOD} } }`;

/** Your unanswered AFK periods, newest first, each time they change (you came back, or answered elsewhere). */
export function watchAfkPrompts(client: Client, on: { prompts: (list: AfkPeriod[]) => void; failed: (error: unknown) => void }) {
  return client.subscribe<{ afkPromptsChanged: AfkPeriod[] }>(
    { query: AFK_PROMPTS },
    {
      next: (result) => {
        if (result.data) on.prompts(result.data.afkPromptsChanged);
        else if (result.errors) on.failed(new Error(result.errors.map((e) => e.message).join("; ")));
      },
      error: (error) => on.failed(error),
      complete: () => {},
    },
  );
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

export interface WorkDay {
  date: string;
  netSeconds: number;
  afkSeconds: number;
  breakSeconds: number;
  meetingSeconds: number;
  lunchSeconds: number;
  callSeconds: number;
  manualSeconds: number;
}

export interface MonthlyReport extends Omit<WorkDay, "date"> {
  month: string;
  employee: { id: string; name: string };
  days: WorkDay[];
  daysWorked: number;
  /** Same origin, authenticated by the session cookie. */
  csvUrl: string;
}

const DAY_FIELDS = "netSeconds afkSeconds breakSeconds meetingSeconds lunchSeconds callSeconds manualSeconds";

/** An employee's month (YYYY-MM); the API answers FORBIDDEN for someone else's unless you may see the team. */
export async function fetchMonthlyReport(month: string, employeeId: string): Promise<MonthlyReport> {
  const data = await gql<{ workMonthlyReport: MonthlyReport }>(
    `query WorkMonthlyReport($month: String!, $employeeId: ID) {
      workMonthlyReport(month: $month, employeeId: $employeeId) {
        month employee { id name } ${DAY_FIELDS} daysWorked csvUrl days { date ${DAY_FIELDS} }
      }
    }`,
    { month, employeeId },
  );
  return data.workMonthlyReport;
}

/** Every session overlapping the range (one person's month: a page or two of 100). */
export async function fetchAllSessions(filters: Filters): Promise<Tracked[]> {
  const all: Tracked[] = [];
  let after: string | null = null;
  for (let i = 0; i < 20; i++) {
    const page = await fetchSessions(filters, after, { pageSize: 100 });
    const known = new Set(all.map((s) => s.id));
    all.push(...page.sessions.filter((s) => !known.has(s.id)));
    after = page.endCursor;
    if (!page.hasNextPage) break;
  }
  return all;
}

/** What is wrong with a date range picked in the filters, if anything. */
export function rangeProblem(from: string, to: string): string | null {
  return !from || !to ? "Pick a start and an end date" : to < from ? "The end date is before the start date" : null;
}
