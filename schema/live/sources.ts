import type { Db } from "../common/context.js";
import type { LiveSession } from "../common/pubsub.js";

/** Each session kind tells the Live board which of its sessions are open right now. */
export interface LiveSource {
  kind: LiveSession["kind"];
  listOpen(db: Db, workspaceId: string, now: Date): Promise<LiveSession[]>;
}

const sources: LiveSource[] = [];

export function registerLiveSource(source: LiveSource) {
  sources.push(source);
}

export async function listOpenSessions(db: Db, workspaceId: string, now: Date): Promise<LiveSession[]> {
  const lists = await Promise.all(sources.map((s) => s.listOpen(db, workspaceId, now)));
  return lists.flat().sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
}
