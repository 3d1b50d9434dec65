import type { Services } from "../common/context.js";
import type { JobDefinition } from "../common/jobs.js";
import { AUTO_END, AUTO_START } from "./auto-status.js";
import { announceAppointment } from "./live.js";
import { appointmentSettings } from "./settings.js";
import { removeFiles } from "./attachments.js";

/**
 * Compare-and-set on status and times as they are now, so a job that is late, duplicated or
 * outdated by a manual change or a move does nothing.
 */
export async function advance(services: Services, appointmentId: string, step: "start" | "end") {
  const a = await services.db.appointment.findUnique({ where: { id: appointmentId }, include: { workspace: { select: { settings: true } } } });
  if (!a || !appointmentSettings(a.workspace.settings).autoStatus) return;
  const now = new Date();
  const from = step === "start" ? (["scheduled"] as const) : (["scheduled", "in_progress"] as const);
  const due = step === "start" ? a.startsAt <= now && a.endsAt > now : a.endsAt <= now;
  if (!due || !from.includes(a.status as never)) return;
  const to = step === "start" ? "in_progress" : "completed";
  const { count } = await services.db.appointment.updateMany({
    where: { id: a.id, status: a.status, startsAt: a.startsAt, durationMinutes: a.durationMinutes },
    data: { status: to, sequence: { increment: 1 } },
  });
  if (count) await announceAppointment(services, { ...a, status: to }, "UPDATED", a.status);
  return count > 0;
}

/**
 * How far back the sweep looks: it catches jobs that were lost (or sessions from before auto-status
 * was turned on) around now, never rewriting old history such as a no-show left as scheduled.
 */
export const SWEEP_WINDOW_MS = 60 * 60_000;

/** The safety net for auto-status jobs: sessions that should have started or ended by now. */
export async function sweepAutoStatus(services: Services, now = new Date()) {
  const since = new Date(now.getTime() - SWEEP_WINDOW_MS);
  const due = await services.db.appointment.findMany({
    where: {
      workspace: { settings: { path: ["appointments", "autoStatus"], equals: true } },
      OR: [
        { status: "scheduled", startsAt: { gte: since, lte: now }, endsAt: { gt: now } },
        { status: { in: ["scheduled", "in_progress"] }, endsAt: { gte: since, lte: now } },
      ],
    },
    select: { id: true, endsAt: true },
  });
  const moved: string[] = [];
  for (const a of due) if (await advance(services, a.id, a.endsAt <= now ? "end" : "start")) moved.push(a.id);
  return moved;
}

/** A form abandoned after uploading a file leaves it unattached: a day later it goes. */
export const UNUSED_UPLOAD_MS = 24 * 3600_000;

export async function sweepUnusedUploads(services: Services, now = new Date()) {
  const stale = await services.db.appointmentAttachment.findMany({
    where: { appointmentId: null, createdAt: { lt: new Date(now.getTime() - UNUSED_UPLOAD_MS) } },
    select: { id: true, path: true },
  });
  const removed: string[] = [];
  for (const file of stale) {
    // Still unattached at delete time: a session saved meanwhile keeps its file.
    const { count } = await services.db.appointmentAttachment.deleteMany({ where: { id: file.id, appointmentId: null } });
    if (!count) continue;
    await removeFiles([file.path]);
    removed.push(file.id);
  }
  return removed;
}

export const jobs: JobDefinition[] = [
  { name: AUTO_START, process: (p: { appointmentId: string }, services) => advance(services, p.appointmentId, "start").then(() => {}) },
  { name: AUTO_END, process: (p: { appointmentId: string }, services) => advance(services, p.appointmentId, "end").then(() => {}) },
  { name: "appointments.sweepStatus", repeat: { everyMs: 5 * 60_000 }, process: (_p, services) => sweepAutoStatus(services).then(() => {}) },
  { name: "appointments.sweepUploads", repeat: { everyMs: 60 * 60_000 }, process: (_p, services) => sweepUnusedUploads(services).then(() => {}) },
];
