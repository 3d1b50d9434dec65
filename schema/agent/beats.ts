import { encodeGlobalID } from "@pothos/plugin-relay";
import type pg from "pg";
import type { AgentSession, Beat } from "../../prisma/generated/client.js";
import type { Db, Services, Tx, Viewer } from "../common/context.js";
import type { LiveSession, LiveState } from "../common/pubsub.js";
import { publishSessionChange } from "../live/service.js";
import { lastTurnover, type LiveSource } from "../live/sources.js";
import { isBillable, sessionTotals, type BeatKind } from "./rules.js";

/** Whose timer and beats: one person in one workspace (a credential never reaches further). */
export type Person = Pick<Viewer, "workspaceId" | "userId">;

/**
 * A session as it is served: its row (running totals included), its open beat (none once ended),
 * and the names the Live board shows. Its earlier beats, person and project are read only when asked for.
 */
export type LoadedSession = AgentSession & { open: Beat | null; person: string; projectName: string };

/** The include that loads a session as served, through `loaded`. */
export const withOpenBeat = { beats: { where: { endedAt: null } }, user: { select: { name: true } }, project: { select: { name: true } } } as const;

export function loaded({ beats, user, project, ...session }: AgentSession & { beats: Beat[]; user: { name: string }; project: { name: string } }): LoadedSession {
  return { ...session, open: beats[0] ?? null, person: user.name, projectName: project.name };
}

/** A session as agent_flip_beat returns it: its row as JSON, instants as text. */
type SessionJson = Omit<LoadedSession, "startedAt" | "endedAt" | "createdAt" | "open"> & {
  startedAt: string;
  endedAt: string | null;
  createdAt: string;
  open: (Omit<Beat, "startedAt" | "endedAt"> & { startedAt: string; endedAt: null }) | null;
};

function fromJson(s: SessionJson): LoadedSession {
  const instant = (text: string | null) => (text === null ? null : new Date(text));
  return {
    ...s,
    startedAt: new Date(s.startedAt),
    endedAt: instant(s.endedAt),
    createdAt: new Date(s.createdAt),
    open: s.open && { ...s.open, startedAt: new Date(s.open.startedAt), endedAt: null },
  };
}

export function sessionAsLive(session: LoadedSession, now: Date): LiveSession {
  const current = session.open;
  const ticking = !!current && isBillable(current.kind, session.billAgentTime);
  return {
    id: encodeGlobalID("AgentSession", session.id),
    kind: "AGENT",
    workspaceId: session.workspaceId,
    userId: session.userId,
    title: session.description || session.projectName,
    person: session.person,
    state: current?.kind ?? "ended",
    ticking,
    startedAt: session.startedAt,
    accumulatedSeconds: sessionTotals(session, current, session.billAgentTime, now).billableSeconds,
    serverTime: ticking ? lastTurnover(current.startedAt, now) : now,
  };
}

/** The Live board source of open agent sessions (gathered with the timers' in live.ts). */
export const agentSessions: LiveSource = {
  kind: "AGENT",
  listOpen: async (db: Db, workspaceId: string, now: Date) =>
    (await db.agentSession.findMany({ where: { workspaceId, endedAt: null }, include: withOpenBeat })).map((s) =>
      sessionAsLive(loaded(s), now),
    ),
};

/**
 * The person's active beat in this workspace (there is at most one) drops to `to`, unless it is in
 * `exceptSessionId`; returns its session, if any. The beat functions live in the database
 * (migration beat_functions) so that setBeat is one statement and every path keeps the running totals alike.
 */
export async function demoteActiveBeat(tx: Tx, person: Person, at: Date, to: "idle" | "agent", exceptSessionId: string | null = null) {
  const [row] = await tx.$queryRaw<{ demoted: string | null }[]>`
    SELECT agent_demote_active(${person.workspaceId}::uuid, ${person.userId}::uuid, ${to}::"BeatKind", ${at}, ${exceptSessionId}::uuid) AS demoted`;
  return row.demoted;
}

/** The outcome of one flip (agent_flip_beat): a problem, or what changed. */
interface Flip<S> {
  problem: "not_found" | "ended" | null;
  switched: boolean;
  previous: BeatKind | null;
  stoppedEntryId: string | null;
  demotedSessionId: string | null;
  /** The changed sessions as served: the demoted one first, the flipped one last. */
  sessions: S[];
}

/**
 * setBeat's writes as one statement: under the person's lock, checks the session is theirs and open;
 * making it active stops the timer and drops their other active session to `previousTo`; then the
 * session switches to `kind` (nothing when it already is that kind). Sent through `pg` itself, not
 * Prisma's $queryRaw: for this one statement Prisma's work per query cost more CPU than pg's whole.
 */
export async function flipBeat(pool: pg.Pool, person: Person, sessionId: string, kind: BeatKind, previousTo: BeatKind, at: Date): Promise<Flip<LoadedSession>> {
  const { rows: [flip] } = await pool.query<Flip<SessionJson>>(FLIP, [person.workspaceId, person.userId, sessionId, kind, previousTo, at]);
  return { ...flip, sessions: (flip.sessions ?? []).map(fromJson) };
}
const FLIP = `SELECT * FROM agent_flip_beat($1::uuid, $2::uuid, $3::uuid, $4::"BeatKind", $5::"BeatKind", $6::timestamptz)`;

type Change = { id: string; previous: LiveState | null };

/** After commit: the Live board and status subscribers hear of each changed session, in the order given. */
export function publishSessions(services: Services, sessions: LoadedSession[], changes: Change[]) {
  const now = new Date();
  for (const change of changes) {
    const session = sessions.find((s) => s.id === change.id)!;
    const live = sessionAsLive(session, now);
    publishSessionChange(services, live, !session.endedAt, { status: live.state, previousStatus: change.previous, at: now });
  }
}

/** After commit: reads the changed sessions and announces them (publishSessions); returns them in the order given. */
export async function announceSessions(services: Services, changes: Change[]) {
  if (!changes.length) return [];
  const rows = await services.db.agentSession.findMany({ where: { id: { in: changes.map((c) => c.id) } }, include: withOpenBeat });
  const sessions = changes.map((change) => loaded(rows.find((r) => r.id === change.id)!));
  publishSessions(services, sessions, changes);
  return sessions;
}

/**
 * Ends a session at `at`: its open beat ends (never before it began), its totals are stored, and its
 * billable time becomes one time entry for the whole session (none when nothing was billable).
 * `session` is its row as read under the person's lock (its running totals current). Returns the
 * kind of the beat it ended.
 */
export async function finishSession(tx: Tx, session: AgentSession, at: Date): Promise<BeatKind | null> {
  const [ended] = await tx.$queryRaw<Beat[]>`SELECT * FROM agent_end_beat(${session.id}::uuid, ${at})`;
  const endedAt = ended?.endedAt ?? at;
  // The ended beat counted up to its end, on top of the totals from before it ended.
  const sums = sessionTotals(session, ended ?? null, session.billAgentTime, endedAt);
  await tx.agentSession.update({
    where: { id: session.id },
    data: { endedAt, billableSeconds: sums.billableSeconds, agentSeconds: sums.agentSeconds },
  });
  if (sums.billableSeconds > 0) {
    await tx.timeEntry.create({
      data: {
        workspaceId: session.workspaceId,
        userId: session.userId,
        projectId: session.projectId,
        description: session.description,
        source: "session",
        startedAt: session.startedAt,
        endedAt,
        durationSeconds: sums.billableSeconds,
        agentSessionId: session.id,
      },
    });
  }
  return ended?.kind ?? null;
}
