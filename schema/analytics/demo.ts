// A little demo traffic for the demo workspace: one app, its definitions and a day of sessions.
import { randomBytes } from "node:crypto";
import type { Db } from "../common/context.js";
import { hashSecret } from "../identity/secrets.js";
import { storeEnrichment } from "./enrichment.js";
import { ingestEvents } from "./ingestion.js";
import type { AnalyticsEvent } from "./rules.js";

const BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";

/** Each visit: user, minutes after the day's start, and its raw events as [seconds in, name, properties]. */
const VISITS: [string, number, [number, string, Record<string, unknown>][]][] = [
  ["alice@example.com", 60, [[0, "signup", { method: "google" }], [40, "page_view", { path: "/welcome" }], [95, "project_created", { name: "Website relaunch", template: "blank" }], [252, "invite", { role: "editor" }]]],
  ["bob@example.com", 180, [[0, "signup", { method: "email" }], [30, "form_error", { message: "Password too short" }], [70, "project_created", { name: "Q3 plan", template: "roadmap" }], [130, "invite", { role: "viewer" }]]],
  ["carol@example.com", 320, [[0, "signup", { method: "email" }], [45, "page_view", { path: "/templates" }], [120, "project_created", { name: "Sandbox", template: "blank" }]]],
  ["dave@example.com", 500, [[0, "page_view", { path: "/pricing" }], [50, "page_view", { path: "/docs" }]]],
];

export async function seedAnalyticsDemo(db: Db, workspaceId: string) {
  const app = await db.analyticsApp.create({
    data: { workspaceId, name: "Demo web app", writeKeyHash: hashSecret("sp_wk_" + randomBytes(24).toString("base64url")) },
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
  const dayStart = Date.now() - 26 * 3600_000;
  const events: AnalyticsEvent[] = VISITS.flatMap(([userKey, minute, raw]) =>
    raw.map(([second, name, properties], i) => ({
      eventId: `demo-${userKey}-${i}`,
      userKey,
      identified: true,
      clientSessionId: null,
      name,
      timestamp: new Date(dayStart + minute * 60_000 + second * 1000),
      properties,
      userAgent: BROWSER,
      environment: "production",
      clampedTimestamp: false,
    })),
  );
  const { changedSessionIds } = await ingestEvents(db, app, events);
  const now = new Date();
  for (const session of await db.userSession.findMany({ where: { id: { in: changedSessionIds } } })) await storeEnrichment(db, session, now);
}
