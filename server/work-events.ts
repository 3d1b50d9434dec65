import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services, Viewer } from "../schema/common/context.js";
import { localId } from "../schema/common/input-limits.js";
import { can, mayActFor } from "../schema/common/policy.js";
import { eventsFromExport } from "../schema/work/activitywatch.js";
import { parseBatch, type WorkEvent } from "../schema/work/events.js";
import { announcePrompts } from "../schema/work/afk.js";
import { announceWork } from "../schema/work/live.js";
import { recordEvents, scheduleAutoClose } from "../schema/work/recording.js";
import { workSettings } from "../schema/work/settings.js";
import { type Authenticator, credentialsFrom, viewerOfRequest } from "./auth.js";
import type { Config } from "../platform/config.js";
import { json } from "./http.js";
import type { Metrics } from "./metrics.js";


export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** Records, schedules the auto-close and tells the board: one path for live and imported events. */
async function ingest(services: Services, viewer: Viewer, events: WorkEvent[]) {
  const result = await recordEvents(services, viewer, events);
  await scheduleAutoClose(services, result, viewer.workspaceId);
  await announceWork(services, result.changedSessionIds, viewer.workspaceId);
  if (result.afkEnded) announcePrompts(services, viewer.workspaceId, viewer.userId);
  return { accepted: result.accepted, duplicates: result.duplicates, sessions: result.changedSessionIds.length };
}

/**
 * POST /api/work/events: the desktop app's batches (heartbeats, AFK status, app closed), by
 * personal access token. Good events are stored even when others are rejected.
 */
export function workEventsRoute(services: Services, auth: Authenticator, metrics: Metrics) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") return json(res, 405, { error: "POST a batch of events" });
    const credentials = credentialsFrom(req.headers.authorization, null);
    const viewer = credentials ? await auth.viewerFor(credentials.secret) : null;
    if (!viewer) return json(res, 401, { error: "Send a personal access token as a Bearer token", code: "UNAUTHENTICATED" });
    if (!can(viewer, "work.record")) return json(res, 403, { error: "You can't record sessions", code: "FORBIDDEN" });
    await services.limits.consume("ingestion", `token:${viewer.tokenId}`);
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return json(res, 400, { error: "Malformed JSON", code: "VALIDATION" });
    }
    const { events, rejected } = parseBatch(body);
    metrics.ingested.inc({ kind: "work", outcome: "rejected" }, rejected.length);
    const result = await ingest(services, viewer, events);
    metrics.ingested.inc({ kind: "work", outcome: "accepted" }, result.accepted);
    json(res, 200, { ...result, rejected });
  };
}

/**
 * POST /api/work/import[?employee=<User ID>]: an ActivityWatch export (aw-buckets-export.json)
 * backfills your sessions, or, for a manager, an employee's.
 */
export function workImportRoute(services: Services, auth: Authenticator, config: Config) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") return json(res, 405, { error: "POST an ActivityWatch export" });
    const viewer = await viewerOfRequest(req, auth, config.allowedOrigins);
    if (!viewer) return json(res, 401, { error: "Sign in or send a token", code: "UNAUTHENTICATED" });
    const employee = new URL(req.url ?? "", "http://x").searchParams.get("employee");
    let userId = viewer.userId;
    if (employee) {
      const employeeId = localId(employee, "User");
      const member = employeeId && (await services.db.membership.findFirst({ where: { workspaceId: viewer.workspaceId, userId: employeeId } }));
      if (!member) return json(res, 404, { error: "No such employee", code: "NOT_FOUND" });
      userId = member.userId;
    }
    if (!mayActFor(viewer, userId, "work.record", "work.manage"))
      return json(res, 403, { error: "Only managers import for someone else", code: "FORBIDDEN" });
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return json(res, 400, { error: "Malformed JSON", code: "VALIDATION" });
    }
    const workspace = await services.db.workspace.findUniqueOrThrow({ where: { id: viewer.workspaceId } });
    const read = eventsFromExport(body, workSettings(workspace.settings).inactivityMinutes * 60_000);
    if (!read) return json(res, 400, { error: 'Expected an ActivityWatch export: {"buckets": {...}}', code: "VALIDATION" });
    json(res, 200, { buckets: read.buckets, ...(await ingest(services, { ...viewer, userId }, read.events)), rejected: read.rejected });
  };
}
