// The tracker's files survive a crash or a power cut: each is replaced whole, and is on disk before
// the tracker acts on having written it.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";

/** Replaces `file` atomically with `text`, on disk before it returns. */
export function writeDurably(file: string, text: string) {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
