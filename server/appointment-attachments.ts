import { createReadStream } from "node:fs";
import { join } from "node:path";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Services } from "../schema/common/context.js";
import { localId, UUID } from "../schema/common/input-limits.js";
import { AppError, ForbiddenError } from "../schema/common/errors.js";
import { can } from "../schema/common/policy.js";
import { editableSession, readableAttachment, storeAttachment, uploadProblem } from "../schema/appointments/attachments.js";
import { attachmentsRoot, MAX_ATTACHMENT_BYTES } from "../schema/appointments/storage.js";
import type { Authenticator } from "./auth.js";
import type { Config } from "../platform/config.js";
import { json } from "./http.js";
import { endpoint, readBody, signedIn } from "./rest.js";

/**
 * POST /api/appointments/attachments?fileName=<name>[&appointmentId=<global ID>]: the raw file as
 * the body with its Content-Type. Without a session it waits for the form (a file field) that uses it.
 * GET /api/appointments/attachments/<id>: the file, only to whoever may see its session.
 */
export function appointmentAttachmentsRoute(services: Services, auth: Authenticator, config: Config) {
  return endpoint(async (req, res) => {
    const viewer = await signedIn(req, auth, config);
    const url = new URL(req.url ?? "", "http://x");
    const id = /^\/api\/appointments\/attachments\/([^/]+)$/.exec(url.pathname)?.[1];
    if (req.method === "GET" && id && UUID.test(id)) {
      const file = await readableAttachment(services, viewer, id);
      if (!file) throw new AppError("NOT_FOUND", "No such file");
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
    if (!can(viewer, "session.create") && !can(viewer, "session.update")) throw new ForbiddenError("You may not add files to sessions");
    const sessionParam = url.searchParams.get("appointmentId");
    const appointmentId = sessionParam ? localId(sessionParam, "Appointment") : null;
    if (sessionParam && !(appointmentId && (await editableSession(services, viewer, appointmentId))))
      throw new AppError("NOT_FOUND", "appointmentId: no such session");
    const bytes = await readBody(req, MAX_ATTACHMENT_BYTES);
    const mime = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    const fileName = url.searchParams.get("fileName") ?? "";
    const problem = uploadProblem(mime, bytes, fileName);
    if (problem) return json(res, problem.status, { error: problem.error, code: "VALIDATION" });
    const stored = await storeAttachment(services, viewer, { appointmentId, mime, fileName, bytes });
    const globalId = encodeGlobalID("AppointmentAttachment", stored.id);
    json(res, 201, { id: globalId, fileName: stored.fileName, mime: stored.mime, size: stored.size, url: `/api/appointments/attachments/${stored.id}` });
  });
}
