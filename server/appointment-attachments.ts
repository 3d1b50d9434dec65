import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Services } from "../schema/common/context.js";
import { localId } from "../schema/common/input-limits.js";
import { can } from "../schema/common/policy.js";
import { editableSession, readableAttachment, storeAttachment, UNATTACHED_UPLOAD_QUOTA, UploadQuotaError, uploadProblem } from "../schema/appointments/attachments.js";
import { attachmentsRoot } from "../schema/appointments/storage.js";
import { type Authenticator, viewerOfRequest } from "./auth.js";
import type { Config } from "../platform/config.js";
import { json } from "./http.js";

/**
 * POST /api/appointments/attachments?fileName=<name>[&appointmentId=<global ID>]: the raw file as
 * the body with its Content-Type. Without a session it waits for the form (a file field) that uses it.
 * GET /api/appointments/attachments/<id>: the file, only to whoever may see its session.
 */
export function appointmentAttachmentsRoute(services: Services, auth: Authenticator, config: Config) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const viewer = await viewerOfRequest(req, auth, config.allowedOrigins);
    if (!viewer) return json(res, 401, { error: "Sign in or send a token", code: "UNAUTHENTICATED" });
    const url = new URL(req.url ?? "", "http://x");
    const id = /^\/api\/appointments\/attachments\/([0-9a-f-]{36})$/.exec(url.pathname)?.[1];
    if (req.method === "GET" && id) {
      const file = await readableAttachment(services, viewer, id);
      if (!file) return json(res, 404, { error: "No such file", code: "NOT_FOUND" });
      res.writeHead(200, {
        "content-type": file.mime,
        "content-length": file.size,
        "content-disposition": `${file.mime.startsWith("image/") ? "inline" : "attachment"}; filename="${encodeURIComponent(file.fileName)}"`,
        "cache-control": "private, max-age=3600",
        "x-content-type-options": "nosniff",
      });
      return void createReadStream(join(attachmentsRoot(config.dataDir), file.path)).pipe(res);
    }
    if (req.method !== "POST" || url.pathname !== "/api/appointments/attachments") return json(res, 404, { error: "Not found" });
    if (!can(viewer, "session.create") && !can(viewer, "session.update"))
      return json(res, 403, { error: "You may not add files to sessions", code: "FORBIDDEN" });
    const sessionParam = url.searchParams.get("appointmentId");
    const appointmentId = sessionParam ? localId(sessionParam, "Appointment") : null;
    if (sessionParam && !(appointmentId && (await editableSession(services, viewer, appointmentId))))
      return json(res, 404, { error: "appointmentId: no such session", code: "NOT_FOUND" });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const mime = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    const fileName = url.searchParams.get("fileName") ?? "";
    const problem = uploadProblem(mime, bytes, fileName);
    if (problem) return json(res, problem.status, { error: problem.error, code: "VALIDATION" });
    const stored = await storeAttachment(services, viewer, { appointmentId, mime, fileName, bytes }).catch((error) => {
      if (error instanceof UploadQuotaError) return json(res, 413, { error: error.message, code: error.code, limit: UNATTACHED_UPLOAD_QUOTA });
      throw error;
    });
    if (!stored) return;
    const globalId = encodeGlobalID("AppointmentAttachment", stored.id);
    json(res, 201, { id: globalId, fileName: stored.fileName, mime: stored.mime, size: stored.size, url: `/api/appointments/attachments/${stored.id}` });
  };
}
