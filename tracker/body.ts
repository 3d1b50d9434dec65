// Request bodies for the tracker's small HTTP server, within a size a watcher's batch never reaches.
import type { IncomingMessage } from "node:http";
import { TrackerError } from "./tracker.js";

const MAX_BODY_BYTES = 10_000_000;

export async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new TrackerError(413, "request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
