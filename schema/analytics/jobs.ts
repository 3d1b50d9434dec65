import type { Services } from "../common/context.js";
import type { JobDefinition } from "../common/jobs.js";
import { finaliseSession, reenrichApp, REENRICH, relinkSessions, scheduleFinalise, scheduleRelink, sweepQuietSessions } from "./enrichment.js";
import { FINALISE, INGEST, ingestEvents, type IngestingApp } from "./ingestion.js";
import { announceUserSessions } from "./live.js";
import { maintainPartitions } from "./partitions.js";
import type { AnalyticsEvent } from "./rules.js";

/** Stores a validated batch, then (after commit) schedules finalisations and tells the live page. */
export async function ingestAndAnnounce(services: Services, app: IngestingApp, events: AnalyticsEvent[]) {
  const result = await ingestEvents(services, app, events);
  await Promise.all(result.toSchedule.map((s) => scheduleFinalise(services, s.id, s.lastEventAt, result.gapMs)));
  if (result.linked) await scheduleRelink(services, app.id);
  announceUserSessions(services, app.workspaceId, result.changedSessionIds, result.removedSessionIds);
  return result;
}

interface QueuedBatch {
  events: AnalyticsEvent[];
  stored: () => void;
  failed: (error: unknown) => void;
}

/** Stores of one app a worker runs at once: one in the database while the next is being planned. */
const STORES_PER_APP = 2;

/**
 * Group commit: the batches of one app that a worker takes while that app's previous stores are still
 * running are stored together, in one transaction, once one ends. Each batch's job completes only when
 * its events are stored; if a group fails, its batches are stored one by one, so a batch that cannot be
 * stored fails (and is retried) alone.
 */
export class BatchGrouping {
  private readonly waiting = new Map<string, { app: IngestingApp; batches: QueuedBatch[] }>();
  private readonly storing = new Map<string, number>();

  constructor(private readonly store: (app: IngestingApp, events: AnalyticsEvent[]) => Promise<unknown>) {}

  ingest(app: IngestingApp, events: AnalyticsEvent[]): Promise<void> {
    // The app travels with each batch: batches sent before and after a change of its settings are not mixed.
    const key = JSON.stringify(app);
    return new Promise((stored, failed) => {
      const group = this.waiting.get(key) ?? { app, batches: [] };
      group.batches.push({ events, stored, failed });
      this.waiting.set(key, group);
      void this.next(key);
    });
  }

  private async next(key: string) {
    const group = this.waiting.get(key);
    const running = this.storing.get(key) ?? 0;
    if (!group || running >= STORES_PER_APP) return;
    this.waiting.delete(key);
    this.storing.set(key, running + 1);
    try {
      await this.storeGroup(group.app, group.batches);
    } finally {
      const left = this.storing.get(key)! - 1;
      if (left) this.storing.set(key, left);
      else this.storing.delete(key);
      void this.next(key);
    }
  }

  private async storeGroup(app: IngestingApp, batches: QueuedBatch[]) {
    try {
      await this.store(app, together(batches));
      for (const b of batches) b.stored();
    } catch (error) {
      if (batches.length === 1) return batches[0].failed(error);
      for (const b of batches) await this.storeGroup(app, [b]);
    }
  }
}

/** The events of several batches, each event id once (a retried batch may wait next to its original). */
function together(batches: QueuedBatch[]): AnalyticsEvent[] {
  if (batches.length === 1) return batches[0].events;
  const byId = new Map<string, AnalyticsEvent>();
  for (const e of batches.flatMap((b) => b.events)) if (!byId.has(e.eventId)) byId.set(e.eventId, e);
  return [...byId.values()];
}

const groupings = new WeakMap<Services, BatchGrouping>();

function groupingFor(services: Services) {
  if (!groupings.has(services)) groupings.set(services, new BatchGrouping((app, events) => ingestAndAnnounce(services, app, events)));
  return groupings.get(services)!;
}

export const jobs: JobDefinition[] = [
  {
    // A batch handed on by the endpoint when a queue is there; events travel as JSON, so instants are revived.
    name: INGEST,
    process: async (payload: { app: IngestingApp; events: (Omit<AnalyticsEvent, "timestamp"> & { timestamp: string })[] }, services) => {
      await groupingFor(services).ingest(payload.app, payload.events.map((e) => ({ ...e, timestamp: new Date(e.timestamp) })));
    },
  },
  {
    name: FINALISE,
    process: (payload: { sessionId: string }, services) => finaliseSession(services, payload.sessionId).then(() => {}),
  },
  {
    name: "analytics.sweep",
    repeat: { everyMs: 5 * 60_000 },
    process: (_payload, services) => sweepQuietSessions(services).then(() => {}),
  },
  {
    // Months of raw events made ahead, and each app's retention applied (whole months at a time).
    name: "analytics.partitions",
    repeat: { pattern: "23 1 * * *" },
    process: (_payload, services) => maintainPartitions(services.db).then(() => {}),
  },
  {
    // Changed definitions work sessions out again; new identity links (relink) move sessions to their users.
    name: REENRICH,
    process: (payload: { appId: string; after: string | null; relink?: boolean }, services) =>
      (payload.relink ? relinkSessions(services, payload.appId) : reenrichApp(services, payload.appId, payload.after)).then(() => {}),
  },
];
