// Scheduling of the auto-status jobs, apart from their processors (jobs.ts): announcing a change
// schedules them and the processors announce, so one file holding both would import itself in a ring.
import type { Appointment } from "../../prisma/generated/client.js";
import type { Services } from "../common/context.js";
import { appointmentSettings } from "./settings.js";

export const AUTO_START = "appointments.autoStart";
export const AUTO_END = "appointments.autoEnd";

/**
 * With the workspace's auto-status on, a session moves to in progress at its start and to
 * completed at its end. One pending job of each kind per session: moving it replaces them.
 */
export async function scheduleAutoStatus(services: Services, a: Appointment) {
  if (a.status === "cancelled" || a.status === "completed") return;
  const workspace = await services.db.workspace.findUnique({ where: { id: a.workspaceId }, select: { settings: true } });
  if (!workspace || !appointmentSettings(workspace.settings).autoStatus) return;
  const now = Date.now();
  if (a.status === "scheduled")
    await services.jobs.enqueue(AUTO_START, { appointmentId: a.id }, { delay: Math.max(0, a.startsAt.getTime() - now), dedupeKey: `appointment-start:${a.id}` });
  await services.jobs.enqueue(AUTO_END, { appointmentId: a.id }, { delay: Math.max(0, a.endsAt.getTime() - now), dedupeKey: `appointment-end:${a.id}` });
}
