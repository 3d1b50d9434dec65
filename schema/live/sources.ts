import type { Db } from "../common/context.js";
import type { LiveSession } from "../common/pubsub.js";

/** Each session kind tells the Live board which of its sessions are open right now. */
export interface LiveSource {
  kind: LiveSession["kind"];
  listOpen(db: Db, workspaceId: string, now: Date): Promise<LiveSession[]>;
}

/**
 * The instant a counter of whole seconds ticking since `since` last turned over. Counters are
 * floored, so that instant, not `now`, is when the value was exact: clients counting on from it
 * agree with the server to the second and never have to step back.
 */
export function lastTurnover(since: Date, now: Date): Date {
  const running = now.getTime() - since.getTime();
  return running > 0 ? new Date(now.getTime() - (running % 1000)) : now;
}

const readings = new WeakMap<object, Date>();

/**
 * The one instant every counter of a row and its serverTime are read at, so they agree: the last
 * turnover of what ticks since `tickingSince`, or now when nothing ticks.
 */
export function readingInstant(row: object, tickingSince: Date | null): Date {
  let at = readings.get(row);
  if (!at) {
    const now = new Date();
    at = tickingSince ? lastTurnover(tickingSince, now) : now;
    readings.set(row, at);
  }
  return at;
}

/** Every open session of a workspace, of every kind the board is given (schema/live-sources.ts), oldest first. */
export async function listOpenSessions(sources: readonly LiveSource[], db: Db, workspaceId: string, now: Date): Promise<LiveSession[]> {
  const lists = await Promise.all(sources.map((s) => s.listOpen(db, workspaceId, now)));
  return lists.flat().sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
}
