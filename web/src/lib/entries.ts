// Time entries: the Entries page's filtered list, logging time by hand, editing and deleting an entry.
import type { TimeEntryFilter, TimeEntryRowFragment } from "./generated/graphql";
import { gql, graphql, unwrap } from "./graphql";
import type { Page } from "./paged.svelte";

graphql(`
  fragment TimeEntryRow on TimeEntry {
    id description source startedAt endedAt durationSeconds billed project { ...Project } invoice { id number }
  }
`);

export type Entry = TimeEntryRowFragment;

// A literal in the query: the API's cost limit counts it (25 entries cost about 1500 of 5000).
const ENTRIES = graphql(`
  query Entries($filter: TimeEntryFilter, $after: String) {
    timeEntries(filter: $filter, first: 25, after: $after) { nodes { ...TimeEntryRow } pageInfo { hasNextPage endCursor } }
  }
`);

export async function fetchEntries(filter: TimeEntryFilter, after: string | null): Promise<Page<Entry>> {
  const { timeEntries } = await gql(ENTRIES, { filter, after });
  return { nodes: timeEntries.nodes, ...timeEntries.pageInfo };
}

export async function logTime(input: { projectId: string; description: string; startedAt: string; endedAt: string }) {
  const { logTime } = await gql(
    graphql(`
      mutation LogTime($projectId: ID!, $description: String, $startedAt: DateTime!, $endedAt: DateTime!) {
        logTime(input: { projectId: $projectId, description: $description, startedAt: $startedAt, endedAt: $endedAt }) {
          __typename ...Failure ...Problems ... on TimeEntry { id }
        }
      }
    `),
    input,
  );
  unwrap(logTime, "TimeEntry");
}

export async function deleteTimeEntry(id: string) {
  const { deleteTimeEntry } = await gql(graphql(`mutation DeleteTimeEntry($id: ID!) { deleteTimeEntry(input: { id: $id }) { __typename ...Failure } }`), { id });
  unwrap(deleteTimeEntry, "TimeEntry");
}

export interface EntryChanges {
  id: string;
  description: string;
  projectId: string | null;
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
}

export async function updateTimeEntry(changes: EntryChanges): Promise<Entry> {
  const { updateTimeEntry } = await gql(
    graphql(`
      mutation UpdateTimeEntry($input: UpdateTimeEntryInput!) {
        updateTimeEntry(input: $input) { __typename ...Failure ...Problems ...TimeEntryRow }
      }
    `),
    { input: changes },
  );
  return unwrap(updateTimeEntry, "TimeEntry");
}
