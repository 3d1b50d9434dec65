import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Appointment, AppointmentStatus, Client, User } from "../../prisma/generated/client.js";
import type { Db, Services } from "../common/context.js";
import type { AppointmentChange, LiveSession } from "../common/pubsub.js";
import { publishSessionChange } from "../live/service.js";
import { lastTurnover, type LiveSource } from "../live/sources.js";
import { scheduleAutoStatus } from "./auto-status.js";

type Loaded = Appointment & { client: Client; staff: User };
const include = { client: true, staff: true } as const;

/** On the Live board, a client session in progress counts up from its start. */
export function appointmentAsLive(a: Loaded, now: Date): LiveSession {
  return {
    id: encodeGlobalID("Appointment", a.id),
    kind: "APPOINTMENT",
    workspaceId: a.workspaceId,
    userId: a.staffId,
    title: `${a.name} (${a.client.name})`,
    person: a.staff.name,
    state: "in_progress",
    ticking: true,
    startedAt: a.startsAt,
    accumulatedSeconds: Math.max(0, Math.floor((now.getTime() - a.startsAt.getTime()) / 1000)),
    serverTime: lastTurnover(a.startsAt, now),
  };
}

export const liveSources: LiveSource[] = [
  {
    kind: "APPOINTMENT",
    listOpen: async (db: Db, workspaceId: string, now: Date) =>
      (await db.appointment.findMany({ where: { workspaceId, status: "in_progress" }, include })).map((a) => appointmentAsLive(a, now)),
  },
];

/**
 * After commit: open calendars hear of the change, the Live board of sessions in progress, status
 * subscribers of a new status; auto-status jobs follow a moved session.
 */
export async function announceAppointment(
  services: Services,
  appointment: Appointment,
  change: AppointmentChange["change"],
  previousStatus: AppointmentStatus | null,
  previousStaffId: string = appointment.staffId,
) {
  const now = new Date();
  const id = encodeGlobalID("Appointment", appointment.id);
  services.pubsub.publish("appointmentChanged", appointment.workspaceId, { appointmentId: id, staffId: appointment.staffId, change, at: now });
  // Reassigned: the previous staff member's calendar drops it (to them it now reads as gone).
  if (previousStaffId !== appointment.staffId)
    services.pubsub.publish("appointmentChanged", appointment.workspaceId, { appointmentId: id, staffId: previousStaffId, change, at: now });
  const statusChanged = change === "CREATED" || appointment.status !== previousStatus;
  const status = statusChanged ? { status: appointment.status, previousStatus, at: now } : undefined;
  if (change !== "DELETED" && appointment.status === "in_progress") {
    const loaded = await services.db.appointment.findUnique({ where: { id: appointment.id }, include });
    if (loaded) publishSessionChange(services, appointmentAsLive(loaded, now), true, status);
  } else if (previousStatus === "in_progress") {
    services.pubsub.publish("live", appointment.workspaceId, { removeId: id });
  }
  if (status && !(change !== "DELETED" && appointment.status === "in_progress")) {
    services.pubsub.publish("sessionStatus", appointment.workspaceId, { sessionId: id, userId: appointment.staffId, kind: "APPOINTMENT", ...status });
  }
  if (change !== "DELETED") await scheduleAutoStatus(services, appointment);
}
