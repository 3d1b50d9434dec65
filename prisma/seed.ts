import type { Db } from "../schema/common/context.js";
import { seedAnalyticsDemo } from "../schema/analytics/demo.js";
import { hashPassword } from "../schema/identity/secrets.js";

export const DEMO_PASSWORD = "demo-password";

export const DEMO_MEMBERS = [
  { email: "owner@demo.test", name: "Olivia Owner", role: "owner" },
  { email: "lisa@demo.test", name: "Lisa Manager", role: "manager" },
  { email: "tom@demo.test", name: "Tom Employee", role: "employee" },
  { email: "emma@demo.test", name: "Emma Employee", role: "employee" },
  { email: "sam@demo.test", name: "Sam Staff", role: "staff" },
] as const;

/** Seeds the demo workspace once, on an empty database; returns whether it did. */
export async function seedDemo(db: Db): Promise<boolean> {
  if (await db.workspace.count()) return false;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const workspaceId = await db.$transaction(async (tx) => {
    const workspace = await tx.workspace.create({ data: { name: "Demo Workspace", timeZone: "Europe/Berlin" } });
    for (const member of DEMO_MEMBERS) {
      const user = await tx.user.create({ data: { email: member.email, name: member.name, passwordHash } });
      await tx.membership.create({ data: { workspaceId: workspace.id, userId: user.id, role: member.role } });
    }
    const client = await tx.client.create({ data: { workspaceId: workspace.id, name: "Acme Corp" } });
    await tx.project.create({
      data: { workspaceId: workspace.id, clientId: client.id, name: "Acme Website", hourlyRate: 9000, currency: "EUR" },
    });
    return workspace.id;
  });
  await seedAnalyticsDemo(db, workspaceId);
  return true;
}
