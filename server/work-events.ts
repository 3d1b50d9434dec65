import type { Services } from "../schema/common/context.js";
import { localId } from "../schema/common/input-limits.js";
import { mayActFor } from "../schema/common/policy.js";
import { AppError, ForbiddenError } from "../schema/common/errors.js";
import { eventsFromExport } from "../schema/work/activitywatch.js";
import { parseBatch } from "../schema/work/events.js";
import { ingest, memberOf, settingsOf } from "../schema/work/service.js";
import type { Authenticator } from "./auth.js";
import type { Config } from "../platform/config.js";
import { json } from "./http.js";
import type { Metrics } from "./metrics.js";
import { BadRequestError, bearer, demand, endpoint, methodIs, readJson, signedIn } from "./rest.js";

/** ActivityWatch exports of months of history run to tens of megabytes. */
export const MAX_IMPORT_BYTES = 100_000_000;

/**
 * POST /api/work/events: the desktop app's batches (heartbeats, AFK status, app closed), by
 * personal access token. Good events are stored even when others are rejected.
 */
export function workEventsRoute(services: Services, auth: Authenticator, config: Config, metrics: Metrics) {
  return endpoint(async (req, res) => {
    if (!methodIs(req, res, "POST", "POST a batch of events")) return;
    const viewer = await bearer(req, auth, "Send a personal access token as a Bearer token");
    demand(viewer, "work.record", "You can't record sessions");
    await services.limits.consume("ingestion", `token:${viewer.tokenId}`);
    const { events, rejected } = parseBatch(await readJson(req, config.maxBodyBytes));
    metrics.ingested.inc({ kind: "work", outcome: "rejected" }, rejected.length);
    const result = await ingest(services, viewer, events);
    metrics.ingested.inc({ kind: "work", outcome: "accepted" }, result.accepted);
    json(res, 200, { ...result, rejected });
  });
}

/**
 * POST /api/work/import[?employee=<User ID>]: an ActivityWatch export (aw-buckets-export.json)
 * backfills your sessions, or, for a manager, an employee's.
 */
export function workImportRoute(services: Services, auth: Authenticator, config: Config) {
  return endpoint(async (req, res) => {
    if (!methodIs(req, res, "POST", "POST an ActivityWatch export")) return;
    const viewer = await signedIn(req, auth, config);
    const employee = new URL(req.url ?? "", "http://x").searchParams.get("employee");
    let userId = viewer.userId;
    if (employee) {
      const employeeId = localId(employee, "User");
      const member = employeeId && (await memberOf(services, viewer.workspaceId, employeeId));
      if (!member) throw new AppError("NOT_FOUND", "No such employee");
      userId = member.userId;
    }
    if (!mayActFor(viewer, userId, "work.record", "work.manage")) throw new ForbiddenError("Only managers import for someone else");
    const body = await readJson(req, MAX_IMPORT_BYTES);
    const read = eventsFromExport(body, (await settingsOf(services, viewer.workspaceId)).inactivityMinutes * 60_000);
    if (!read) throw new BadRequestError('Expected an ActivityWatch export: {"buckets": {...}}');
    json(res, 200, { buckets: read.buckets, ...(await ingest(services, { ...viewer, userId }, read.events)), rejected: read.rejected });
  });
}
