import type { Services } from "../schema/common/context.js";
import { appOfWriteKey, INGEST, type IngestingApp } from "../schema/analytics/ingestion.js";
import { ingestAndAnnounce } from "../schema/analytics/jobs.js";
import { validateBatch, type AnalyticsEvent } from "../schema/analytics/rules.js";
import { hashSecret } from "../schema/identity/secrets.js";
import type { Config } from "../platform/config.js";
import type { Health } from "./health.js";
import type { Metrics } from "./metrics.js";
import { UnavailableError } from "./unavailable.js";
import { json } from "./http.js";
import { endpoint, methodIs, readJson, UnauthenticatedError } from "./rest.js";

/** Batches of up to 5,000 events with their properties. */
export const MAX_EVENTS_BODY_BYTES = 5_000_000;

/** Write keys are looked up on every batch; a short cache spares the database, and a deleted app stops within seconds. */
const APP_CACHE_MS = 10_000;

function appLookup(services: Services) {
  const cache = new Map<string, { app: IngestingApp | null; until: number }>();
  return async (writeKey: string): Promise<IngestingApp | null> => {
    const hash = hashSecret(writeKey);
    const hit = cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.app;
    const app = await appOfWriteKey(services.db, hash);
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { app, until: Date.now() + APP_CACHE_MS });
    return app;
  };
}

/** How a batch of validated events is taken in, whichever format it came in. */
export interface AnalyticsIntake {
  /** The app of a write key; throws RateLimitedError once the key has sent too many batches. */
  findApp(writeKey: string): Promise<IngestingApp | null>;
  /**
   * With a queue (Redis) the events are handed on to the workers (202); without, stored first (200,
   * with the duplicates a retry skipped). `rejected` counts the batch's invalid events, for the metrics.
   */
  accept(app: IngestingApp, events: AnalyticsEvent[], rejected: number): Promise<{ status: 200 | 202; accepted: number; duplicates?: number }>;
}

export function analyticsIntake(services: Services, config: Config, health: Health, metrics: Metrics): AnalyticsIntake {
  const lookup = appLookup(services);
  return {
    // Each batch counts against its write key's ingestion limit, whichever format it came in.
    async findApp(writeKey) {
      const app = await lookup(writeKey);
      if (app) await services.limits.consume("ingestion", `app:${app.id}`);
      return app;
    },
    async accept(app, events, rejected) {
      metrics.ingested.inc({ kind: "analytics", outcome: "rejected" }, rejected);
      const answer = await take(app, events);
      metrics.ingested.inc({ kind: "analytics", outcome: "accepted" }, events.length);
      return answer;
    },
  };

  async function take(app: IngestingApp, events: AnalyticsEvent[]) {
    if (config.redisUrl) {
      // The workers store queued batches later, with a few retries: while PostgreSQL is down they
      // would be dropped after the last one, so the sender is told to keep them and retry. While
      // Redis is away the queue would hold the request for many seconds (an SDK's whole timeout),
      // so the sender is told at once too.
      if (!health.redisUp() || !(await health.database())) throw new UnavailableError();
      if (events.length) await services.jobs.enqueue(INGEST, { app, events });
      return { status: 202 as const, accepted: events.length };
    }
    const result = await ingestAndAnnounce(services, app, events);
    return { status: 200 as const, accepted: events.length, duplicates: result.duplicates };
  }
}

/**
 * POST /api/events: an app's batch of raw events, authenticated by the app's write key (Bearer).
 * Each event is validated on its own; the good ones are stored even when others are rejected.
 */
export function analyticsEventsRoute(intake: AnalyticsIntake) {
  return endpoint(async (req, res) => {
    if (!methodIs(req, res, "POST", "POST a batch of events")) return;
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const app = key ? await intake.findApp(key) : null;
    if (!app) throw new UnauthenticatedError("Send the app's write key as a Bearer token");
    const { events, rejected } = validateBatch(await readJson(req, MAX_EVENTS_BODY_BYTES));
    const { status, ...answer } = await intake.accept(app, events, rejected.length);
    json(res, status, { ...answer, rejected });
  });
}
