import { encodeGlobalID } from "@pothos/plugin-relay";
import { Prisma, type WorkSession } from "../../prisma/generated/client.js";
import type { Services } from "../common/context.js";
import type { LiveSession, LiveState } from "../common/pubsub.js";
import { readRows, type Database } from "../common/transactions.js";
import { publishSessionChange } from "../live/service.js";
import { lastTurnover, type LiveSource } from "../live/sources.js";
import { sessionTotals, type AfkSpan } from "./rules.js";

/** A work session with its person's name and every AFK period, as the board shows it. */
interface Loaded {
  session: WorkSession;
  person: string;
  afkPeriods: AfkSpan[];
}

type Row = WorkSession & { person: string; afkStartedAt: Date | null; afkEndedAt: Date | null; afkReason: AfkSpan["reason"] };

/**
 * One statement, a row per AFK period, rather than Prisma's findMany with its includes: it runs after
 * every heartbeat batch, where Prisma's own work per query was a tenth of the API's CPU.
 */
const loadStatement = (where: Prisma.Sql) => Prisma.sql`
  SELECT s.*, u.name AS person, f."startedAt" AS "afkStartedAt", f."endedAt" AS "afkEndedAt", f.reason AS "afkReason"
  FROM "WorkSession" s JOIN "User" u ON u.id = s."userId" LEFT JOIN "AfkPeriod" f ON f."sessionId" = s.id
  WHERE ${where} ORDER BY s."startedAt", s.id`;

async function load(services: Database, where: Prisma.Sql): Promise<Loaded[]> {
  const loaded: Loaded[] = [];
  for (const { person, afkStartedAt, afkEndedAt, afkReason, ...session } of await readRows<Row>(services, loadStatement(where))) {
    let last = loaded.at(-1);
    if (last?.session.id !== session.id) loaded.push((last = { session, person, afkPeriods: [] }));
    if (afkStartedAt) last.afkPeriods.push({ startedAt: afkStartedAt, endedAt: afkEndedAt, reason: afkReason });
  }
  return loaded;
}

/** What the board calls a work session's state: closed once it ended, AFK while an AFK period runs. */
export function workState(ended: boolean, away: boolean): LiveState {
  return ended ? "closed" : away ? "afk" : "working";
}

export function workAsLive({ session: s, person, afkPeriods }: Loaded, now: Date): LiveSession {
  const away = afkPeriods.some((a) => !a.endedAt);
  const end = s.endedAt ?? now;
  const ticking = !s.endedAt && !away;
  return {
    id: encodeGlobalID("WorkSession", s.id),
    kind: "WORK",
    workspaceId: s.workspaceId,
    userId: s.userId,
    title: s.manual ? "Manual time" : "Desktop work",
    person,
    state: workState(!!s.endedAt, away),
    ticking,
    startedAt: s.startedAt,
    accumulatedSeconds: sessionTotals({ start: s.startedAt, end }, afkPeriods).netSeconds,
    // Net time turns over with the session's whole seconds: AFK periods are whole seconds too.
    serverTime: ticking ? lastTurnover(s.startedAt, now) : now,
  };
}

export const liveSources: LiveSource[] = [
  {
    kind: "WORK",
    listOpen: async (db, workspaceId, now) =>
      (await load({ db }, Prisma.sql`s."workspaceId" = ${workspaceId}::uuid AND s."endedAt" IS NULL`)).map((s) => workAsLive(s, now)),
  },
];

/**
 * After commit: the board and status subscribers hear of each changed (or merged-away) work session.
 * With `previous` (each session's state before the change, null for a new one), a status event goes
 * out only when the state changed; without it, every session's state goes out as it is now.
 */
export async function announceWork(services: Services, ids: string[], workspaceId?: string, previous?: Map<string, LiveState | null>) {
  if (!ids.length) return;
  const now = new Date();
  const found = await load(services, Prisma.sql`s.id = ANY(${ids}::uuid[])`);
  for (const loaded of found) {
    const live = workAsLive(loaded, now);
    const before = previous?.get(loaded.session.id) ?? null;
    const status = before === live.state ? undefined : { status: live.state, previousStatus: before, at: now };
    publishSessionChange(services, live, !loaded.session.endedAt, status);
  }
  if (!workspaceId) return;
  for (const id of ids.filter((id) => !found.some((s) => s.session.id === id))) {
    services.pubsub.publish("live", workspaceId, { removeId: encodeGlobalID("WorkSession", id) });
  }
}
