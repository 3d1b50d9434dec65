// The User Sessions page's data: the filtered list, one session's detail, and live changes.
import type { Client } from "graphql-ws";
import type { FlowOutcomeKind, InProgressFragment, UserSessionFilter, UserSessionQuery, UserSessionRowFragment, UserSessionSort } from "./generated/graphql";
import { gql, graphql, subscribe } from "./graphql";
import type { Page } from "./paged.svelte";

export type { FlowOutcomeKind as Outcome };

export const OUTCOME_LABELS: Record<FlowOutcomeKind, string> = { COMPLETED: "Completed", MISTAKES: "Mistakes", DROPPED_OFF: "Dropped-off" };

graphql(`
  fragment UserSessionRow on UserSession {
    id userId anonymousId title durationSeconds businessEventCount rawEventCount startedAt lastEventAt inProgress isBot isDev isInternal
    flowOutcomes { flowName outcome lastStep mistakeCount durationSeconds }
  }
`);

export type SessionRow = UserSessionRowFragment;
export type SessionDetail = Extract<NonNullable<UserSessionQuery["node"]>, { __typename: "UserSession" }>;
export type BusinessEvent = SessionDetail["businessEvents"][number];

/** What the filter form holds: the API's filter with the search as typed. */
export type Filters = Required<Omit<UserSessionFilter, "appId" | "userIdSearch">> & { userIdSearch: string };

export type { UserSessionSort as Sort };

const LIST = graphql(`
  query UserSessions($filter: UserSessionFilter, $sort: UserSessionSort, $after: String) {
    userSessions(filter: $filter, sort: $sort, first: 50, after: $after) { edges { node { ...UserSessionRow } } pageInfo { endCursor hasNextPage } }
  }
`);

export async function fetchUserSessions(filters: Filters, sort: UserSessionSort, after: string | null): Promise<Page<SessionRow>> {
  const filter = { ...filters, userIdSearch: filters.userIdSearch.trim() || null };
  const { userSessions } = await gql(LIST, { filter, sort, after });
  return { nodes: userSessions.edges.map((e) => e.node), ...userSessions.pageInfo };
}

const DETAIL = graphql(`
  query UserSession($id: ID!) {
    node(id: $id) {
      __typename
      ... on UserSession {
        ...UserSessionRow userAgent app { name }
        summary { title tldr narrative source } businessEvents { position name description parameters isError occurredAt }
      }
    }
  }
`);

export async function fetchUserSession(id: string): Promise<SessionDetail | null> {
  const { node } = await gql(DETAIL, { id });
  return node?.__typename === "UserSession" ? node : null;
}

const CHANGES = graphql(`subscription UserSessionsChanged { userSessionsChanged { changed { ...UserSessionRow } removedIds } }`);

/** Sessions as they appear, grow, are finalised or merged away. Returns the unsubscribe. */
export function watchUserSessions(client: Client, on: { change: (changed: SessionRow[], removedIds: string[]) => void; failed: (error: unknown) => void }) {
  return subscribe(client, CHANGES, {
    data: ({ userSessionsChanged }) => on.change(userSessionsChanged.changed, userSessionsChanged.removedIds),
    failed: on.failed,
  });
}

/** Whether a session from a live change belongs in the list under these filters (the server decides for the rest). */
export function matches(s: SessionRow, f: Filters) {
  const within = (v: number, min: number | null, max: number | null) => (min === null || v >= min) && (max === null || v <= max);
  return (
    (!f.startedFrom || Date.parse(s.startedAt) >= Date.parse(f.startedFrom)) &&
    (!f.startedBefore || Date.parse(s.startedAt) < Date.parse(f.startedBefore)) &&
    (!f.userIdSearch.trim() || [s.userId, s.anonymousId ?? ""].some((id) => id.toLowerCase().includes(f.userIdSearch.trim().toLowerCase()))) &&
    within(s.durationSeconds, f.minDurationSeconds, f.maxDurationSeconds) &&
    within(s.businessEventCount, f.minBusinessEvents, f.maxBusinessEvents) &&
    !(f.excludeBots && s.isBot) &&
    !(f.excludeDev && (s.isDev || s.isInternal)) &&
    (!f.flowOutcome || s.flowOutcomes.some((o) => o.outcome === f.flowOutcome))
  );
}

// Sessions in progress, per app and the latest: the User Sessions page's and the Live board's strip.

graphql(`
  fragment InProgress on UserSessionsInProgress {
    total serverTime
    apps { app { id name } count }
    latest { id userId title startedAt lastEventAt app { name } }
  }
`);

export type InProgress = InProgressFragment;

const IN_PROGRESS = graphql(`query UserSessionsInProgress { userSessionsInProgress { ...InProgress } }`);
const IN_PROGRESS_CHANGED = graphql(`subscription UserSessionsInProgressChanged { userSessionsInProgressChanged { ...InProgress } }`);

export async function fetchInProgress(): Promise<InProgress> {
  return (await gql(IN_PROGRESS)).userSessionsInProgress;
}

/** Each time visits start, grow or are finalised. Returns the unsubscribe. */
export function watchInProgress(client: Client, on: { data: (value: InProgress) => void; failed: (error: unknown) => void }) {
  return subscribe(client, IN_PROGRESS_CHANGED, { data: (d) => on.data(d.userSessionsInProgressChanged), failed: on.failed });
}
