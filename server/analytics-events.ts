import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../schema/common/context.js";
import { INGEST, type IngestingApp } from "../schema/analytics/ingestion.js";
import { ingestAndAnnounce } from "../schema/analytics/jobs.js";
import { validateBatch } from "../schema/analytics/rules.js";
import { hashSecret } from "../schema/identity/secrets.js";
import type { Config } from "./config.js";
import { json } from "./http.js";
import { readJson } from "./work-events.js";

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
    const app = await services.db.analyticsApp.findUnique({
      where: { writeKeyHash: hash },
      select: { id: true, workspaceId: true, internal: true, internalUserIds: true },
    });
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { app, until: Date.now() + APP_CACHE_MS });
    return app;
  };
}

/**
 * POST /api/events: an app's batch of raw events, authenticated by the app's write key (Bearer).
 * Each event is validated on its own; the good ones are stored even when others are rejected. With
 * a queue (Redis) the batch is handed on to the workers and the answer comes at once (202);
 * without, it is stored before the answer (200, with the duplicates a retry skipped).
 */
export function analyticsEventsRoute(services: Services, config: Config) {
  const findApp = appLookup(services);
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") return json(res, 405, { error: "POST a batch of events" });
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const app = key ? await findApp(key) : null;
    if (!app) return json(res, 401, { error: "Send the app's write key as a Bearer token", code: "UNAUTHENTICATED" });
    await services.limits.consume("ingestion", `app:${app.id}`);
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return json(res, 400, { error: "Malformed JSON", code: "VALIDATION" });
    }
    const { events, rejected } = validateBatch(body);
    if (config.redisUrl) {
      if (events.length) await services.jobs.enqueue(INGEST, { app, events });
      return json(res, 202, { accepted: events.length, rejected });
    }
    const result = await ingestAndAnnounce(services, app, events);
    json(res, 200, { accepted: events.length, duplicates: result.duplicates, rejected });
  };
}
