import type { Db, Tx } from "../schema/common/context.js";
import { DateTime } from "luxon";
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
    await seedAppointments(tx, workspace.id, workspace.timeZone);
    await tx.project.create({
      data: { workspaceId: workspace.id, clientId: client.id, name: "Acme Website", hourlyRate: 9000, currency: "EUR" },
    });
    return workspace.id;
  });
  await seedAnalyticsDemo(db, workspaceId);
  return true;
}

/** A small practice: intake and outcome forms, two clients, and sessions this week. */
async function seedAppointments(tx: Tx, workspaceId: string, timeZone: string) {
  const field = (target: "pre_session" | "during_session" | "post_session" | "evaluation", position: number, key: string, label: string, type: string, extra: object = {}) =>
    tx.fieldDefinition.create({ data: { workspaceId, target, position, key, label, type: type as never, ...extra } });
  await field("pre_session", 1, "visitReason", "Reason for visit", "text");
  await field("pre_session", 2, "painLevel", "Pain (0-10)", "number", { validation: { min: 0, max: 10 } });
  await field("pre_session", 3, "bodyArea", "Area", "select", { filterable: true, validation: { options: ["Neck", "Back", "Knee", "Shoulder"] } });
  await field("during_session", 1, "treatmentNotes", "Treatment notes", "textarea");
  await field("post_session", 1, "result", "Outcome", "select", { validation: { options: ["Improved", "Unchanged", "Worse"] } });
  await field("post_session", 2, "clientSignature", "Client signature", "signature");
  await field("evaluation", 1, "mobility", "Mobility score", "number", { validation: { min: 0, max: 100 } });
  const service = await tx.appointmentService.create({ data: { workspaceId, name: "Physiotherapy", pricing: "per_session", priceCents: 8000, currency: "EUR" } });
  const owner = await tx.user.findUniqueOrThrow({ where: { email: "owner@demo.test" } });
  const clara = await tx.client.create({ data: { workspaceId, name: "Clara Diaz" } });
  const david = await tx.client.create({ data: { workspaceId, name: "David Evans" } });
  const monday = DateTime.now().setZone(timeZone).startOf("week");
  const sessions = [
    { name: "Initial assessment", clientId: clara.id, day: 2, time: "14:00", minutes: 60, area: "Knee" },
    { name: "Review", clientId: david.id, day: 3, time: "11:00", minutes: 30, area: "Neck" },
  ];
  for (const s of sessions) {
    const [hour, minute] = s.time.split(":").map(Number);
    const start = monday.plus({ days: s.day }).set({ hour, minute });
    await tx.appointment.create({
      data: {
        workspaceId,
        clientId: s.clientId,
        staffId: owner.id,
        serviceId: service.id,
        name: s.name,
        startsAt: start.toJSDate(),
        durationMinutes: s.minutes,
        endsAt: start.plus({ minutes: s.minutes }).toJSDate(),
        fieldValues: { visitReason: "Pain when walking", painLevel: 4, bodyArea: s.area },
      },
    });
  }
}
