import type { PubSub as YogaPubSub } from "graphql-yoga";

/** What a Live board session is doing, in its kind's words (timer, agent, work, appointment). */
export type LiveState =
  | "running" | "stopped"
  | "active" | "agent" | "idle" | "ended"
  | "working" | "afk" | "closed"
  | "scheduled" | "in_progress" | "completed" | "cancelled";

/** A session as the Live board shows it; counters are computed by clients from these values. */
export interface LiveSession {
  /** Global ID of the session (or timer) this row stands for. */
  id: string;
  kind: "WORK" | "AGENT" | "TIMER" | "APPOINTMENT" | "USER";
  workspaceId: string;
  /** The member whose session it is, when it belongs to one; used to filter what a viewer may see. */
  userId: string | null;
  title: string;
  person: string | null;
  state: LiveState;
  /** Whether accumulatedSeconds grows with time in this state. */
  ticking: boolean;
  startedAt: Date;
  /** Seconds counted as of serverTime. */
  accumulatedSeconds: number;
  serverTime: Date;
}

export type LiveChange = { upsert: LiveSession; removeId?: never } | { removeId: string; upsert?: never };

export interface SessionStatusEvent {
  sessionId: string;
  userId: string | null;
  kind: LiveSession["kind"];
  status: LiveState;
  previousStatus: LiveState | null;
  at: Date;
}

/** A client session was created, changed (moved, status, fields) or deleted. */
export interface AppointmentChange {
  /** Global ID of the Appointment. */
  appointmentId: string;
  /** The assigned staff member: viewers without team.read only hear of their own. */
  staffId: string;
  change: "CREATED" | "UPDATED" | "DELETED";
  at: Date;
}

/**
 * Credentials or permissions changed: these tokens, one member of a workspace (userId and
 * workspaceId), every session of a user (userId alone) or every member of a workspace (workspaceId alone).
 */
export interface IdentityChange {
  /** Anything may have changed: changes announced while this process's pub/sub was down were lost. */
  all?: true;
  tokenIds?: string[];
  userId?: string;
  workspaceId?: string;
  /** Only the workspace's own row changed (name, zone, hours, settings), no one's authority: cached workspaces go, open sockets stay. */
  workspaceEdited?: true;
}

/** Topics are workspace-scoped: a subscriber only ever listens to its own workspace's channel. */
export type PubSub = YogaPubSub<{
  live: [workspaceId: string, change: LiveChange];
  sessionStatus: [workspaceId: string, event: SessionStatusEvent];
  appointmentChanged: [workspaceId: string, change: AppointmentChange];
  identityChanged: [IdentityChange];
  userSessions: [workspaceId: string, change: { changedIds: string[]; removedIds: string[] }];
  /** A member's AFK prompts changed (an AFK period ended, or one was answered). */
  afkPrompts: [workspaceId: string, change: { userId: string }];
}>;

/** One immutable picture of a workspace's open sessions; shared by every subscriber it is sent to. */
export interface LiveBoard {
  workspaceId: string;
  serverTime: Date;
  reason: "SNAPSHOT" | "CHANGE" | "TICK";
  sessions: readonly LiveSession[];
}

/**
 * A payload of the changes-only board. SNAPSHOT: `sessions` is the whole board. CHANGE: `sessions`
 * are the rows opened or changed since the last payload and `removed` the rows closed. TICK: neither.
 */
export interface LiveBoardChanges extends LiveBoard {
  removed: readonly LiveSession[];
}
