// Time entries: the Entries page's filtered list, logging time by hand, editing and deleting an entry.
import type { TimeEntryFilter, TimeEntryRowFragment } from "./generated/graphql";
import { AWAY_COLOR, PALETTE, type ChartData } from "./charts";
import { formatShortDate } from "./format";
import { gql, graphql, unwrap } from "./graphql";
import type { Page } from "./paged.svelte";
import { addDays } from "./zoned";

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

// The Entries page's charts: the filtered entries per week, by project and by client.

const ENTRY_WEEKS = graphql(`
  query EntryWeeks($filter: TimeEntryFilter!) {
    timeEntryWeeks(filter: $filter) { week seconds project { id name client { id name } } }
  }
`);

/** Entries without a project: neither a project nor a client, drawn grey after the others. */
const NONE = { id: "", color: AWAY_COLOR };

/**
 * Both charts from one query: a category per week from `firstWeek` to `lastWeek` (first days of
 * weeks), a series per project and per client, the largest first.
 */
export async function fetchEntryWeekCharts(filter: TimeEntryFilter, firstWeek: string, lastWeek: string): Promise<{ byProject: ChartData; byClient: ChartData }> {
  const { timeEntryWeeks } = await gql(ENTRY_WEEKS, { filter });
  const weeks: string[] = [];
  for (let week = firstWeek; week <= lastWeek; week = addDays(week, 7)) weeks.push(week);
  const categories = weeks.map((week) => ({ key: week, label: formatShortDate(week) }));
  const chart = (groupOf: (row: (typeof timeEntryWeeks)[number]) => { id: string; name: string }): ChartData => {
    const groups = new Map<string, { name: string; seconds: number[] }>();
    for (const row of timeEntryWeeks) {
      const { id, name } = groupOf(row);
      const group = groups.get(id) ?? { name, seconds: weeks.map(() => 0) };
      group.seconds[weeks.indexOf(row.week)] += row.seconds;
      groups.set(id, group);
    }
    const total = (g: { seconds: number[] }) => g.seconds.reduce((a, b) => a + b, 0);
    const ordered = [...groups].sort(([a, x], [b, y]) => Number(a === NONE.id) - Number(b === NONE.id) || total(y) - total(x) || x.name.localeCompare(y.name));
    return { categories, series: ordered.map(([id, g], i) => ({ label: g.name, color: id === NONE.id ? NONE.color : PALETTE[i % PALETTE.length], values: g.seconds })) };
  };
  return {
    byProject: chart((row) => (row.project ? { id: row.project.id, name: row.project.name } : { id: NONE.id, name: "No project" })),
    byClient: chart((row) => (row.project ? row.project.client : { id: NONE.id, name: "No client" })),
  };
}
