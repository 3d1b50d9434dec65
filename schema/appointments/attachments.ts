// Files and images of client sessions: stored under DATA_DIR, readable by whoever may see the session.
import { randomUUID } from "node:crypto";
import { mkdir, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { contentMatches } from "../common/content-types.js";
import type { Context, Services, Viewer } from "../common/context.js";
import { AppError, NotFoundError, QuotaExceededError } from "../common/errors.js";
import { lockUnattachedUploads } from "../common/locks.js";
import { can, rowsWhere } from "../common/policy.js";
import { ATTACHMENT_TYPES, attachmentsRoot } from "./storage.js";

export type UploadProblem = { status: number; error: string };

/** Checks an upload; null when it may be stored. */
export function uploadProblem(mime: string, bytes: Buffer, fileName: string): UploadProblem | null {
  if (!ATTACHMENT_TYPES[mime]) return { status: 415, error: `Allowed types: ${Object.keys(ATTACHMENT_TYPES).join(", ")}` };
  if (!bytes.length) return { status: 400, error: "The file is empty" };
  if (!contentMatches(mime, bytes)) return { status: 415, error: `The content is not ${mime}` };
  if (!fileName.trim() || fileName.length > 200 || /[/\\\0]/.test(fileName)) return { status: 400, error: "fileName: 1-200 characters, no slashes" };
  return null;
}

/**
 * What one member may hold uploaded for forms not yet saved, per workspace. Without it a member could
 * fill the disk with files no session ever takes; the sweep (jobs.ts) removes them after a day anyway.
 */
export const UNATTACHED_UPLOAD_QUOTA = { files: 20, bytes: 50_000_000 } as const;

function uploadQuotaError() {
  const { files, bytes } = UNATTACHED_UPLOAD_QUOTA;
  return new QuotaExceededError(`At most ${files} files and ${bytes / 1_000_000} MB of uploads not yet attached to a session per member: save the form that uses them, or wait a day for unused ones to go`, UNATTACHED_UPLOAD_QUOTA);
}

/**
 * Stores a file, for a session the viewer may edit or (no session yet) for a form being filled. An
 * unattached upload is counted against the quota under a per-member lock, so concurrent uploads
 * can't all slip under it; the file is written before its row, so no row names a missing file.
 */
export async function storeAttachment(services: Services, viewer: Viewer, input: { appointmentId: string | null; mime: string; fileName: string; bytes: Buffer }) {
  const path = join(viewer.workspaceId, `${randomUUID()}.${ATTACHMENT_TYPES[input.mime]}`);
  const data = { workspaceId: viewer.workspaceId, appointmentId: input.appointmentId, uploadedById: viewer.userId, fileName: input.fileName.trim(), mime: input.mime, size: input.bytes.length, path };
  return services.db.$transaction(async (tx) => {
    if (!input.appointmentId) {
      await lockUnattachedUploads(tx, viewer.workspaceId, viewer.userId);
      const held = await tx.appointmentAttachment.aggregate({ where: { workspaceId: viewer.workspaceId, uploadedById: viewer.userId, appointmentId: null }, _count: true, _sum: { size: true } });
      if (held._count + 1 > UNATTACHED_UPLOAD_QUOTA.files || (held._sum.size ?? 0) + data.size > UNATTACHED_UPLOAD_QUOTA.bytes) throw uploadQuotaError();
    }
    await mkdir(join(attachmentsRoot(), viewer.workspaceId), { recursive: true });
    await writeFile(join(attachmentsRoot(), path), input.bytes);
    return tx.appointmentAttachment.create({ data });
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

/** Removes stored files; one already gone is no reason to fail. */
export async function removeFiles(paths: string[]) {
  const root = attachmentsRoot();
  await Promise.all(paths.map((path) => unlink(join(root, path)).catch(() => {})));
}

/** Removes a file from a session (a file field still naming it then fails validation on its next save). */
export async function deleteAttachment(ctx: Context, id: string) {
  const file = await readableAttachment(ctx, ctx.viewer!, id);
  if (!file) throw new NotFoundError("File");
  await ctx.db.appointmentAttachment.delete({ where: { id: file.id } });
  await removeFiles([file.path]);
  return file;
}
