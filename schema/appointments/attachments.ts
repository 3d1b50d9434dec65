// Files and images of client sessions: stored under DATA_DIR, readable by whoever may see the session.
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Services, Viewer } from "../common/context.js";
import { can, rowsWhere } from "../common/policy.js";
import { ATTACHMENT_TYPES, attachmentsRoot } from "./storage.js";

/** The first bytes each type must start with, so a renamed executable isn't served as an image. */
const MAGIC: Record<string, (b: Buffer) => boolean> = {
  "image/png": (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  "image/jpeg": (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  "image/gif": (b) => b.subarray(0, 4).toString("latin1") === "GIF8",
  "image/webp": (b) => b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP",
  "application/pdf": (b) => b.subarray(0, 5).toString("latin1") === "%PDF-",
  "text/plain": (b) => !b.includes(0),
};

export type UploadProblem = { status: number; error: string };

/** Checks an upload; null when it may be stored. */
export function uploadProblem(mime: string, bytes: Buffer, fileName: string): UploadProblem | null {
  if (!ATTACHMENT_TYPES[mime]) return { status: 415, error: `Allowed types: ${Object.keys(ATTACHMENT_TYPES).join(", ")}` };
  if (!bytes.length) return { status: 400, error: "The file is empty" };
  if (!MAGIC[mime](bytes)) return { status: 415, error: `The content is not ${mime}` };
  if (!fileName.trim() || fileName.length > 200 || /[/\\\0]/.test(fileName)) return { status: 400, error: "fileName: 1-200 characters, no slashes" };
  return null;
}

/** Stores a file, for a session the viewer may edit or (no session yet) for a form being filled. */
export async function storeAttachment(services: Services, viewer: Viewer, input: { appointmentId: string | null; mime: string; fileName: string; bytes: Buffer }) {
  const path = join(viewer.workspaceId, `${randomUUID()}.${ATTACHMENT_TYPES[input.mime]}`);
  await mkdir(join(attachmentsRoot(), viewer.workspaceId), { recursive: true });
  await writeFile(join(attachmentsRoot(), path), input.bytes);
  return services.db.appointmentAttachment.create({
    data: { workspaceId: viewer.workspaceId, appointmentId: input.appointmentId, uploadedById: viewer.userId, fileName: input.fileName.trim(), mime: input.mime, size: input.bytes.length, path },
  });
}

/** A session the viewer may attach files to, or null. */
export async function editableSession(services: Services, viewer: Viewer, appointmentId: string) {
  if (!can(viewer, "session.update")) return null;
  return services.db.appointment.findFirst({ where: { id: appointmentId, ...rowsWhere(viewer, "appointment") } });
}

/** The attachment if the viewer may read it: its session is visible, or it is their own unused upload. */
export async function readableAttachment(services: Services, viewer: Viewer, id: string) {
  if (!can(viewer, "session.read")) return null;
  const a = await services.db.appointmentAttachment.findFirst({ where: { id, workspaceId: viewer.workspaceId } });
  if (!a) return null;
  if (!a.appointmentId) return a.uploadedById === viewer.userId ? a : null;
  return (await services.db.appointment.count({ where: { id: a.appointmentId, ...rowsWhere(viewer, "appointment") } })) ? a : null;
}
