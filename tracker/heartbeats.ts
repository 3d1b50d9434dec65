// What aw-server stores for the watchers' heartbeats, and how the growth of its newest event is
// handed on to the platform in pieces that merge back into one activity there. Pure: no I/O.
import { createHash } from "node:crypto";

/** An event as the ActivityWatch REST API carries it. */
export interface AwEvent {
  timestamp: string;
  /** Seconds. */
  duration: number;
  data: Record<string, unknown>;
}

/** A bucket's newest event, with how much of it the platform has already been sent. */
export interface Newest {
  start: number;
  /** Milliseconds. */
  end: number;
  data: Record<string, unknown>;
  pulsetime: number;
  /** Up to where it was queued for the platform; null while nothing of it was. */
  sentUntil: number | null;
}

/** aw-core compares event data as JSON objects: key order doesn't matter. */
export function sameData(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

/**
 * aw-core's `heartbeat_merge`: a heartbeat with the newest event's data, starting no earlier than
 * it and no later than `pulsetime` seconds after its end, extends it (never shortens it); anything
 * else starts a new event. Returns the newest event afterwards and whether a new one began.
 */
export function heartbeat(last: Newest | null, beat: { start: number; end: number; data: Record<string, unknown> }, pulsetime: number): { newest: Newest; started: boolean } {
  if (last && sameData(last.data, beat.data) && beat.start >= last.start && beat.start <= last.end + pulsetime * 1000)
    return { newest: { ...last, end: Math.max(last.end, beat.end), pulsetime }, started: false };
  return { newest: { ...beat, pulsetime, sentUntil: null }, started: true };
}

/**
 * The part of the newest event not yet queued, as a piece that starts where the last one ended
 * (the platform merges it into the same activity by the same heartbeat rule). Its id names the
 * event and the stretch, so sending it twice counts it once.
 */
export function unsentPiece(bucketId: string, e: Newest): { id: string; start: number; end: number } | null {
  const from = e.sentUntil ?? e.start;
  if (e.sentUntil !== null && e.end <= from) return null;
  return { id: pieceId(bucketId, e.start, from, e.end), start: from, end: e.end };
}

/** Ids stay within the platform's 200 characters whatever the bucket is called. */
function pieceId(bucketId: string, start: number, from: number, end: number): string {
  const bucket = bucketId.length <= 120 ? bucketId : createHash("sha256").update(bucketId).digest("hex").slice(0, 32);
  return `${bucket}/${start}/${from - start}-${end - start}`;
}

/** An inserted event's id: from its content, so the same event posted again is the same event. */
export function insertedId(bucketId: string, e: AwEvent): string {
  return `${bucketId.slice(0, 100)}/inserted/${createHash("sha256").update(canonical(e)).digest("hex").slice(0, 32)}`;
}
