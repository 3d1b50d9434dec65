import { encodeGlobalID } from "@pothos/plugin-relay";
import type { AfkPeriod, User, WorkSession } from "../../prisma/generated/client.js";
import type { Db, Services } from "../common/context.js";
import type { LiveSession } from "../common/pubsub.js";
import { publishSessionChange } from "../live/service.js";
import { lastTurnover, type LiveSource } from "../live/sources.js";
import { sessionTotals } from "./rules.js";

type Loaded = WorkSession & { user: User; afkPeriods: AfkPeriod[] };
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

/** After commit: the board and status subscribers hear of each changed (or merged-away) work session. */
export async function announceWork(services: Services, ids: string[], workspaceId?: string) {
  if (!ids.length) return;
  const now = new Date();
  const found = await services.db.workSession.findMany({ where: { id: { in: ids } }, include });
  for (const s of found) {
    const live = workAsLive(s, now);
    publishSessionChange(services, live, !s.endedAt, { status: live.state, previousStatus: null, at: now });
  }
  if (!workspaceId) return;
  for (const id of ids.filter((id) => !found.some((s) => s.id === id))) {
    services.pubsub.publish("live", workspaceId, { removeId: encodeGlobalID("WorkSession", id) });
  }
}
