// Demo traffic for the demo workspace: one app, its definitions and two weeks of visits, built from
// raw events by the same ingestion and enrichment as real traffic. Among them: people who finish the
// onboarding flow, one with mistakes, one who drops out of it, and a crawler flagged as a bot.
import { randomBytes } from "node:crypto";
import type { Db } from "../common/context.js";
import type { DemoCalendar } from "../common/demo.js";
import { hashSecret } from "../identity/secrets.js";
import { enrichAll, storeEnrichment } from "./enrichment.js";
import { ingestEvents } from "./ingestion.js";
import type { AnalyticsEvent } from "./rules.js";

const BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
const CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

type Visit = [string, number, [number, string, Record<string, unknown>][]];

/**
 * Each visit: user, minutes after the day's start, and its raw events as [seconds in, name,
 * properties]. Every day brings three of them in turn; the crawler comes every fourth day.
 */
const VISITS: Visit[] = [
  ["alice@example.com", 60, [[0, "signup", { method: "google" }], [40, "page_view", { path: "/welcome" }], [95, "project_created", { name: "Website relaunch", template: "blank" }], [252, "invite", { role: "editor" }]]],
  ["bob@example.com", 180, [[0, "signup", { method: "email" }], [30, "form_error", { message: "Password too short" }], [70, "project_created", { name: "Q3 plan", template: "roadmap" }], [130, "invite", { role: "viewer" }]]],
  ["carol@example.com", 320, [[0, "signup", { method: "email" }], [45, "page_view", { path: "/templates" }], [120, "project_created", { name: "Sandbox", template: "blank" }]]],
  ["dave@example.com", 500, [[0, "page_view", { path: "/pricing" }], [50, "page_view", { path: "/docs" }]]],
  ["erin@example.com", 640, [[0, "signup", { method: "github" }], [35, "project_created", { name: "Launch", template: "kanban" }], [80, "invite", { role: "editor" }]]],
];
const CRAWL: Visit = ["crawler", 200, [[0, "page_view", { path: "/" }], [2, "page_view", { path: "/pricing" }], [4, "page_view", { path: "/docs" }], [6, "page_view", { path: "/blog" }]]];

/** The visits of the fourteen days before today, each day starting at local midnight. */
function twoWeeksOfVisits(calendar: DemoCalendar): [Date, Visit][] {
  return Array.from({ length: 14 }, (_, i) => calendar.today.minus({ days: 14 - i })).flatMap((day, d) => {
    const visits = [0, 1, 2].map((k) => VISITS[(d + k) % VISITS.length]);
    return [...visits, ...(d % 4 === 0 ? [CRAWL] : [])].map((visit): [Date, Visit] => [day.toJSDate(), visit]);
  });
}

export async function seedAnalyticsDemo(db: Db, calendar: DemoCalendar) {
  const app = await db.analyticsApp.create({
    data: { workspaceId: calendar.workspaceId, name: "Demo web app", writeKeyHash: hashSecret("sp_wk_" + randomBytes(24).toString("base64url")) },
  });
  await db.businessEventDefinition.createMany({
    data: [
      { appId: app.id, name: "Signed Up", eventName: "signup", descriptionTemplate: "Signed up with {{method}}", parameters: ["method"] },
      { appId: app.id, name: "Created Project", eventName: "project_created", descriptionTemplate: "Created project {{name}}", parameters: ["name", "template"] },
      { appId: app.id, name: "Invited Member", eventName: "invite", descriptionTemplate: "Invited a teammate as {{role}}", parameters: ["role"] },
      { appId: app.id, name: "Form Error", eventName: "form_error", descriptionTemplate: "{{message}}", parameters: ["message"], isError: true },
    ],
  });
  await db.flowDefinition.create({ data: { appId: app.id, name: "Onboarding", steps: ["Signed Up", "Created Project", "Invited Member"] } });
  const events: AnalyticsEvent[] = twoWeeksOfVisits(calendar).flatMap(([day, [userKey, minute, raw]]) =>
    raw.map(([second, name, properties], i) => {
      const timestamp = new Date(day.getTime() + minute * 60_000 + second * 1000);
      const crawler = userKey === "crawler";
      return {
        eventId: `demo-${timestamp.toISOString()}-${userKey}-${i}`,
        userKey: crawler ? `anon-${day.getTime()}` : userKey,
        identified: !crawler,
        clientSessionId: null,
        name,
        timestamp,
        properties,
        userAgent: crawler ? CRAWLER : BROWSER,
        environment: "production",
        clampedTimestamp: false,
        link: null,
      };
    }),
  );
  const { changedSessionIds } = await ingestEvents({ db }, app, events);
  // Every visit is over: each is finalised now, as the job would after the inactivity window.
  const sessions = await db.userSession.findMany({ where: { id: { in: changedSessionIds } } });
  const enrichments = await enrichAll(db, sessions);
  for (const session of sessions) await storeEnrichment(db, session, calendar.now, enrichments.get(session.id));
}
