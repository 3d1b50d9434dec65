// With several API processes, each may keep credentials cached only if it learns of a change made
// on another before that process answers: pub/sub arrives a moment too late. So every change also
// stamps the keys it affects in Redis, after it commits and before it answers, and a cached viewer
// serves a request only while the stamps it was read under are still the ones in Redis.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Viewer } from "../common/context.js";
import type { IdentityChange } from "../common/pubsub.js";
import { log } from "../common/log.js";

/** Far longer than a cached viewer lives (seconds), so an expired stamp never revives a stale entry. */
const STAMP_SECONDS = 3600;

/** The stamps a viewer depends on: one for each kind of change `affects` tells apart. */
export function stampKeys(viewer: Viewer): string[] {
  return [
    "credentials:all",
    `credentials:token:${viewer.tokenId}`,
    `credentials:user:${viewer.userId}`,
    `credentials:member:${viewer.workspaceId}:${viewer.userId}`,
    `credentials:workspace:${viewer.workspaceId}`,
  ];
}

/** The stamps a change renews: exactly those of the viewers it `affects`. */
export function changedKeys(change: IdentityChange): string[] {
  if (change.all) return ["credentials:all"];
  const keys = (change.tokenIds ?? []).map((id) => `credentials:token:${id}`);
  if (change.userId) keys.push(change.workspaceId ? `credentials:member:${change.workspaceId}:${change.userId}` : `credentials:user:${change.userId}`);
  else if (change.workspaceId) keys.push(`credentials:workspace:${change.workspaceId}`);
  return keys;
}

export class CredentialStamps {
  /** Counts connections: a stamp read on an earlier one may predate a change Redis missed meanwhile. */
  private connection = 0;

  constructor(
    private readonly redis: Redis,
    private readonly watch: { readonly up: boolean },
  ) {
    redis.on("ready", () => this.connection++);
  }

  /**
   * The current stamps of `keys`, or null when Redis can't say right now (nothing cached is then
   * trusted). Read before the database, so that a change committed after that read shows as new.
   */
  async read(keys: string[]): Promise<string[] | null> {
    if (!this.watch.up) return null;
    const connection = String(this.connection);
    try {
      const values = await this.redis.mget(keys);
      return [connection, ...values.map((value) => value ?? "")];
    } catch {
      return null;
    }
  }

  /**
   * Renews the stamps a committed change affects, with a value never used before. While Redis is
   * away no process trusts its cache (see `read`), and each one's first read on the new connection
   * counts as a change; only a writer cut off from a Redis the others still reach leaves their
   * cached viewers in use for the rest of their life (at most the cache's 10 s). That is logged.
   */
  async stamp(change: IdentityChange): Promise<void> {
    const keys = changedKeys(change);
    if (!keys.length) return;
    const value = randomUUID();
    try {
      if (this.redis.status !== "ready") throw new Error(`Redis connection ${this.redis.status}`);
      const batch = this.redis.multi();
      for (const key of keys) batch.set(key, value, "EX", STAMP_SECONDS);
      await batch.exec();
    } catch (error) {
      log.error({ err: (error as Error).message, keys }, "could not stamp a credential change; other API processes may serve their cached viewer for up to 10 s");
    }
  }
}
