import { createGraphQLError } from "graphql-yoga";
import type { Db, Viewer } from "../schema/common/context.js";
import type { PubSub } from "../schema/common/pubsub.js";
import { onLocalRevocation } from "../schema/identity/revocations.js";
import { findViewer, SESSION_COOKIE } from "../schema/identity/service.js";
import { hashSecret } from "../schema/identity/secrets.js";

const CACHE_MS = 10_000;

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

/**
 * Resolves secrets to viewers with a short per-process cache. Revocations arrive through pub/sub
 * (from any instance) and evict at once, so a revoked token stops working immediately.
 */
export class Authenticator {
  private readonly cache = new Map<string, { viewer: Viewer; until: number }>();
  private readonly onRevoked = new Set<(tokenId: string) => void>();

  constructor(
    private readonly db: Db,
    pubsub: PubSub,
  ) {
    onLocalRevocation((tokenId) => this.revoked(tokenId));
    void (async () => {
      for await (const { tokenId } of pubsub.subscribe("tokenRevoked")) this.revoked(tokenId);
    })();
  }

  private revoked(tokenId: string) {
    for (const [key, entry] of this.cache) if (entry.viewer.tokenId === tokenId) this.cache.delete(key);
    for (const listener of this.onRevoked) listener(tokenId);
  }

  async viewerFor(secret: string): Promise<Viewer | null> {
    const key = hashSecret(secret);
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.viewer;
    const viewer = await findViewer(this.db, secret);
    if (viewer) this.cache.set(key, { viewer, until: Date.now() + CACHE_MS });
    else this.cache.delete(key);
    if (this.cache.size > 50_000) this.cache.clear();
    return viewer;
  }

  whenRevoked(listener: (tokenId: string) => void) {
    this.onRevoked.add(listener);
  }
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
