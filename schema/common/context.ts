import type pg from "pg";
import type { Prisma, PrismaClient } from "../../prisma/generated/client.js";
import type { Permission, Role } from "./policy.js";
import type { Jobs } from "./jobs.js";
import type { LiveBoard, LiveBoardChanges, LiveSession, PubSub } from "./pubsub.js";
import type { Mail } from "../identity/mail.js";
import type { RateLimits } from "../identity/rate-limits.js";
import type { CredentialStamps } from "../identity/stamps.js";

export type Db = PrismaClient;
/** The client inside an interactive transaction. */
export type Tx = Prisma.TransactionClient;

/** Who is calling: resolved once per request (or per WebSocket) from a cookie or a token. */
export interface Viewer {
  userId: string;
  workspaceId: string;
  role: Role;
  permissions: ReadonlySet<Permission>;
  tokenId: string;
  tokenKind: "browser" | "personal" | "api_key";
  /** The credential stops working at this instant, open WebSockets included. */
  expiresAt: Date | null;
}

/** What every resolver and service receives; read-only on purpose. */
export interface Services {
  readonly db: Db;
  /**
   * The connections `db` runs on, for the one statement of a hot path where Prisma's own work per
   * query would be most of the API's (a beat flip: agent_flip_beat). Everything else goes through `db`.
   */
  readonly pool: pg.Pool;
  readonly pubsub: PubSub;
  readonly jobs: Jobs;
  readonly live: LiveBoards;
  readonly mail: Mail;
  readonly limits: RateLimits;
  /** Where changes to credentials are stamped for other API processes' caches; none without Redis. */
  readonly credentialStamps: CredentialStamps | null;
}

/**
 * The Live boards this process serves (schema/live/hub.ts): declared here, so that what every
 * resolver receives does not depend on how boards are kept.
 */
export interface LiveBoards {
  subscribe(workspaceId: string, watcher: Watcher): Promise<AsyncIterableIterator<LiveBoard>>;
  /** The whole board first, then only what changed. */
  subscribeChanges(workspaceId: string, watcher: Watcher): Promise<AsyncIterableIterator<LiveBoardChanges> & ChangeFeed>;
}

/**
 * A stream of changes after a first whole state, whose consumer may ask for the whole state again:
 * the WebSocket server does, for a socket that joins a running stream or fell behind it.
 */
export interface ChangeFeed {
  /** Whether the payload taken last was the whole state. */
  readonly lastWasWhole: boolean;
  /** Makes a whole state come next, after the changes already waiting. */
  resync(): void;
}

/** A Live board subscriber: whether it asked for ticks, and which rows the policy lets it see. */
export interface Watcher {
  readonly wantsTicks: boolean;
  readonly sees: (session: LiveSession) => boolean;
}

export interface Context extends Services {
  readonly viewer: Viewer | null;
  /** Set when the request came from a browser, so sign-in can set and clear the cookie. */
  readonly cookies?: CookieJar;
  /** The caller's network address (from X-Forwarded-For behind a trusted proxy), for sign-in limits. */
  readonly clientAddress?: string;
  /** The HTTP request's id, for the lines logged on its behalf. */
  readonly requestId?: string;
  /**
   * Set by the WebSocket server when it runs a changes subscription once for many sockets: the
   * subscription hands it its feed, so the server can ask for the whole state again.
   */
  readonly onChangeFeed?: (feed: ChangeFeed) => void;
}

export interface CookieJar {
  set(name: string, value: string, maxAgeSeconds: number): void;
  clear(name: string): void;
}
