import { encodeGlobalID } from "@pothos/plugin-relay";
import type { AfkReason, User, WorkSession } from "../../prisma/generated/client.js";
import type pg from "pg";
import type { Db, Services } from "../common/context.js";
import type { LiveSession } from "../common/pubsub.js";
import { publishSessionChange } from "../live/service.js";
import { lastTurnover, type LiveSource } from "../live/sources.js";
import { sessionTotals, type AfkSpan } from "./rules.js";

type Loaded = WorkSession & { user: Pick<User, "name">; afkPeriods: AfkSpan[] };
const include = { user: true, afkPeriods: true } as const;

export function workAsLive(s: Loaded, now: Date): LiveSession {
  const away = s.afkPeriods.some((a) => !a.endedAt);
  const end = s.endedAt ?? now;
  const ticking = !s.endedAt && !away;
  return {
    id: encodeGlobalID("WorkSession", s.id),
    kind: "WORK",
    workspaceId: s.workspaceId,
    userId: s.userId,
    title: s.manual ? "Manual time" : "Desktop work",
    person: s.user.name,
    state: s.endedAt ? "closed" : away ? "afk" : "working",
    ticking,
    startedAt: s.startedAt,
    accumulatedSeconds: sessionTotals({ start: s.startedAt, end }, s.afkPeriods).netSeconds,
    // Net time turns over with the session's whole seconds: AFK periods are whole seconds too.
    serverTime: ticking ? lastTurnover(s.startedAt, now) : now,
  };
}

export const liveSources: LiveSource[] = [
  {
    kind: "WORK",
    listOpen: async (db: Db, workspaceId: string, now: Date) =>
      (await db.workSession.findMany({ where: { workspaceId, endedAt: null }, include })).map((s) => workAsLive(s, now)),
  },
];

// Through pg, in one statement where Prisma's include costs three: it follows every heartbeat batch.
const SESSIONS_FOR_LIVE = `
  SELECT s.*, u.name, array_agg(a."startedAt") FILTER (WHERE a.id IS NOT NULL) AS "afkStarts",
         array_agg(a."endedAt") FILTER (WHERE a.id IS NOT NULL) AS "afkEnds", array_agg(a.reason::text) FILTER (WHERE a.id IS NOT NULL) AS "afkReasons"
  FROM "WorkSession" s JOIN "User" u ON u.id = s."userId" LEFT JOIN "AfkPeriod" a ON a."sessionId" = s.id
  WHERE s.id = ANY($1::uuid[])
  GROUP BY s.id, u.name`;

type LiveRow = WorkSession & { name: string; afkStarts: Date[] | null; afkEnds: (Date | null)[] | null; afkReasons: (AfkReason | null)[] | null };

async function sessionsForLive(pool: pg.Pool, ids: string[]): Promise<Loaded[]> {
  const { rows } = await pool.query<LiveRow>({ name: "work-sessions-for-live", text: SESSIONS_FOR_LIVE, values: [ids] });
  return rows.map(({ name, afkStarts, afkEnds, afkReasons, ...s }) => ({
    ...s,
    user: { name },
    afkPeriods: (afkStarts ?? []).map((startedAt, i) => ({ startedAt, endedAt: afkEnds![i], reason: afkReasons![i] })),
  }));
}

/** After commit: the board and status subscribers hear of each changed (or merged-away) work session. */
export async function announceWork(services: Services, ids: string[], workspaceId?: string) {
  if (!ids.length) return;
  publishWork(services, await services.db.workSession.findMany({ where: { id: { in: ids } }, include }), ids, workspaceId);
}

/** announceWork after every batch of the desktop app's events: the sessions read in one statement. */
export async function announceRecorded(services: Services, ids: string[], workspaceId: string) {
  if (!services.pool) return announceWork(services, ids, workspaceId); // see inTransaction
  if (!ids.length) return;
  publishWork(services, await sessionsForLive(services.pool, ids), ids, workspaceId);
}

function publishWork(services: Services, found: Loaded[], ids: string[], workspaceId?: string) {
  const now = new Date();
  for (const s of found) {
    const live = workAsLive(s, now);
    publishSessionChange(services, live, !s.endedAt, { status: live.state, previousStatus: null, at: now });
  }
  if (!workspaceId) return;
  for (const id of ids.filter((id) => !found.some((s) => s.id === id))) {
    services.pubsub.publish("live", workspaceId, { removeId: encodeGlobalID("WorkSession", id) });
  }
}
