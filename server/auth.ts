import type { IncomingMessage } from "node:http";
import { createGraphQLError } from "graphql-yoga";
import type { Db, Viewer } from "../schema/common/context.js";
import type { IdentityChange, PubSub } from "../schema/common/pubsub.js";
import type { RateLimits } from "../schema/identity/rate-limits.js";
import { type CredentialStamps, stampKeys } from "../schema/identity/stamps.js";
import { affects, onLocalChange } from "../schema/identity/revocations.js";
import { findViewer, SESSION_COOKIE } from "../schema/identity/service.js";

/** How long an API process may reuse a resolved viewer (changes evict it sooner). */
export const CREDENTIAL_CACHE_MS = 10_000;

export interface Credentials {
  secret: string;
  /** Cookies ride along on any request a browser makes, so they need an Origin check; bearer tokens don't. */
  viaCookie: boolean;
}

export function readCookie(header: string | null | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** A bearer token (Authorization header) wins over the browser cookie. */
export function credentialsFrom(authorization: string | null | undefined, cookie: string | null | undefined): Credentials | null {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (bearer) return { secret: bearer, viaCookie: false };
  const fromCookie = readCookie(cookie, SESSION_COOKIE);
  return fromCookie ? { secret: fromCookie, viaCookie: true } : null;
}

export function unauthenticated(message = "Unknown, expired or revoked token") {
  return createGraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
}

interface Cached {
  viewer: Viewer;
  until: number;
  /** The stamps read before the database read it came from (stamps.ts); null: unknown, so not served. */
  stamps: string[] | null;
}

/** Without Redis there are no stamps to compare: every change is made in this process. */
const NO_STAMPS: Promise<string[]> = Promise.resolve([]);

/** Same stamps read under the same keys: nothing the viewer depends on changed in between. */
function sameStamps(cached: string[] | null, current: string[] | null) {
  return cached !== null && current !== null && cached.length === current.length && cached.every((stamp, i) => stamp === current[i]);
}

/**
 * Resolves secrets to viewers, and keeps each for a short while (`CREDENTIAL_CACHE_MS`, never past
 * its token's expiry). The cache is keyed by the secret itself, so a hit costs no hash: the secret
 * stays in this process's memory, where each request carrying it already is, and never goes to a
 * shared store (Redis) or a log.
 * - One process (no Redis): every change is made in this process and evicts synchronously.
 * - Several processes: a change made on another one reaches this one through pub/sub a moment
 *   later, too late for a request that follows at once. So a cached viewer serves a request only if
 *   its stamps in Redis (stamps.ts) are still those read before its database read: one MGET, sent
 *   alongside the request's rate-limit count. A secret's keys are known only once it has been read,
 *   so its first request here reads the database and caches nothing it can serve; the second reads
 *   the stamps first, then the database, and caches.
 */
export class Authenticator {
  /** By secret: see above. */
  private readonly cache = new Map<string, Cached>();
  /** Lookups in flight, shared: a change re-checks many sockets of one token with one query. */
  private readonly pending = new Map<string, Promise<Viewer | null>>();
  /** Bumped by every change, so a lookup that read the database before it is not cached after it. */
  private generation = 0;
  private readonly onChange = new Set<(change: IdentityChange) => void>();

  constructor(
    private readonly db: Db,
    pubsub: PubSub,
    private readonly limits: RateLimits,
    private readonly redisStamps: CredentialStamps | null,
  ) {
    onLocalChange((change) => this.changed(change));
    // Expired entries of secrets not seen again go too: none is kept much past its time.
    setInterval(() => this.dropExpired(), CREDENTIAL_CACHE_MS).unref();
    void (async () => {
      for await (const change of pubsub.subscribe("identityChanged")) this.changed(change);
    })();
  }

  /**
   * After pub/sub was lost and is back: revocations announced meanwhile never arrived, so nothing
   * cached is trusted and every open WebSocket is checked against the database again.
   */
  catchUp() {
    this.changed({ all: true });
  }

  private changed(change: IdentityChange) {
    this.generation++;
    this.pending.clear();
    for (const [key, entry] of this.cache) if (affects(change, entry.viewer)) this.cache.delete(key);
    for (const listener of this.onChange) listener(change);
  }

  private dropExpired() {
    const now = Date.now();
    for (const [secret, entry] of this.cache) if (entry.until <= now) this.cache.delete(secret);
  }

  /** The viewer behind a secret, without counting a use (re-checks of open WebSockets). */
  resolve(secret: string): Promise<Viewer | null> {
    return this.viewerOf(secret, false);
  }

  /** The viewer of one request or operation; counts against the credential's rate limit. */
  viewerFor(secret: string): Promise<Viewer | null> {
    return this.viewerOf(secret, true);
  }

  private async viewerOf(secret: string, count: boolean): Promise<Viewer | null> {
    const entry = this.cache.get(secret);
    if (!entry) {
      const viewer = await this.lookup(secret, null);
      if (viewer && count) await this.limits.consume("tokenUse", viewer.tokenId);
      return viewer;
    }
    // A secret's token never changes, so its use counts before the viewer is known to be current.
    const [stamps] = await Promise.all([
      this.redisStamps ? this.redisStamps.read(stampKeys(entry.viewer)) : NO_STAMPS,
      count ? this.limits.consume("tokenUse", entry.viewer.tokenId) : null,
    ]);
    if (this.cache.get(secret) === entry && entry.until > Date.now() && sameStamps(entry.stamps, stamps)) return entry.viewer;
    return this.lookup(secret, stamps && { keys: stampKeys(entry.viewer).join(), stamps });
  }

  /** Reads the database, once for concurrent callers; `before`: the stamps read just before, and for which keys. */
  private lookup(secret: string, before: { keys: string; stamps: string[] } | null): Promise<Viewer | null> {
    let lookup = this.pending.get(secret);
    if (!lookup) {
      lookup = this.read(secret, before).finally(() => this.pending.delete(secret));
      this.pending.set(secret, lookup);
    }
    return lookup;
  }

  private async read(secret: string, before: { keys: string; stamps: string[] } | null): Promise<Viewer | null> {
    const generation = this.generation;
    const viewer = await findViewer(this.db, secret);
    if (!viewer || generation !== this.generation) {
      this.cache.delete(secret);
      return viewer;
    }
    // Stamps read under other keys (the token moved to another workspace) say nothing about this viewer.
    const stamps = !this.redisStamps ? [] : before?.keys === stampKeys(viewer).join() ? before.stamps : null;
    this.cache.set(secret, { viewer, stamps, until: Math.min(Date.now() + CREDENTIAL_CACHE_MS, viewer.expiresAt?.getTime() ?? Infinity) });
    if (this.cache.size > 50_000) this.cache.clear();
    return viewer;
  }

  whenChanged(listener: (change: IdentityChange) => void) {
    this.onChange.add(listener);
  }
}

/** The n-th address from the right of X-Forwarded-For, n being the number of trusted proxies. */
export function clientAddress(req: IncomingMessage, trustProxy: number): string {
  const direct = req.socket.remoteAddress ?? "unknown";
  const forwarded = trustProxy ? String(req.headers["x-forwarded-for"] ?? "").split(",").map((a) => a.trim()).filter(Boolean) : [];
  return forwarded[Math.max(0, forwarded.length - trustProxy)] ?? direct;
}

/** Whether the browser reached us over https: directly, or as a trusted TLS-terminating proxy says. */
export function arrivedOverHttps(req: IncomingMessage, trustProxy: number): boolean {
  if ("encrypted" in req.socket && req.socket.encrypted) return true;
  const proto = trustProxy ? String(req.headers["x-forwarded-proto"] ?? "").split(",")[0].trim() : "";
  return proto === "https";
}

/** Same-origin unless explicitly allowed: a page elsewhere must not ride on the user's cookie. */
export function originAllowed(origin: string | null | undefined, host: string | null | undefined, allowed: string[]) {
  if (!origin) return true; // non-browser clients send no Origin; cookies then come from the user's own client
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The viewer of a plain HTTP request (bearer token, or the cookie from the same origin). */
export async function viewerOfRequest(
  req: { headers: { authorization?: string; cookie?: string; origin?: string; host?: string } },
  auth: Authenticator,
  allowedOrigins: string[],
): Promise<Viewer | null> {
  const credentials = credentialsFrom(req.headers.authorization, req.headers.cookie);
  if (!credentials) return null;
  if (credentials.viaCookie && !originAllowed(req.headers.origin, req.headers.host, allowedOrigins)) return null;
  return auth.viewerFor(credentials.secret);
}
