// The demo workspace a first start shows: its people, client and projects, then each domain's demo
// data (schema/<domain>/demo.ts) laid out on the two weeks before this one and this week so far.
import type { Services } from "../schema/common/context.js";
import { demoCalendar } from "../schema/common/demo.js";
import { lockDemoSeed } from "../schema/common/locks.js";
import { seedAgentDemo } from "../schema/agent/demo.js";
import { seedAnalyticsDemo } from "../schema/analytics/demo.js";
import { seedAppointmentsDemo } from "../schema/appointments/demo.js";
import { seedBillingDemo } from "../schema/billing/demo.js";
import { hashPassword } from "../schema/identity/secrets.js";
import { parseWorkingHours } from "../schema/identity/working-hours.js";
import { seedWorkDemo, type ScreenshotStorage } from "../schema/work/demo.js";

export const DEMO_PASSWORD = "demo-password";

export const DEMO_MEMBERS = [
  { email: "owner@demo.test", name: "Olivia Owner", role: "owner" },
  { email: "lisa@demo.test", name: "Lisa Manager", role: "manager" },
  { email: "tom@demo.test", name: "Tom Employee", role: "employee" },
  { email: "emma@demo.test", name: "Emma Employee", role: "employee" },
  { email: "sam@demo.test", name: "Sam Staff", role: "staff" },
] as const;

type DemoEmail = (typeof DEMO_MEMBERS)[number]["email"];

export interface DemoOptions {
  /** Where the demo's screenshots are stored, as uploads are. */
  screenshots: ScreenshotStorage;
  /** The moment the demo is seeded for: its data covers the two weeks before this one and this week up to it. */
  now?: Date;
}

/** Creates the demo workspace, its people, client and projects, unless any workspace exists. */
async function claimDemo(services: Services) {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  return services.db.$transaction(async (tx) => {
    // The first process to get here creates the workspace; any other, waiting here, then finds it.
    await lockDemoSeed(tx);
    if (await tx.workspace.count()) return null;
    const workspace = await tx.workspace.create({ data: { name: "Demo Workspace", timeZone: "Europe/Berlin" } });
    const people = new Map<DemoEmail, string>();
    for (const member of DEMO_MEMBERS) {
      const user = await tx.user.create({ data: { email: member.email, name: member.name, passwordHash } });
      await tx.membership.create({ data: { workspaceId: workspace.id, userId: user.id, role: member.role } });
      people.set(member.email, user.id);
    }
    const client = await tx.client.create({ data: { workspaceId: workspace.id, name: "Acme Corp" } });
    const project = (name: string, billAgentTime: boolean) =>
      tx.project.create({ data: { workspaceId: workspace.id, clientId: client.id, name, hourlyRate: 9000, currency: "EUR", billAgentTime } });
    const website = await project("Acme Website", true);
    const app = await project("Acme Mobile App", false);
    return { workspace, person: (email: DemoEmail) => people.get(email)!, client, website, app };
  });
}

/** Seeds the demo workspace once, on an empty database; returns whether it did. */
export async function seedDemo(services: Services, { screenshots, now = new Date() }: DemoOptions): Promise<boolean> {
  const demo = await claimDemo(services);
  if (!demo) return false;
  const { workspace, person } = demo;
  const calendar = demoCalendar(workspace.id, workspace.timeZone, parseWorkingHours(workspace.workingHours).map((day) => day.weekday), now);
  await seedWorkDemo(services, calendar, [person("tom@demo.test"), person("emma@demo.test")], screenshots);
  await seedAgentDemo(services.db, calendar, [person("lisa@demo.test"), person("owner@demo.test")], demo.website, demo.app);
  await seedAppointmentsDemo(services.db, calendar, [person("sam@demo.test"), person("owner@demo.test")]);
  await seedBillingDemo(services, calendar, demo.client.id);
  await seedAnalyticsDemo(services.db, calendar);
  return true;
}
