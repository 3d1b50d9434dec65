import type { Client } from "graphql-ws";
import { clientNow } from "./clock.svelte";
import { errorMessage } from "./format";
import type { LiveBoardChangesSubscription, LiveSessionKind, SessionStatusChangedSubscription } from "./generated/graphql";
import { gql, graphql, subscribe } from "./graphql";
import { loadViewer } from "./session.svelte";

export type { LiveSessionKind };

const LIVE_BOARD = graphql(`
  subscription LiveBoardChanges {
    liveBoardChanges { serverTime reason sessions { id kind title person personId state ticking startedAt accumulatedSeconds serverTime } removedIds }
  }
`);

type Changes = LiveBoardChangesSubscription["liveBoardChanges"];

/**
 * `personId` is the global ID of the member (User) whose session it is; `serverTime` the server's
 * instant at which `accumulatedSeconds` was exact: ticking counters advance from there.
 */
export type LiveSession = Changes["sessions"][number];

/** The board as of the server's `serverTime`, and `receivedAt`, the clientNow() when that arrived: together, how far this clock is from the server's. */
export type Board = Pick<Changes, "serverTime" | "sessions"> & { receivedAt: number };

const byStart = (a: LiveSession, b: LiveSession) => Date.parse(a.startedAt) - Date.parse(b.startedAt);

/** The board after a payload: a SNAPSHOT replaces it; a CHANGE replaces, adds and drops sessions by id; a TICK only moves the clock. */
export function applyChanges(board: Board | null, changes: Changes, receivedAt: number): Board {
  const sessions = new Map(changes.reason === "SNAPSHOT" || !board ? [] : board.sessions.map((s) => [s.id, s]));
  for (const session of changes.sessions) sessions.set(session.id, session);
  for (const id of changes.removedIds) sessions.delete(id);
  return { serverTime: changes.serverTime, sessions: [...sessions.values()].sort(byStart), receivedAt };
}

export interface BoardHandlers {
  board: (board: Board) => void;
  /** The subscription ended for good: GraphQL errors, or a fatal close such as 4401 (signed out, token revoked). */
  failed: (error: unknown) => void;
}

/** Subscribes to the board: the whole of it first, then only what changed. Returns the unsubscribe. */
export function watchBoard(client: Client, on: BoardHandlers) {
  let board: Board | null = null;
  return subscribe(client, LIVE_BOARD, {
    data: ({ liveBoardChanges }) => on.board((board = applyChanges(board, liveBoardChanges, clientNow()))),
    failed: on.failed,
  });
}

/** What a board does when its subscription ends for good: show a message, wait, or subscribe `again`. */
export type Recover = (error: unknown, on: { show: (message: string) => void; waiting: () => void; again: () => void }) => void;

/** A close event with `code`, as graphql-ws reports fatal closes. */
export function closeCode(error: unknown): number | undefined {
  return typeof error === "object" && error && "code" in error && typeof error.code === "number" ? error.code : undefined;
}

/**
 * A page's subscription failed. graphql-ws gives up on a closing code such as 4401 (signed out,
 * token revoked, workspace switched elsewhere): check who we are, and while still signed in
 * subscribe again (`again`); signed out, the layout shows sign-in. Any other error is shown.
 */
export async function resubscribeAfter(error: unknown, on: { show: (message: string) => void; again: () => void; waiting?: () => void }) {
  if (closeCode(error) === undefined) return on.show(errorMessage(error));
  on.waiting?.();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const viewer = await loadViewer().catch(() => true);
  if (viewer) on.again();
}

export type SessionStatusChange = SessionStatusChangedSubscription["sessionStatusChanged"];

const SESSION_STATUS = graphql(`subscription SessionStatusChanged { sessionStatusChanged { sessionId kind status previousStatus at } }`);

/**
 * Every status change of a session you may see, as it happens: also the ones the board can't show,
 * such as manual time added by another manager or a session that opened and closed in one upload.
 */
export function watchSessionStatus(client: Client, on: { change: (event: SessionStatusChange) => void; failed: (error: unknown) => void }) {
  return subscribe(client, SESSION_STATUS, { data: (data) => on.change(data.sessionStatusChanged), failed: on.failed });
}

/** The workspace a wall display's key reads; null when the key no longer works. */
export async function kioskWorkspace(key: string) {
  const data = await gql(graphql(`query Kiosk { viewer { workspace { name timeZone timeFormat } } }`), {}, key);
  return data.viewer?.workspace ?? null;
}
