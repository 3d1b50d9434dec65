import type { Services } from "../common/context.js";
import { defineJob } from "../common/jobs.js";
import { finaliseSession, scheduleFinalise, sweepQuietSessions } from "./enrichment.js";
import { FINALISE, INGEST, ingestEvents, type IngestingApp } from "./ingestion.js";
import { announceUserSessions } from "./live.js";
import type { AnalyticsEvent } from "./rules.js";

/** Stores a validated batch, then (after commit) schedules finalisations and tells the live page. */
export async function ingestAndAnnounce(services: Services, app: IngestingApp, events: AnalyticsEvent[]) {
  const result = await ingestEvents(services.db, app, events);
  await Promise.all(result.toSchedule.map((s) => scheduleFinalise(services, s.id, s.lastEventAt, result.gapMs)));
  announceUserSessions(services, app.workspaceId, result.changedSessionIds, result.removedSessionIds);
  return result;
}

/** A batch handed on by the endpoint when a queue is there; events travel as JSON, so instants are revived. */
defineJob({
  name: INGEST,
  process: async (payload: { app: IngestingApp; events: (Omit<AnalyticsEvent, "timestamp"> & { timestamp: string })[] }, services) => {
    await ingestAndAnnounce(services, payload.app, payload.events.map((e) => ({ ...e, timestamp: new Date(e.timestamp) })));
  },
});

defineJob({
  name: FINALISE,
  process: (payload: { sessionId: string }, services) => finaliseSession(services, payload.sessionId).then(() => {}),
});

defineJob({
  name: "analytics.sweep",
  repeat: { everyMs: 5 * 60_000 },
  process: (_payload, services) => sweepQuietSessions(services).then(() => {}),
});
