import type { Client } from "graphql-ws";
import { clientNow } from "./clock.svelte";
import { errorMessage } from "./format";
import { loadViewer } from "./session.svelte";

export type LiveSessionKind = "WORK" | "AGENT" | "TIMER" | "APPOINTMENT" | "USER";

export interface LiveSession {
  id: string;
  kind: LiveSessionKind;
  title: string;
  person: string | null;
  /** Global ID of the member (User) whose session it is. */
  personId: string | null;
  state: string;
  ticking: boolean;
  startedAt: string;
  accumulatedSeconds: number;
  /** The server's instant at which accumulatedSeconds was exact; ticking counters advance from here. */
  serverTime: string;
}

export interface Board {
  sessions: LiveSession[];
  /** When the server sent the board. */
  serverTime: string;
  /** clientNow() when the payload arrived: with serverTime, how far this clock is from the server's. */
  receivedAt: number;
}

const LIVE_BOARD = `subscription LiveBoard {
  liveBoard { serverTime reason sessions { id kind title person personId state ticking startedAt accumulatedSeconds serverTime } }
}`;

export interface BoardHandlers {
  board: (board: Board) => void;
  /** The subscription ended for good: GraphQL errors, or a fatal close such as 4401 (signed out, token revoked). */
  failed: (error: unknown) => void;
}

/** Subscribes to the whole board; every payload replaces the last one. Returns the unsubscribe. */
export function watchBoard(client: Client, on: BoardHandlers) {
  return client.subscribe<{ liveBoard: { sessions: LiveSession[]; serverTime: string } }>(
    { query: LIVE_BOARD },
    {
      next: (result) => {
        if (result.data) on.board({ ...result.data.liveBoard, receivedAt: clientNow() });
        else if (result.errors) on.failed(new Error(result.errors.map((e) => e.message).join("; ")));
      },
      error: (error) => on.failed(Array.isArray(error) ? new Error(error.map((e) => e.message).join("; ")) : error),
      complete: () => {},
    },
  );
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

export interface SessionStatusChange {
  sessionId: string;
  kind: LiveSessionKind;
  status: string;
  previousStatus: string | null;
  at: string;
}

const SESSION_STATUS = `subscription SessionStatusChanged { sessionStatusChanged { sessionId kind status previousStatus at } }`;

/**
 * Every status change of a session you may see, as it happens: also the ones the board can't show,
 * such as manual time added by another manager or a session that opened and closed in one upload.
 */
export function watchSessionStatus(client: Client, on: { change: (event: SessionStatusChange) => void; failed: (error: unknown) => void }) {
  return client.subscribe<{ sessionStatusChanged: SessionStatusChange }>(
    { query: SESSION_STATUS },
    {
      next: (result) => {
        if (result.data) on.change(result.data.sessionStatusChanged);
        else if (result.errors) on.failed(new Error(result.errors.map((e) => e.message).join("; ")));
      },
      error: (error) => on.failed(Array.isArray(error) ? new Error(error.map((e) => e.message).join("; ")) : error),
      complete: () => {},
    },
  );
}
