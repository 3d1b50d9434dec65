import { resolve } from "node:path";

/** Session attachments live on local disk under DATA_DIR (the same folder the server is given). */
export function attachmentsRoot(dataDir = process.env.DATA_DIR ?? ".data") {
  return resolve(dataDir, "attachments");
}

/** Images and the documents a practice exchanges; anything else is refused. */
export const ATTACHMENT_TYPES: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
  "application/pdf": "pdf",
  "text/plain": "txt",
};
export const MAX_ATTACHMENT_BYTES = 10_000_000;
