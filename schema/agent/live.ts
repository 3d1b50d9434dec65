// What agent sessions and timers put on the Live board. Kept apart from the GraphQL types so the
// worker process, which builds the board's sources too, never loads the schema builder.
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Project, TimeEntry, User } from "../../prisma/generated/client.js";
import type { Db } from "../common/context.js";
import type { LiveSession } from "../common/pubsub.js";
import { lastTurnover, type LiveSource } from "../live/sources.js";
import { agentSessions } from "./beats.js";

export type RunningTimer = TimeEntry & { user: User; project: Project | null };

export function timerAsLive(entry: RunningTimer, now: Date): LiveSession {
  return {
    id: encodeGlobalID("TimeEntry", entry.id),
    kind: "TIMER",
    workspaceId: entry.workspaceId,
    userId: entry.userId,
    title: entry.description || entry.project?.name || "Timer",
    person: entry.user.name,
    state: entry.endedAt ? "stopped" : "running",
    ticking: !entry.endedAt,
    startedAt: entry.startedAt,
    accumulatedSeconds: Math.floor(((entry.endedAt ?? now).getTime() - entry.startedAt.getTime()) / 1000),
    serverTime: entry.endedAt ? now : lastTurnover(entry.startedAt, now),
  };
}

const timers: LiveSource = {
  kind: "TIMER",
  listOpen: async (db: Db, workspaceId: string, now: Date) =>
    (
      await db.timeEntry.findMany({
        where: { workspaceId, endedAt: null },
        include: { user: true, project: true },
      })
    ).map((e) => timerAsLive(e, now)),
};

export const liveSources: LiveSource[] = [agentSessions, timers];
