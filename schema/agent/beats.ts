import { encodeGlobalID } from "@pothos/plugin-relay";
import type { AgentSession, Beat, Project, User } from "../../prisma/generated/client.js";
import type { Db, Services, Tx, Viewer } from "../common/context.js";
import type { LiveSession, LiveState } from "../common/pubsub.js";
import { publishSessionChange } from "../live/service.js";
import { lastTurnover, type LiveSource } from "../live/sources.js";
import { isBillable, totals, type BeatKind } from "./rules.js";

/** Whose timer and beats: one person in one workspace (a credential never reaches further). */
export type Person = Pick<Viewer, "workspaceId" | "userId">;

export type SessionWithBeats = AgentSession & { beats: Beat[]; user: User; project: Project };
export const withBeats = { beats: { orderBy: { startedAt: "asc" } }, user: true, project: true } as const;

export function openBeat(session: { beats: Beat[] }): Beat | undefined {
  return session.beats.find((b) => !b.endedAt);
}

export function sessionAsLive(session: SessionWithBeats, now: Date): LiveSession {
  const current = openBeat(session);
  const ticking = !!current && isBillable(current.kind, session.billAgentTime);
  return {
    id: encodeGlobalID("AgentSession", session.id),
    kind: "AGENT",
    workspaceId: session.workspaceId,
    userId: session.userId,
    title: session.description || session.project.name,
    person: session.user.name,
    state: current?.kind ?? "ended",
    ticking,
    startedAt: session.startedAt,
    accumulatedSeconds: totals(session.beats, session.billAgentTime, now).billableSeconds,
    serverTime: ticking ? lastTurnover(current.startedAt, now) : now,
  };
}

/** The Live board source of open agent sessions (gathered with the timers' in live.ts). */
export const agentSessions: LiveSource = {
  kind: "AGENT",
  listOpen: async (db: Db, workspaceId: string, now: Date) =>
    (await db.agentSession.findMany({ where: { workspaceId, endedAt: null }, include: withBeats })).map((s) =>
      sessionAsLive(s, now),
    ),
};

/**
 * Ends the session's open beat at `at` and opens one of `kind`; nothing when it already is that kind.
 * Returns whether it switched, and the kind it switched from.
 */
export async function switchBeat(tx: Tx, sessionId: string, person: Person, kind: BeatKind, at: Date) {
  const open = await tx.beat.findFirst({ where: { sessionId, endedAt: null } });
  const previous = open?.kind ?? null;
  if (previous === kind) return { switched: false, previous };
  // A beat never ends before it began, even if clocks disagree by a few milliseconds.
  const start = open && at < open.startedAt ? open.startedAt : at;
  if (open && open.startedAt.getTime() === start.getTime()) {
    // A beat that lasted no time at all just changes kind, so a session never holds empty beats.
    await tx.beat.update({ where: { id: open.id }, data: { kind } });
  } else {
    if (open) await tx.beat.update({ where: { id: open.id }, data: { endedAt: start } });
    await tx.beat.create({ data: { sessionId, workspaceId: person.workspaceId, userId: person.userId, kind, startedAt: start } });
  }
  return { switched: true, previous };
}

/** The person's active beat in this workspace (there is at most one) drops to `to`; returns its session, if any. */
export async function demoteActiveBeat(tx: Tx, person: Person, at: Date, to: "idle" | "agent", exceptSessionId?: string) {
  const active = await tx.beat.findFirst({ where: { workspaceId: person.workspaceId, userId: person.userId, kind: "active", endedAt: null } });
  if (!active || active.sessionId === exceptSessionId) return null;
  await switchBeat(tx, active.sessionId, person, to, at);
  return active.sessionId;
}

/** After commit: the Live board and status subscribers hear of each changed session; returns them loaded. */
export async function announceSessions(services: Services, changes: { id: string; previous: LiveState | null }[]) {
  if (!changes.length) return [];
  const now = new Date();
  const sessions = await services.db.agentSession.findMany({ where: { id: { in: changes.map((c) => c.id) } }, include: withBeats });
  for (const session of sessions) {
    const live = sessionAsLive(session, now);
    const previous = changes.find((c) => c.id === session.id)!.previous;
    publishSessionChange(services, live, !session.endedAt, { status: live.state, previousStatus: previous, at: now });
  }
  return sessions;
}

/**
 * Ends a session at `at`: its open beat ends (never before it began), its totals are stored, and its
 * billable time becomes one time entry for the whole session (none when nothing was billable).
 * Returns the kind of the beat it ended.
 */
export async function finishSession(tx: Tx, session: AgentSession, at: Date): Promise<BeatKind | null> {
  const open = await tx.beat.findFirst({ where: { sessionId: session.id, endedAt: null } });
  const endedAt = open && at < open.startedAt ? open.startedAt : at;
  if (open) await tx.beat.update({ where: { id: open.id }, data: { endedAt } });
  const beats = await tx.beat.findMany({ where: { sessionId: session.id } });
  const sums = totals(beats, session.billAgentTime, endedAt);
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
  return open?.kind ?? null;
}
