// Visits for the User Activity tests (API and browser): sent through POST /api/events some days ago
// (so the worker finalises them at once), and what the activity of a range should say about them,
// worked out here from the visits themselves, not by the code under test.
import { DateTime } from "luxon";
import { ok, type Auth } from "./client.js";
import { calendar, instant, isoDate, type Day } from "./dates.js";
import { until } from "./until.js";

/** Business events of the app: raw event name → business event name. */
export const BUSINESS_EVENTS: Record<string, string> = { signup: "Signed Up", project_created: "Created Project", invite: "Invited Member", error: "Form Error" };
export const FLOW = { name: "Onboarding", steps: ["Signed Up", "Created Project", "Invited Member"] };

export interface Visit {
  user: string;
  /** Days after the first day with visits. */
  day: number;
  /** Local wall time of its first event. */
  at: string;
  /** Raw event names and seconds after the first event. */
  events: [string, number][];
  kind?: "bot" | "dev";
  /** How it went through the onboarding flow (worked out by hand from its events), and where it stopped. */
  flow?: { outcome: "completed" | "mistakes" | "droppedOff"; lastStep: string };
}

export const VISITS: Visit[] = [
  { user: "ua-1", day: 0, at: "09:00", events: [["signup", 0], ["project_created", 60], ["invite", 120]], flow: { outcome: "completed", lastStep: "Invited Member" } },
  { user: "ua-2", day: 0, at: "10:00", events: [["signup", 0], ["page_view", 300]], flow: { outcome: "droppedOff", lastStep: "Signed Up" } },
  { user: "ua-3", day: 0, at: "11:00", events: [["signup", 0], ["error", 30], ["project_created", 90], ["invite", 200]], flow: { outcome: "mistakes", lastStep: "Invited Member" } },
  { user: "crawler", day: 0, at: "12:00", events: [["page_view", 0], ["page_view", 10]], kind: "bot" },
  { user: "dev-1", day: 0, at: "13:00", events: [["signup", 0], ["page_view", 20]], kind: "dev", flow: { outcome: "droppedOff", lastStep: "Signed Up" } },
  // Half past midnight local time: the day before in UTC, this day here.
  { user: "ua-4", day: 1, at: "00:30", events: [["signup", 0], ["project_created", 40]], flow: { outcome: "droppedOff", lastStep: "Created Project" } },
  { user: "ua-1", day: 1, at: "09:00", events: [["page_view", 0], ["page_view", 50]] },
  { user: "ua-2", day: 1, at: "12:00", events: [["signup", 0], ["project_created", 45], ["page_view", 90]], flow: { outcome: "droppedOff", lastStep: "Created Project" } },
  { user: "ua-5", day: 1, at: "18:00", events: [["page_view", 0], ["page_view", 131]] },
  { user: "ua-5", day: 3, at: "08:15", events: [["signup", 0], ["project_created", 30], ["invite", 61]], flow: { outcome: "completed", lastStep: "Invited Member" } },
  // The same person the same day from a development build: counted once when dev sessions are included.
  { user: "ua-5", day: 3, at: "14:00", events: [["page_view", 0], ["page_view", 40]], kind: "dev" },
  // Two sessions of the same length the same day (stored as one duration counted twice) and a longer
  // one: the day's median is that length, not the middle of the two lengths.
  { user: "ua-6", day: 3, at: "16:00", events: [["page_view", 0], ["page_view", 61]] },
  { user: "ua-7", day: 3, at: "17:00", events: [["page_view", 0], ["page_view", 500]] },
];

const BOT_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/** The first day with visits: 12 days ago, well within the 30 days events may be late. */
export const firstDay = (timeZone: string, now?: DateTime) => calendar(timeZone, now).today.minus({ days: 12 });

/**
 * An app with the business events and the onboarding flow, the visits sent to it, and every
 * session finalised. Returns the app's id.
 */
export async function sendVisits(url: string, auth: Auth, timeZone: string, name = "Activity app"): Promise<string> {
  const created = await ok(url, `mutation($n: String!) { createAnalyticsApp(input: { name: $n }) { ... on AnalyticsAppWithKey { writeKey app { id } } } }`, { n: name }, auth);
  const { writeKey, app } = created.createAnalyticsApp;
  for (const [eventName, name] of Object.entries(BUSINESS_EVENTS))
    await ok(url, `mutation($a: ID!, $d: BusinessEventDefinitionInput!) { createBusinessEventDefinition(input: { appId: $a, definition: $d }) { __typename } }`, { a: app.id, d: { name, eventName, isError: eventName === "error" } }, auth);
  await ok(url, `mutation($a: ID!, $d: FlowDefinitionInput!) { createFlowDefinition(input: { appId: $a, definition: $d }) { __typename } }`, { a: app.id, d: FLOW }, auth);

  const start = firstDay(timeZone);
  const events = VISITS.flatMap((v, i) =>
    v.events.map(([name, seconds], j) => ({
      eventId: `v${i}-${j}`,
      userId: v.user,
      name,
      timestamp: new Date(Date.parse(instant(start.plus({ days: v.day }), v.at)) + seconds * 1000).toISOString(),
      ...(v.kind === "bot" ? { userAgent: BOT_AGENT } : v.kind === "dev" ? { environment: "development" } : {}),
    })),
  );
  const res = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${writeKey}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  if (!res.ok || (await res.json()).accepted !== events.length) throw new Error(`events not accepted: ${res.status}`);
  const SESSIONS = `query($a: ID!) { userSessions(filter: { appId: $a }, first: 100) { edges { node { inProgress } } } }`;
  const finalised = (r: any) => r.userSessions.edges.length === VISITS.length && r.userSessions.edges.every((e: any) => !e.node.inProgress);
  if (!finalised(await until(() => ok(url, SESSIONS, { a: app.id }, auth), finalised, 30_000))) throw new Error("sessions not finalised");
  return app.id;
}

const median = (values: number[]) => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
};
const distinct = (visits: Visit[]) => new Set(visits.map((v) => v.user)).size;
const durationOf = (v: Visit) => v.events.at(-1)![1] - v.events[0][1];

/** What the activity of the days `from`…`to` (days after the first day with visits) should say. */
export function expectedActivity(timeZone: string, from: number, to: number, options: { excludeBots: boolean; excludeDev: boolean }) {
  const start: Day = firstDay(timeZone);
  const counted = VISITS.filter((v) => !(options.excludeBots && v.kind === "bot") && !(options.excludeDev && v.kind === "dev"));
  const between = (a: number, b: number) => counted.filter((v) => v.day >= a && v.day <= b);
  const offsets = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const inRange = between(from, to);
  const flowVisits = (visits: Visit[]) => visits.filter((v) => v.flow);
  const counts = (visits: Visit[]) => {
    const flows = flowVisits(visits);
    const n = (o: string) => flows.filter((v) => v.flow!.outcome === o).length;
    return { started: flows.length, completed: n("completed"), mistakes: n("mistakes"), droppedOff: n("droppedOff") };
  };
  const dropSteps = new Map<string, number>();
  for (const v of flowVisits(inRange)) if (v.flow!.outcome === "droppedOff") dropSteps.set(v.flow!.lastStep, (dropSteps.get(v.flow!.lastStep) ?? 0) + 1);
  const events = new Map<string, number>();
  for (const v of inRange) for (const [name] of v.events) if (BUSINESS_EVENTS[name]) events.set(BUSINESS_EVENTS[name], (events.get(BUSINESS_EVENTS[name]) ?? 0) + 1);
  return {
    from: isoDate(start.plus({ days: from })),
    to: isoDate(start.plus({ days: to })),
    activeUsers: distinct(inRange),
    sessions: inRange.length,
    medianDurationSeconds: median(inRange.map(durationOf)),
    days: offsets.map((d) => ({
      date: isoDate(start.plus({ days: d })),
      activeUsers: distinct(between(d, d)),
      weeklyActiveUsers: distinct(between(d - 6, d)),
      monthlyActiveUsers: distinct(between(d - 29, d)),
      sessions: between(d, d).length,
      medianDurationSeconds: median(between(d, d).map(durationOf)),
    })),
    flow: {
      total: counts(inRange),
      days: offsets.map((d) => ({ date: isoDate(start.plus({ days: d })), counts: counts(between(d, d)) })),
      dropOffSteps: [...dropSteps].map(([step, sessions]) => ({ step, sessions })).sort((a, b) => b.sessions - a.sessions || a.step.localeCompare(b.step)),
    },
    topBusinessEvents: [...events].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
  };
}
