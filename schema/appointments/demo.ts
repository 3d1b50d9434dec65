// A small demo practice: intake, treatment and outcome forms, three clients, two weeks of sessions
// with their field values, evaluations of progress, and the week ahead booked.
import { randomUUID } from "node:crypto";
import type { Prisma } from "../../prisma/generated/client.js";
import type { Db } from "../common/context.js";
import { timeOn, type DemoCalendar } from "../common/demo.js";

const AREAS = ["Knee", "Back", "Neck", "Shoulder"];
const NOTES = ["Mobilisation and strengthening exercises", "Manual therapy, home exercises reviewed", "Taping and stretching plan"];
const RESULTS = ["Improved", "Improved", "Unchanged"];

async function defineFields(db: Db, workspaceId: string) {
  const field = (target: "pre_session" | "during_session" | "post_session" | "evaluation", position: number, key: string, label: string, type: string, extra: object = {}) =>
    ({ workspaceId, target, position, key, label, type: type as never, ...extra }) satisfies Prisma.FieldDefinitionCreateManyInput;
  await db.fieldDefinition.createMany({
    data: [
      field("pre_session", 1, "visitReason", "Reason for visit", "text"),
      field("pre_session", 2, "painLevel", "Pain (0-10)", "number", { validation: { min: 0, max: 10 } }),
      field("pre_session", 3, "bodyArea", "Area", "select", { filterable: true, validation: { options: AREAS } }),
      field("during_session", 1, "treatmentNotes", "Treatment notes", "textarea"),
      field("post_session", 1, "result", "Outcome", "select", { validation: { options: ["Improved", "Unchanged", "Worse"] } }),
      field("post_session", 2, "clientSignature", "Client signature", "signature"),
      field("evaluation", 1, "mobility", "Mobility score", "number", { validation: { min: 0, max: 100 } }),
    ],
  });
}

/**
 * Each past working day a morning and an afternoon session (one in five cancelled), filled in all
 * three phases, with a mobility evaluation every third day; each coming working day one session
 * booked, its intake filled in.
 */
export async function seedAppointmentsDemo(db: Db, calendar: DemoCalendar, staffIds: string[]) {
  const { workspaceId } = calendar;
  await defineFields(db, workspaceId);
  const service = await db.appointmentService.create({ data: { workspaceId, name: "Physiotherapy", pricing: "per_session", priceCents: 8000, currency: "EUR" } });
  const clients = await db.client.createManyAndReturn({ data: ["Clara Diaz", "David Evans", "Mia Novak"].map((name) => ({ workspaceId, name })) });
  const appointments: Prisma.AppointmentCreateManyInput[] = [];
  const evaluations: Prisma.EvaluationCreateManyInput[] = [];
  const book = (n: number, start: Date, past: boolean) => {
    const client = clients[n % clients.length];
    const minutes = n < clients.length ? 60 : 45;
    const intake = { visitReason: "Pain when moving", painLevel: Math.max(1, 7 - Math.floor(n / 3)), bodyArea: AREAS[n % AREAS.length] };
    const cancelled = past && n % 5 === 4;
    const treated = past && !cancelled;
    const id = randomUUID();
    appointments.push({
      id,
      workspaceId,
      clientId: client.id,
      staffId: staffIds[n % staffIds.length],
      serviceId: service.id,
      name: n < clients.length ? "Initial assessment" : "Follow-up",
      startsAt: start,
      durationMinutes: minutes,
      endsAt: new Date(start.getTime() + minutes * 60_000),
      status: cancelled ? "cancelled" : treated ? "completed" : "scheduled",
      fieldValues: treated ? { ...intake, treatmentNotes: NOTES[n % NOTES.length], result: RESULTS[n % RESULTS.length] } : intake,
    });
    if (treated && n % 6 < 2) evaluations.push({ workspaceId, clientId: client.id, appointmentId: id, title: "Mobility check", fieldValues: { mobility: 40 + n * 2 } });
  };
  let n = 0;
  for (const day of calendar.pastWorkingDays) for (const time of ["09:30", "14:00"]) book(n++, timeOn(day, time), true);
  for (const day of calendar.nextWorkingDays) book(n++, timeOn(day, "10:00"), false);
  await db.appointment.createMany({ data: appointments });
  await db.evaluation.createMany({ data: evaluations });
}
