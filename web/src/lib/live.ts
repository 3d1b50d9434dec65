import type { Client } from "graphql-ws";

export type LiveSessionKind = "WORK" | "AGENT" | "TIMER" | "APPOINTMENT" | "USER";

export interface LiveSession {
  id: string;
  kind: LiveSessionKind;
  title: string;
  person: string | null;
  state: string;
  ticking: boolean;
  startedAt: string;
  accumulatedSeconds: number;
}

export interface Board {
  sessions: LiveSession[];
  /** performance.now() when the payload arrived; ticking counters advance from here. */
  receivedAt: number;
}

const LIVE_BOARD = `subscription LiveBoard {
  liveBoard { serverTime reason sessions { id kind title person state ticking startedAt accumulatedSeconds } }
}`;

export interface BoardHandlers {
  board: (board: Board) => void;
  /** The subscription ended for good: GraphQL errors, or a fatal close such as 4401 (signed out, token revoked). */
  failed: (error: unknown) => void;
}

/** Subscribes to the whole board; every payload replaces the last one. Returns the unsubscribe. */
export function watchBoard(client: Client, on: BoardHandlers) {
  return client.subscribe<{ liveBoard: { sessions: LiveSession[] } }>(
    { query: LIVE_BOARD },
    {
      next: (result) => {
        if (result.data) on.board({ sessions: result.data.liveBoard.sessions, receivedAt: performance.now() });
        else if (result.errors) on.failed(new Error(result.errors.map((e) => e.message).join("; ")));
      },
      error: (error) => on.failed(Array.isArray(error) ? new Error(error.map((e) => e.message).join("; ")) : error),
      complete: () => {},
    },
  );
}

/** A close event with `code`, as graphql-ws reports fatal closes. */
export function closeCode(error: unknown): number | undefined {
  return typeof error === "object" && error && "code" in error && typeof error.code === "number" ? error.code : undefined;
}
