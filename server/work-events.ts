import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../schema/common/context.js";
import { parseBatch } from "../schema/work/events.js";
import { announceWork } from "../schema/work/live.js";
import { recordEvents, scheduleAutoClose } from "../schema/work/recording.js";
import { type Authenticator, credentialsFrom } from "./auth.js";

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/**
 * POST /api/work/events: the desktop app's batches (heartbeats, AFK status, app closed), by
 * personal access token. Good events are stored even when others are rejected.
 */
export function workEventsRoute(services: Services, auth: Authenticator) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") return json(res, 405, { error: "POST a batch of events" });
    const credentials = credentialsFrom(req.headers.authorization, null);
    const viewer = credentials ? await auth.viewerFor(credentials.secret) : null;
    if (!viewer) return json(res, 401, { error: "Send a personal access token as a Bearer token", code: "UNAUTHENTICATED" });
    if (!viewer.permissions.has("session.create")) return json(res, 403, { error: "You can't record sessions", code: "FORBIDDEN" });
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return json(res, 400, { error: "Malformed JSON", code: "VALIDATION" });
    }
    const { events, rejected } = parseBatch(body);
    const result = await recordEvents(services, viewer, events);
    await scheduleAutoClose(services, result, viewer.workspaceId);
    await announceWork(services, result.changedSessionIds);
    json(res, 200, { accepted: result.accepted, duplicates: result.duplicates, rejected });
  };
}
