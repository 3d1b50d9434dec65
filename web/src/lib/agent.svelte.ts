import { getContext, setContext } from "svelte";
import { received, secondsAfter } from "./clock.svelte";
import type { AgentSessionFragment, BeatKind } from "./generated/graphql";
import { gql, graphql, isInvalidId, unwrap } from "./graphql";
import type { LiveSession } from "./live";
import { timer } from "./timer.svelte";

export type { BeatKind };
export const BEAT_KINDS: BeatKind[] = ["ACTIVE", "AGENT", "IDLE"];
export const BEAT_LABELS: Record<BeatKind, string> = { ACTIVE: "Active", AGENT: "Agent", IDLE: "Idle" };

graphql(`
  fragment AgentSession on AgentSession {
    id description state startedAt endedAt billAgentTime serverTime
    billableSeconds activeSeconds agentSeconds idleSeconds
    project { id name client { name } }
    beats { kind startedAt endedAt billable }
    timeEntry { id durationSeconds }
  }
`);

export type AgentSession = AgentSessionFragment;
export type Beat = AgentSession["beats"][number];

/** A session as fetched, with the local moment (performance.now()) its counters were valid. */
export type Tracked = AgentSession & { receivedAt: number };

export interface Counters {
  billable: number;
  active: number;
  agent: number;
  idle: number;
}

// Page sizes are literals (40 open, 10 ended a page): the API's cost limit (5000) multiplies a
// selection by a literal `first`, and a client that stays within it when counted keeps working if
// variables are counted too.
const OPEN_SESSIONS = graphql(`query OpenAgentSessions { agentSessions(ended: false, first: 40) { nodes { ...AgentSession } } }`);
const ENDED_SESSIONS = graphql(`
  query EndedAgentSessions($after: String) {
    agentSessions(ended: true, first: 10, after: $after) { nodes { ...AgentSession } pageInfo { hasNextPage endCursor } }
  }
`);

export function isBillableKind(kind: BeatKind, billAgentTime: boolean) {
  return kind === "ACTIVE" || (kind === "AGENT" && billAgentTime);
}

/** The server's counters as of serverTime, advanced on this device while the session is open. */
export function countersAt(s: Tracked, now: number): Counters {
  const elapsed = s.state ? secondsAfter(s.serverTime, now) : 0;
  return {
    billable: s.billableSeconds + (s.state && isBillableKind(s.state, s.billAgentTime) ? elapsed : 0),
    active: s.activeSeconds + (s.state === "ACTIVE" ? elapsed : 0),
    agent: s.agentSeconds + (s.state === "AGENT" ? elapsed : 0),
    idle: s.idleSeconds + (s.state === "IDLE" ? elapsed : 0),
  };
}

/**
 * The signed-in member's agent sessions for the /agent pages: the open list, the ended list and a
 * cache by id that the sidebar and the detail view share, so a change made in one shows in the other.
 */
export class AgentStore {
  sessions = $state<Record<string, Tracked>>({});
  openIds = $state<string[] | null>(null);
  endedIds = $state<string[] | null>(null);
  endedCursor = $state<string | null>(null);
  endedHasMore = $state(false);
  loadFailure = $state<string | null>(null);
  /** Ids the server did not find (deleted, or not yours). */
  missing = $state<Record<string, boolean>>({});
  /** When focusing a session, the one you leave keeps running as agent instead of dropping to idle. */
  previousToAgent = $state(false);
  /** AGENT rows of the Live board, id -> state, as last seen. */
  private boardStates: Record<string, string> | null = null;

  /** The one clock every counter on the /agent pages ticks with; restarted when data arrives. */
  constructor(readonly clock: { now: number; restart(): void }) {}

  get open(): Tracked[] {
    return (this.openIds ?? []).map((id) => this.sessions[id]).filter(Boolean);
  }

  get ended(): Tracked[] {
    return (this.endedIds ?? []).map((id) => this.sessions[id]).filter(Boolean);
  }

  private remember(session: AgentSession, receivedAt = performance.now()): Tracked {
    this.sessions[session.id] = received(session, receivedAt);
    this.clock.restart();
    return this.sessions[session.id];
  }

  /** Moves a session between the open and ended lists as its endedAt says. */
  private place(session: AgentSession) {
    if (session.endedAt) {
      if (this.openIds) this.openIds = this.openIds.filter((id) => id !== session.id);
      if (this.endedIds && !this.endedIds.includes(session.id)) this.endedIds = [session.id, ...this.endedIds];
    } else if (this.openIds && !this.openIds.includes(session.id)) {
      this.openIds = [session.id, ...this.openIds];
    }
  }

  async loadOpen() {
    const data = await gql(OPEN_SESSIONS);
    const receivedAt = performance.now();
    const previous = new Set(this.openIds ?? []);
    this.openIds = data.agentSessions.nodes.map((s) => this.remember(s, receivedAt).id);
    // A session that left the open list ended elsewhere (an agent over MCP, another tab).
    const gone = [...previous].filter((id) => !this.openIds!.includes(id));
    if (gone.length) await Promise.all(gone.map((id) => this.fetchOne(id)));
  }

  async loadEnded(more = false) {
    const data = await gql(ENDED_SESSIONS, { after: more ? this.endedCursor : null });
    const receivedAt = performance.now();
    const ids = data.agentSessions.nodes.map((s) => this.remember(s, receivedAt).id);
    this.endedIds = more ? [...(this.endedIds ?? []), ...ids.filter((id) => !this.endedIds?.includes(id))] : ids;
    this.endedCursor = data.agentSessions.pageInfo.endCursor;
    this.endedHasMore = data.agentSessions.pageInfo.hasNextPage;
  }

  async load() {
    this.loadFailure = null;
    try {
      await Promise.all([this.loadOpen(), this.loadEnded()]);
    } catch (error) {
      this.loadFailure = error instanceof Error ? error.message : String(error);
    }
  }

  /** One session by id, into the cache; null when it doesn't exist or isn't yours. */
  async fetchOne(id: string): Promise<Tracked | null> {
    const data = await gql(graphql(`query AgentSession($id: ID!) { node(id: $id) { __typename ...AgentSession } }`), { id }).catch((error) => {
      if (isInvalidId(error)) return { node: null };
      throw error;
    });
    if (data.node?.__typename !== "AgentSession") {
      this.missing[id] = true;
      return null;
    }
    delete this.missing[id];
    const tracked = this.remember(data.node);
    this.place(tracked);
    return tracked;
  }

  async start(projectId: string, description: string): Promise<Tracked> {
    const { startAgentSession } = await gql(
      graphql(`
        mutation StartAgentSession($projectId: ID!, $description: String!) {
          startAgentSession(input: { projectId: $projectId, description: $description }) { __typename ...Failure ...Problems ...AgentSession }
        }
      `),
      { projectId, description },
    );
    const session = this.remember(unwrap(startAgentSession, "AgentSession"));
    this.place(session);
    // Starting focuses it: another session dropped to idle and a running timer stopped.
    await Promise.all([this.loadOpen(), timer.refresh()]);
    return session;
  }

  async setBeat(id: string, kind: BeatKind) {
    const { setBeat } = await gql(
      graphql(`
        mutation SetBeat($sessionId: ID!, $kind: BeatKind!, $previousTo: BeatKind) {
          setBeat(input: { sessionId: $sessionId, kind: $kind, previousTo: $previousTo }) { __typename ...Failure ...Problems ...AgentSession }
        }
      `),
      { sessionId: id, kind, previousTo: this.previousToAgent ? "AGENT" : "IDLE" },
    );
    this.remember(unwrap(setBeat, "AgentSession"));
    if (kind === "ACTIVE") await Promise.all([this.loadOpen(), timer.refresh()]);
  }

  async end(id: string): Promise<Tracked> {
    const { endAgentSession } = await gql(
      graphql(`mutation EndAgentSession($sessionId: ID!) { endAgentSession(input: { sessionId: $sessionId }) { __typename ...Failure ...AgentSession } }`),
      { sessionId: id },
    );
    const session = this.remember(unwrap(endAgentSession, "AgentSession"));
    this.place(session);
    return session;
  }

  /**
   * A Live board payload: when one of the AGENT rows changed state, appeared or left (an agent
   * flipped a beat over MCP, another tab ended a session), refetch what we show.
   */
  async boardChanged(sessions: LiveSession[]) {
    const states = Object.fromEntries(sessions.filter((s) => s.kind === "AGENT").map((s) => [s.id, s.state]));
    const before = this.boardStates ?? Object.fromEntries(this.open.map((s) => [s.id, s.state ?? "ENDED"]));
    this.boardStates = states;
    const ids = new Set([...Object.keys(before), ...Object.keys(states)]);
    const changed = [...ids].filter((id) => before[id] !== states[id]);
    // loadOpen also refetches the ones that left the list: ended, their entry written.
    if (changed.length) await this.loadOpen();
  }
}

const KEY = Symbol("agent-sessions");

export function provideAgentStore(store: AgentStore) {
  setContext(KEY, store);
  return store;
}

export function agentStore(): AgentStore {
  return getContext<AgentStore>(KEY);
}
