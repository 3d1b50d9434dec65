import type { Services } from "../common/context.js";
import type { JobDefinition } from "../common/jobs.js";
import { announceWork } from "./live.js";
import { AUTO_CLOSE, scheduleAutoClose } from "./recording.js";
import { workSettings } from "./settings.js";

/**
 * Ends sessions that have been quiet longer than their workspace's timeout, at their last activity
 * (not when this runs). Compare-and-set, so a job and the sweep, or two workers, close it once.
 */
export async function closeStale(services: Services, where: { sessionId?: string }) {
  const sessions = await services.db.workSession.findMany({
    where: { endedAt: null, ...(where.sessionId ? { id: where.sessionId } : {}) },
    include: { workspace: { select: { settings: true } } },
  });
  const closed: string[] = [];
  for (const s of sessions) {
    const timeoutMs = workSettings(s.workspace.settings).inactivityMinutes * 60_000;
    if (Date.now() - s.lastActivityAt.getTime() <= timeoutMs) continue;
    const done = await services.db.$transaction(async (tx) => {
      const { count } = await tx.workSession.updateMany({
        where: { id: s.id, endedAt: null, lastActivityAt: s.lastActivityAt },
        data: { endedAt: s.lastActivityAt, endReason: "inactivity" },
      });
      // An AFK period still open ends with the session (AFK starts always lie within its activity).
      if (count) await tx.afkPeriod.updateMany({ where: { sessionId: s.id, endedAt: null }, data: { endedAt: s.lastActivityAt } });
      return count > 0;
    });
    if (done) closed.push(s.id);
  }
  await announceWork(services, closed);
  return closed;
}

/**
 * A session its auto-close job found still open (active since the job was scheduled, or a batch landed
 * while it ran) is looked at again once its timeout has passed since its latest activity.
 */
async function closeLater(services: Services, sessionId: string) {
  const s = await services.db.workSession.findUnique({
    where: { id: sessionId },
    select: { workspaceId: true, endedAt: true, lastActivityAt: true, workspace: { select: { settings: true } } },
  });
  if (!s || s.endedAt) return;
  const timeoutMs = workSettings(s.workspace.settings).inactivityMinutes * 60_000;
  await scheduleAutoClose(services, { id: sessionId, workspaceId: s.workspaceId, lastActivityAt: s.lastActivityAt, timeoutMs });
}

export const jobs: JobDefinition[] = [
  {
    name: AUTO_CLOSE,
    process: async (payload: { sessionId: string }, services) => {
      const closed = await closeStale(services, { sessionId: payload.sessionId });
      if (!closed.length) await closeLater(services, payload.sessionId);
    },
  },
  {
    // The safety net for auto-close jobs that were lost or never scheduled.
    name: "work.sweep",
    repeat: { everyMs: 5 * 60_000 },
    process: (_payload, services) => closeStale(services, {}).then(() => {}),
  },
];
