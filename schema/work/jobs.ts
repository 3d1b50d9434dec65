import type { Services } from "../common/context.js";
import type { JobDefinition } from "../common/jobs.js";
import { announceWork } from "./live.js";
import { AUTO_CLOSE } from "./recording.js";
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

export const jobs: JobDefinition[] = [
  {
    name: AUTO_CLOSE,
    process: (payload: { sessionId: string }, services) => closeStale(services, { sessionId: payload.sessionId }).then(() => {}),
  },
  {
    // The safety net for auto-close jobs that were lost or never scheduled.
    name: "work.sweep",
    repeat: { everyMs: 5 * 60_000 },
    process: (_payload, services) => closeStale(services, {}).then(() => {}),
  },
];
