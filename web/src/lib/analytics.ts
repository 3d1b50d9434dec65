// The User Sessions page's data: the filtered list, one session's detail, and live changes.
import type { Client } from "graphql-ws";
import { gql } from "./graphql";

export type Outcome = "COMPLETED" | "MISTAKES" | "DROPPED_OFF";

export const OUTCOME_LABELS: Record<Outcome, string> = { COMPLETED: "Completed", MISTAKES: "Mistakes", DROPPED_OFF: "Dropped-off" };

export interface FlowOutcome {
  flowName: string;
  outcome: Outcome;
  lastStep: string;
  mistakeCount: number;
  durationSeconds: number;
}

export interface SessionRow {
  id: string;
  userId: string;
  title: string;
  durationSeconds: number;
  businessEventCount: number;
  rawEventCount: number;
  startedAt: string;
  lastEventAt: string;
  inProgress: boolean;
  isBot: boolean;
  isDev: boolean;
  isInternal: boolean;
  flowOutcomes: FlowOutcome[];
}

export interface BusinessEvent {
  position: number;
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  isError: boolean;
  occurredAt: string;
}

export interface SessionDetail extends SessionRow {
  summary: { title: string; tldr: string; narrative: string; source: string };
  businessEvents: BusinessEvent[];
  app: { name: string };
  userAgent: string | null;
}

export interface Filters {
  startedFrom: string | null;
  startedBefore: string | null;
  userIdSearch: string;
  minDurationSeconds: number | null;
  maxDurationSeconds: number | null;
  minBusinessEvents: number | null;
  maxBusinessEvents: number | null;
  excludeBots: boolean;
  excludeDev: boolean;
  flowOutcome: Outcome | null;
}

export type Sort = "STARTED_AT" | "LAST_EVENT_AT";

const ROW = `id userId title durationSeconds businessEventCount rawEventCount startedAt lastEventAt inProgress isBot isDev isInternal
  flowOutcomes { flowName outcome lastStep mistakeCount durationSeconds }`;

const LIST = `query UserSessions($filter: UserSessionFilter, $sort: UserSessionSort, $after: String) {
  userSessions(filter: $filter, sort: $sort, first: 50, after: $after) { edges { node { ${ROW} } } pageInfo { endCursor hasNextPage } }
}`;

export async function fetchUserSessions(filters: Filters, sort: Sort, after: string | null) {
  const filter = { ...filters, userIdSearch: filters.userIdSearch.trim() || null };
  const { userSessions } = await gql<{ userSessions: { edges: { node: SessionRow }[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } }>(LIST, {
    filter,
    sort,
    after,
  });
  return { sessions: userSessions.edges.map((e) => e.node), ...userSessions.pageInfo };
}

const DETAIL = `query UserSession($id: ID!) { node(id: $id) { ... on UserSession { ${ROW} userAgent app { name }
  summary { title tldr narrative source } businessEvents { position name description parameters isError occurredAt } } } }`;

export async function fetchUserSession(id: string): Promise<SessionDetail | null> {
  return (await gql<{ node: SessionDetail | null }>(DETAIL, { id })).node;
}

const CHANGES = `subscription UserSessionsChanged { userSessionsChanged { changed { ${ROW} } removedIds } }`;

/** Sessions as they appear, grow, are finalised or merged away. Returns the unsubscribe. */
export function watchUserSessions(client: Client, on: { change: (changed: SessionRow[], removedIds: string[]) => void; failed: (error: unknown) => void }) {
  return client.subscribe<{ userSessionsChanged: { changed: SessionRow[]; removedIds: string[] } }>(
    { query: CHANGES },
    {
      next: (result) => {
        if (result.data) on.change(result.data.userSessionsChanged.changed, result.data.userSessionsChanged.removedIds);
        else if (result.errors) on.failed(new Error(result.errors.map((e) => e.message).join("; ")));
      },
      error: (error) => on.failed(Array.isArray(error) ? new Error(error.map((e) => e.message).join("; ")) : error),
      complete: () => {},
    },
  );
}

/** Whether a session from a live change belongs in the list under these filters (the server decides for the rest). */
export function matches(s: SessionRow, f: Filters) {
  const within = (v: number, min: number | null, max: number | null) => (min === null || v >= min) && (max === null || v <= max);
  return (
    (!f.startedFrom || Date.parse(s.startedAt) >= Date.parse(f.startedFrom)) &&
    (!f.startedBefore || Date.parse(s.startedAt) < Date.parse(f.startedBefore)) &&
    (!f.userIdSearch.trim() || s.userId.toLowerCase().includes(f.userIdSearch.trim().toLowerCase())) &&
    within(s.durationSeconds, f.minDurationSeconds, f.maxDurationSeconds) &&
    within(s.businessEventCount, f.minBusinessEvents, f.maxBusinessEvents) &&
    !(f.excludeBots && s.isBot) &&
    !(f.excludeDev && (s.isDev || s.isInternal)) &&
    (!f.flowOutcome || s.flowOutcomes.some((o) => o.outcome === f.flowOutcome))
  );
}
