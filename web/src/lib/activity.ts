// The User Activity page's data: one query for the range, and what each of its charts draws.
import { bars, PALETTE, type ChartData, type ChartView, type Measure } from "./charts";
import { formatDuration, formatShortDate } from "./format";
import type { UserActivityQuery } from "./generated/graphql";
import { gql, graphql } from "./graphql";

const ACTIVITY = graphql(`
  query UserActivity($input: UserActivityInput!) {
    userActivity(input: $input) {
      __typename
      ... on UserActivity {
        activeUsers averageDailyActiveUsers sessions medianDurationSeconds
        days { date activeUsers weeklyActiveUsers monthlyActiveUsers sessions medianDurationSeconds }
        flows {
          name app { name }
          total { started completed mistakes droppedOff completionRate mistakesRate dropOffRate }
          days { date counts { started completionRate mistakesRate dropOffRate } }
          mostDroppedAtStep dropOffSteps { step sessions }
        }
        topBusinessEvents { name count }
      }
      ... on ValidationError { problems { path message } }
    }
  }
`);

export type Activity = Extract<UserActivityQuery["userActivity"], { __typename: "UserActivity" }>;
export type Flow = Activity["flows"][number];

export interface ActivityFilters {
  from: string;
  to: string;
  appId: string;
  excludeBots: boolean;
  excludeDev: boolean;
}

/** The activity, or the range's problem by field ("from", "to") as the API named it. */
export async function fetchActivity(f: ActivityFilters): Promise<{ activity: Activity } | { problems: Record<string, string> }> {
  const { userActivity } = await gql(ACTIVITY, { input: { ...f, appId: f.appId || null } });
  if (userActivity.__typename === "UserActivity") return { activity: userActivity };
  if (userActivity.__typename === "ValidationError") return { problems: Object.fromEntries(userActivity.problems.map((p) => [p.path.at(-1)!, p.message])) };
  throw new Error("You don't have access to user activity");
}

const COUNT: Measure = { format: (v) => String(v), axis: (v) => String(v), scale: 1, whole: true };
const MINUTES: Measure = { format: formatDuration, axis: (v) => `${v} min`, scale: 1 / 60 };
const PERCENT: Measure = { format: (v) => percent(v), axis: (v) => `${v}%`, scale: 100 };

export const percent = (share: number | null | undefined) => (share == null ? "–" : `${Math.round(share * 100)}%`);

const perDay = (days: { date: string }[], series: ChartData["series"]): ChartData => ({
  categories: days.map((d) => ({ key: d.date, label: formatShortDate(d.date, true) })),
  series,
});

export function activeUsersChart(a: Activity): ChartView {
  const series = [
    { label: "Daily", color: PALETTE[0], values: a.days.map((d) => d.activeUsers) },
    { label: "Weekly (7 days)", color: PALETTE[1], values: a.days.map((d) => d.weeklyActiveUsers) },
    { label: "Monthly (30 days)", color: PALETTE[2], values: a.days.map((d) => d.monthlyActiveUsers) },
  ];
  const summary = `Active users per day: ${a.activeUsers} over the range, ${a.averageDailyActiveUsers.toFixed(1)} a day on average.`;
  return bars("Day", perDay(a.days, series), { measure: COUNT, stacked: false, summary });
}

export function sessionsChart(a: Activity): ChartView {
  const series = [{ label: "Sessions", color: PALETTE[0], values: a.days.map((d) => d.sessions) }];
  return bars("Day", perDay(a.days, series), { measure: COUNT, stacked: false, summary: `Sessions per day: ${a.sessions} in all.` });
}

export function durationChart(a: Activity): ChartView {
  const series = [{ label: "Median duration", color: PALETTE[3], values: a.days.map((d) => d.medianDurationSeconds ?? null) }];
  const overall = a.medianDurationSeconds == null ? "no sessions" : `${formatDuration(a.medianDurationSeconds)} over the range`;
  return bars("Day", perDay(a.days, series), { measure: MINUTES, stacked: false, summary: `Median session duration per day: ${overall}.` });
}

/** A flow's outcomes per day as shares of that day's starts; a day without starts has none. */
export function flowChart(flow: Flow): ChartView {
  const rate = (pick: (c: Flow["days"][number]["counts"]) => number | null | undefined) => flow.days.map((d) => pick(d.counts) ?? null);
  const series = [
    { label: "Completed", color: PALETTE[1], values: rate((c) => c.completionRate) },
    { label: "Mistakes", color: PALETTE[2], values: rate((c) => c.mistakesRate) },
    { label: "Dropped off", color: PALETTE[4], values: rate((c) => c.dropOffRate) },
  ];
  const t = flow.total;
  const summary = `${flow.name}: ${t.started} started, ${percent(t.completionRate)} completed, ${percent(t.mistakesRate)} with mistakes, ${percent(t.dropOffRate)} dropped off.`;
  return bars("Day", perDay(flow.days, series), { measure: PERCENT, stacked: false, summary });
}

/** The apps to pick from, by name. */
export async function fetchApps(): Promise<{ id: string; name: string }[]> {
  const { analyticsApps } = await gql(graphql(`query ActivityApps { analyticsApps(first: 100) { nodes { id name } } }`));
  return [...analyticsApps.nodes].sort((a, b) => a.name.localeCompare(b.name));
}
