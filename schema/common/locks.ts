// Every PostgreSQL advisory lock the domains take, by name, so the keys can't collide or drift: each
// is held until its transaction ends. Keys are hashed to 64 bits; one namespace per kind of lock.
import type { RawTx } from "./transactions.js";

/** Takes the locks in sorted order, so two transactions never wait on each other in a cycle. */
async function lock(tx: RawTx, keys: string[]) {
  const sorted = [...new Set(keys)].sort();
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(${sorted}::text[]) AS l(k)`;
}

/** Member changes of one workspace. */
export const lockMembers = (tx: RawTx, workspaceId: string) => lock(tx, [`members:${workspaceId}`]);

/** A person's agent timer and sessions in one workspace (agent_flip_beat, a database function, takes the same key). */
export const lockAgentTimer = (tx: RawTx, workspaceId: string, userId: string) => lock(tx, [`agent:${workspaceId}:${userId}`]);

/** Invoicing of one workspace (invoice numbers come from the workspace row). */
export const lockInvoicing = (tx: RawTx, workspaceId: string) => lock(tx, [`invoicing:${workspaceId}`]);

/** A person's work timeline in one workspace: sessions, activity and AFK periods. */
export const lockWorkTimeline = (tx: RawTx, workspaceId: string, userId: string) => lock(tx, [workTimelineKey(workspaceId, userId)]);

/** Its key, for a statement that takes the lock itself as `pg_advisory_xact_lock(hashtextextended(key, 0))` (recordEvents). */
export const workTimelineKey = (workspaceId: string, userId: string) => `work:${workspaceId}:${userId}`;

/** A member's files not yet attached to a session (their upload quota). */
export const lockUnattachedUploads = (tx: RawTx, workspaceId: string, userId: string) => lock(tx, [`uploads:${workspaceId}:${userId}`]);

/** A member's screenshot uploads of the last day (their screenshot quota). */
export const lockScreenshotQuota = (tx: RawTx, workspaceId: string, userId: string) => lock(tx, [`screenshots:${workspaceId}:${userId}`]);

/** The order of one form's fields (a workspace's fields of one target): added at the end, or reordered. */
export const lockFieldOrder = (tx: RawTx, workspaceId: string, target: string) => lock(tx, [`fields:${workspaceId}:${target}`]);

/** The bookings of staff members and clients (IDs are unique across workspaces). */
export const lockBookings = (tx: RawTx, staffIds: string[], clientIds: string[]) =>
  lock(tx, [...staffIds.map((id) => `booking:staff:${id}`), ...clientIds.map((id) => `booking:client:${id}`)]);

/** An analytics app's end users and client sessions, by their keys. */
export const lockVisitors = (tx: RawTx, appId: string, userKeys: string[], clientSessionIds: string[]) =>
  lock(tx, [...userKeys.map((key) => `analytics:${appId}:u:${key}`), ...clientSessionIds.map((id) => `analytics:${appId}:s:${id}`)]);

/**
 * The identity links of an analytics app: every batch holds it shared (the links it reads stay as they
 * are until it commits), one that adds links holds it alone.
 */
export async function lockIdentities(tx: RawTx, appId: string, exclusive: boolean) {
  const key = `analytics:${appId}:identities`;
  if (exclusive) await lock(tx, [key]);
  else await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(hashtextextended(${key}, 0))`;
}

/** Seeding the demo workspace: two processes starting on one empty database seed it once. */
export const lockDemoSeed = (tx: RawTx) => lock(tx, ["demo-seed"]);

/** The monthly partitions of raw events: made and dropped one process at a time. */
export const lockRawEventPartitions = (tx: RawTx) => lock(tx, ["analytics:partitions"]);
