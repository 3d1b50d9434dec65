import { randomUUID } from "node:crypto";
import type { AfkPeriod, WorkActivity, WorkSession } from "../../prisma/generated/client.js";
import type { Services, Tx, Viewer } from "../common/context.js";
import { lockWorkTimeline } from "../common/locks.js";
import type { WorkEvent } from "./events.js";
import { mergeHeartbeat, sessionFor, type ActivitySpan } from "./rules.js";
import { workSettings } from "./settings.js";

export const AUTO_CLOSE = "work.autoClose";

/** Whose timeline: one person in one workspace. */
export type Recorder = Pick<Viewer, "workspaceId" | "userId">;

/** One session as the batch sees it in memory; written back once at the end. */
interface Working {
  row: WorkSession;
  isNew: boolean;
  dirty: boolean;
  /** The latest activity, which later heartbeats merge into; `activities` holds every one touched. */
  lastActivity: { row: WorkActivity; isNew: boolean; dirty: boolean } | null;
  activities: { row: WorkActivity; isNew: boolean; dirty: boolean }[];
  /** The AFK period still running, if any; `afk` holds every AFK record this batch touched. */
  openAfk: { row: AfkPeriod; isNew: boolean; dirty: boolean } | null;
  afk: { row: AfkPeriod; isNew: boolean; dirty: boolean }[];
  closedByApp: boolean;
}

const bounds = (w: Working) => ({
  startedAt: w.row.startedAt,
  endedAt: w.row.endedAt,
  lastActivityAt: w.row.lastActivityAt,
  closedByApp: w.closedByApp,
  working: w,
});

async function loadWindow(tx: Tx, viewer: Recorder, from: Date, to: Date): Promise<Working[]> {
  const rows = await tx.workSession.findMany({
    // The credential's workspace only: a person in two workspaces has a session in each.
    where: { workspaceId: viewer.workspaceId, userId: viewer.userId, OR: [{ endedAt: null }, { startedAt: { lte: to }, endedAt: { gte: from } }] },
    include: {
      activities: { orderBy: { startedAt: "desc" }, take: 1 },
      afkPeriods: { where: { endedAt: null }, take: 1 },
    },
    orderBy: { startedAt: "asc" },
  });
  return rows.map(({ activities, afkPeriods, ...row }) => {
    const openAfk = afkPeriods[0] ? { row: afkPeriods[0], isNew: false, dirty: false } : null;
    const lastActivity = activities[0] ? { row: activities[0], isNew: false, dirty: false } : null;
    return {
      row,
      isNew: false,
      dirty: false,
      lastActivity,
      activities: lastActivity ? [lastActivity] : [],
      openAfk,
      afk: openAfk ? [openAfk] : [],
      closedByApp: row.endReason === "app_closed",
    };
  });
}

function extend(w: Working, start: Date, end: Date) {
  if (start < w.row.startedAt) w.row.startedAt = start;
  if (end > w.row.lastActivityAt) w.row.lastActivityAt = end;
  // A late event after an inactivity close moves the end with it; an app close is final.
  if (w.row.endedAt && !w.closedByApp && w.row.lastActivityAt > w.row.endedAt) w.row.endedAt = w.row.lastActivityAt;
  w.dirty = true;
}

function applyWindow(w: Working, e: Extract<WorkEvent, { type: "window" }>) {
  const last = w.lastActivity && { start: w.lastActivity.row.startedAt, end: w.lastActivity.row.endedAt, data: w.lastActivity.row };
  const { merged, span } = mergeHeartbeat(last as ActivitySpan | null, e, e.pulsetime);
  if (merged && w.lastActivity) {
    w.lastActivity.row.endedAt = span.end;
    w.lastActivity.dirty = true;
  } else {
    const row: WorkActivity = { id: randomUUID(), sessionId: w.row.id, app: e.data.app, title: e.data.title, url: e.data.url ?? null, startedAt: span.start, endedAt: span.end };
    const added = { row, isNew: true, dirty: true };
    w.activities.push(added);
    // Only an event later than the current last one becomes the one later heartbeats merge into.
    if (!w.lastActivity || span.start >= w.lastActivity.row.startedAt) w.lastActivity = added;
  }
  extend(w, span.start, span.end);
}

function applyAfk(w: Working, e: Extract<WorkEvent, { type: "afk" }>) {
  if (e.status === "afk") {
    // AFK starts at the last input (the event's timestamp), not when the client's timeout fired.
    if (!w.openAfk) {
      w.openAfk = { row: { id: randomUUID(), sessionId: w.row.id, startedAt: e.timestamp, endedAt: null, reason: null }, isNew: true, dirty: true };
      w.afk.push(w.openAfk);
    }
    // The app keeps reporting while you're away (merged AFK heartbeats carry a duration): not inactivity.
    extend(w, e.timestamp, new Date(e.timestamp.getTime() + e.duration * 1000));
  } else {
    if (w.openAfk) endAfk(w, e.timestamp);
    extend(w, e.timestamp, new Date(e.timestamp.getTime() + e.duration * 1000));
  }
}

function endAfk(w: Working, at: Date) {
  const afk = w.openAfk!;
  afk.row.endedAt = at > afk.row.startedAt ? at : afk.row.startedAt;
  afk.dirty = true;
  w.openAfk = null;
}

function applyClose(w: Working, at: Date) {
  const end = at > w.row.lastActivityAt ? at : w.row.lastActivityAt;
  w.row.endedAt = end;
  w.row.endReason = "app_closed";
  w.closedByApp = true;
  if (w.openAfk) endAfk(w, end);
  w.dirty = true;
}

function newSession(viewer: Recorder, at: Date): Working {
  const row: WorkSession = {
    id: randomUUID(),
    workspaceId: viewer.workspaceId,
    userId: viewer.userId,
    startedAt: at,
    endedAt: null,
    lastActivityAt: at,
    endReason: null,
    manual: false,
    notes: "",
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  return { row, isNew: true, dirty: true, lastActivity: null, activities: [], openAfk: null, afk: [], closedByApp: false };
}

/** An inactivity close: the session ends at its last activity, not when the close happens. */
function closeAtLastActivity(w: Working) {
  w.row.endedAt = w.row.lastActivityAt;
  w.row.endReason = "inactivity";
  if (w.openAfk) endAfk(w, w.row.lastActivityAt);
  w.dirty = true;
}

/** Closes whatever has been quiet longer than the timeout. */
function closeIfStale(w: Working, now: Date, timeoutMs: number) {
  if (!w.row.endedAt && now.getTime() - w.row.lastActivityAt.getTime() > timeoutMs) closeAtLastActivity(w);
}

/**
 * A late event that grows a session into the next one bridges them: they become one session, as if
 * the app had never gone quiet. The one already stored survives (the earlier, if both are). Returns
 * the stored sessions folded away, with the session that took their records.
 */
function mergeBridged(sessions: Working[]): { gone: Working; into: Working }[] {
  const absorbed: { gone: Working; into: Working }[] = [];
  sessions.sort((x, y) => x.row.startedAt.getTime() - y.row.startedAt.getTime());
  for (let i = 0; i + 1 < sessions.length; ) {
    const [first, second] = [sessions[i], sessions[i + 1]];
    if (first.closedByApp || (first.row.endedAt ?? first.row.lastActivityAt) < second.row.startedAt) {
      i++;
      continue;
    }
    const into = first.isNew && !second.isNew ? second : first;
    const gone = into === first ? second : first;
    into.row.startedAt = first.row.startedAt;
    into.row.endedAt = first.row.endedAt && second.row.endedAt ? new Date(Math.max(+first.row.endedAt, +second.row.endedAt)) : null;
    into.row.lastActivityAt = new Date(Math.max(+first.row.lastActivityAt, +second.row.lastActivityAt));
    into.row.endReason = second.row.endReason;
    into.closedByApp = second.closedByApp;
    into.dirty = true;
    for (const item of [...gone.activities, ...gone.afk]) item.row.sessionId = into.row.id;
    into.activities.push(...gone.activities);
    into.afk.push(...gone.afk);
    if (gone.lastActivity && (!into.lastActivity || gone.lastActivity.row.startedAt > into.lastActivity.row.startedAt)) into.lastActivity = gone.lastActivity;
    into.openAfk = into.openAfk ?? gone.openAfk;
    sessions.splice(sessions.indexOf(gone), 1);
    if (!gone.isNew) absorbed.push({ gone, into });
  }
  return absorbed;
}

/**
 * New rows as one statement of column arrays: an imported month is tens of thousands of activities,
 * which row by row (or as a many-parameter insert) took seconds.
 */
async function insertActivities(tx: Tx, rows: WorkActivity[]) {
  const column = <K extends keyof WorkActivity>(k: K) => rows.map((r) => r[k]);
  await tx.$executeRaw`
    INSERT INTO "WorkActivity" (id, "sessionId", app, title, url, "startedAt", "endedAt")
    SELECT * FROM unnest(${column("id")}::uuid[], ${column("sessionId")}::uuid[], ${column("app")}::text[], ${column("title")}::text[],
                         ${column("url")}::text[], ${column("startedAt")}::timestamptz[], ${column("endedAt")}::timestamptz[])`;
}

async function insertAfk(tx: Tx, rows: AfkPeriod[]) {
  const column = <K extends keyof AfkPeriod>(k: K) => rows.map((r) => r[k]);
  await tx.$executeRaw`
    INSERT INTO "AfkPeriod" (id, "sessionId", "startedAt", "endedAt", reason)
    SELECT * FROM unnest(${column("id")}::uuid[], ${column("sessionId")}::uuid[], ${column("startedAt")}::timestamptz[],
                         ${column("endedAt")}::timestamptz[], ${column("reason")}::"AfkReason"[])`;
}

async function persist(tx: Tx, sessions: Working[], absorbed: { gone: Working; into: Working }[]) {
  // Bridged sessions go first: their stored records move to the survivor, then they are deleted.
  for (const { gone, into } of absorbed) {
    await tx.workActivity.updateMany({ where: { sessionId: gone.row.id }, data: { sessionId: into.row.id } });
    await tx.afkPeriod.updateMany({ where: { sessionId: gone.row.id }, data: { sessionId: into.row.id } });
    await tx.screenshot.updateMany({ where: { sessionId: gone.row.id }, data: { sessionId: into.row.id } });
    await tx.workSession.delete({ where: { id: gone.row.id } });
  }
  // Existing rows first: a session closed here frees the "one open session" slot for a new one.
  for (const w of sessions.filter((s) => !s.isNew && s.dirty)) {
    const { startedAt, endedAt, lastActivityAt, endReason } = w.row;
    await tx.workSession.update({ where: { id: w.row.id }, data: { startedAt, endedAt, lastActivityAt, endReason } });
  }
  const created = sessions.filter((s) => s.isNew);
  if (created.length) await tx.workSession.createMany({ data: created.map((w) => ({ ...w.row })) });
  const activities = sessions.flatMap((w) => w.activities.filter((a) => a.isNew).map((a) => a.row));
  if (activities.length) await insertActivities(tx, activities);
  const afk = sessions.flatMap((w) => w.afk.filter((a) => a.isNew).map((a) => a.row));
  if (afk.length) await insertAfk(tx, afk);
  for (const w of sessions) {
    for (const a of w.activities.filter((a) => !a.isNew && a.dirty))
      await tx.workActivity.update({ where: { id: a.row.id }, data: { endedAt: a.row.endedAt } });
    for (const a of w.afk.filter((a) => !a.isNew && a.dirty)) await tx.afkPeriod.update({ where: { id: a.row.id }, data: { endedAt: a.row.endedAt } });
  }
}

export interface RecordResult {
  accepted: number;
  duplicates: number;
  changedSessionIds: string[];
  open: { id: string; lastActivityAt: Date } | null;
  timeoutMs: number;
  /** An AFK period ended in this batch: the employee came back, and may be asked what the time was. */
  afkEnded: boolean;
}

/**
 * Applies a batch of the desktop app's events: idempotent by client event id, in timestamp order,
 * each event in the session it belongs to (late and out-of-order ones included). `now` decides what
 * has gone quiet; the demo seed passes the moment it is seeded for.
 */
export async function recordEvents(services: Services, viewer: Recorder, events: WorkEvent[], now = new Date()): Promise<RecordResult> {
  const workspace = await services.db.workspace.findUniqueOrThrow({ where: { id: viewer.workspaceId } });
  const timeoutMs = workSettings(workspace.settings).inactivityMinutes * 60_000;
  const unique = [...new Map(events.map((e) => [e.id, e])).values()];
  return services.db.$transaction(async (tx) => {
    await lockWorkTimeline(tx, viewer.workspaceId, viewer.userId);
    const fresh = unique.length
      ? new Set(
          (
            await tx.$queryRaw<{ id: string }[]>`
              INSERT INTO "IngestedWorkEvent" ("workspaceId", "userId", "clientEventId")
              SELECT ${viewer.workspaceId}::uuid, ${viewer.userId}::uuid, unnest(${unique.map((e) => e.id)}::text[])
              ON CONFLICT DO NOTHING RETURNING "clientEventId" AS id`
          ).map((r) => r.id),
        )
      : new Set<string>();
    const todo = unique.filter((e) => fresh.has(e.id)).sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    // Every session the batch could touch: within the timeout of any event's start or end.
    // A loop, not Math.max(...): an import brings tens of thousands of events.
    let lastEnd = -Infinity;
    for (const e of todo) lastEnd = Math.max(lastEnd, e.timestamp.getTime() + ("duration" in e ? e.duration * 1000 : 0));
    const sessions = todo.length
      ? await loadWindow(tx, viewer, new Date(todo[0].timestamp.getTime() - timeoutMs), new Date(lastEnd + timeoutMs))
      : [];
    for (const e of todo) {
      let target = sessionFor(sessions.map(bounds), e.timestamp, timeoutMs)?.working;
      if (!target) {
        if (e.type === "close") continue; // closing a session that isn't there: nothing to do
        // An open session that has gone quiet ends at its last activity before a new one starts.
        for (const w of sessions) closeIfStale(w, e.timestamp, timeoutMs);
        target = newSession(viewer, e.timestamp);
        sessions.push(target);
        sessions.sort((a, b) => a.row.startedAt.getTime() - b.row.startedAt.getTime());
      }
      if (e.type === "window") applyWindow(target, e);
      else if (e.type === "afk") applyAfk(target, e);
      else applyClose(target, e.timestamp);
    }
    // Sessions whose last activity is already older than the timeout are closed as they land.
    for (const w of sessions) closeIfStale(w, now, timeoutMs);
    const open = sessions.filter((w) => !w.row.endedAt);
    // Only the latest may stay open; earlier ones end at their last activity.
    for (const w of open.slice(0, -1)) closeAtLastActivity(w);
    const absorbed = mergeBridged(sessions);
    await persist(tx, sessions, absorbed);
    const stillOpen = sessions.find((w) => !w.row.endedAt);
    return {
      accepted: events.length,
      duplicates: events.length - todo.length,
      changedSessionIds: [...sessions.filter((w) => w.dirty || w.isNew), ...absorbed.map((a) => a.gone)].map((w) => w.row.id),
      open: stillOpen ? { id: stillOpen.row.id, lastActivityAt: stillOpen.row.lastActivityAt } : null,
      timeoutMs,
      afkEnded: sessions.some((w) => w.afk.some((a) => a.dirty && a.row.endedAt)),
    };
  });
}

/** After commit: the open session's auto-close is pushed back to its last activity + the timeout. */
export async function scheduleAutoClose(services: Services, result: RecordResult, workspaceId: string) {
  if (!result.open) return;
  const delay = Math.max(0, result.open.lastActivityAt.getTime() + result.timeoutMs - Date.now());
  await services.jobs.enqueue(AUTO_CLOSE, { workspaceId, sessionId: result.open.id }, { delay: delay + 1000, dedupeKey: `work-close:${result.open.id}` });
}
