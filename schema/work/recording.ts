import { randomUUID } from "node:crypto";
import type { AfkPeriod, WorkActivity, WorkSession } from "../../prisma/generated/client.js";
import type { Services, Viewer } from "../common/context.js";
import { workTimelineKey } from "../common/locks.js";
import type { LiveState } from "../common/pubsub.js";
import { inTransaction, type RawTx } from "../common/transactions.js";
import { workspaceOfViewer } from "../identity/service.js";
import type { WorkEvent } from "./events.js";
import { workState } from "./live.js";
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
  /** Stored and open when the batch began: its auto-close job is already scheduled. */
  wasOpen: boolean;
  /** What the board showed of it when the batch began (null for a new one): see boardChanged. */
  shown: Shown | null;
}

/** What the board shows of a work session that a batch can change: its bounds and its state. */
interface Shown {
  startedAt: number;
  endedAt: number | null;
  state: LiveState;
}

const shownOf = (w: Working): Shown => ({ startedAt: +w.row.startedAt, endedAt: w.row.endedAt ? +w.row.endedAt : null, state: workState(!!w.row.endedAt, !!w.openAfk) });

/**
 * Whether the board's row of a session differs after the batch: it is new, moved, ended or reopened,
 * or an AFK period of it began, ended or moved to it. Heartbeats that only extend the latest activity
 * change nothing the board shows (its counters tick on their own), so the board and the status
 * subscribers don't hear of them.
 */
function boardChanged(w: Working): boolean {
  const now = shownOf(w);
  return !w.shown || w.shown.startedAt !== now.startedAt || w.shown.endedAt !== now.endedAt || w.afk.some((a) => a.dirty);
}

const bounds = (w: Working) => ({
  startedAt: w.row.startedAt,
  endedAt: w.row.endedAt,
  lastActivityAt: w.row.lastActivityAt,
  closedByApp: w.closedByApp,
  working: w,
});

/** A session in the window with its latest activity and its AFK period still running, if any. */
type WindowRow = WorkSession & {
  activityId: string | null;
  app: string;
  title: string;
  url: string | null;
  activityStartedAt: Date;
  activityEndedAt: Date;
  afkId: string | null;
  afkStartedAt: Date;
  afkEndedAt: Date | null;
  afkReason: AfkPeriod["reason"];
};

// The credential's workspace only: a person in two workspaces has a session in each.
const LOAD_WINDOW = `
  SELECT s.*, a.id AS "activityId", a.app, a.title, a.url, a."startedAt" AS "activityStartedAt", a."endedAt" AS "activityEndedAt",
         f.id AS "afkId", f."startedAt" AS "afkStartedAt", f."endedAt" AS "afkEndedAt", f.reason AS "afkReason"
  FROM "WorkSession" s
  LEFT JOIN LATERAL (SELECT * FROM "WorkActivity" WHERE "sessionId" = s.id ORDER BY "startedAt" DESC LIMIT 1) a ON true
  LEFT JOIN "AfkPeriod" f ON f."sessionId" = s.id AND f."endedAt" IS NULL
  WHERE s."workspaceId" = $1 AND s."userId" = $2 AND (s."endedAt" IS NULL OR (s."startedAt" <= $4 AND s."endedAt" >= $3))
  ORDER BY s."startedAt", s.id, f."startedAt"`;

/** One statement: the sessions, each with the one activity later heartbeats merge into and its running AFK period. */
async function loadWindow(tx: RawTx, viewer: Recorder, from: Date, to: Date): Promise<Working[]> {
  const sessions: Working[] = [];
  for (const { activityId, app, title, url, activityStartedAt, activityEndedAt, afkId, afkStartedAt, afkEndedAt, afkReason, ...row } of await tx.$queryRawUnsafe<WindowRow[]>(LOAD_WINDOW, viewer.workspaceId, viewer.userId, from, to)) {
    let w = sessions.at(-1);
    if (w?.row.id !== row.id) {
      const lastActivity = activityId
        ? { row: { id: activityId, sessionId: row.id, app, title, url, startedAt: activityStartedAt, endedAt: activityEndedAt }, isNew: false, dirty: false }
        : null;
      w = { row, isNew: false, dirty: false, lastActivity, activities: lastActivity ? [lastActivity] : [], openAfk: null, afk: [], closedByApp: row.endReason === "app_closed", wasOpen: !row.endedAt, shown: null };
      sessions.push(w);
    }
    if (!afkId) continue;
    const afk = { row: { id: afkId, sessionId: row.id, startedAt: afkStartedAt, endedAt: afkEndedAt, reason: afkReason }, isNew: false, dirty: false };
    w.afk.push(afk);
    if (!afkEndedAt) w.openAfk ??= afk;
  }
  for (const w of sessions) w.shown = shownOf(w);
  return sessions;
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
  return { row, isNew: true, dirty: true, lastActivity: null, activities: [], openAfk: null, afk: [], closedByApp: false, wasOpen: false, shown: null };
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

/** Moves a bridged session's records to the one that absorbed it, then deletes it (rare: a statement each). */
async function foldAway(tx: RawTx, gone: string, into: string) {
  for (const table of ["WorkActivity", "AfkPeriod", "Screenshot"]) {
    await tx.$queryRawUnsafe(`UPDATE "${table}" SET "sessionId" = $2::uuid WHERE "sessionId" = $1::uuid`, gone, into);
  }
  await tx.$queryRawUnsafe(`DELETE FROM "WorkSession" WHERE id = $1::uuid`, gone);
}

/**
 * Everything a batch changed, as one statement of column arrays (an imported month is tens of
 * thousands of activities, which row by row took seconds). Existing sessions are updated before
 * new ones are inserted (the insert reads the update's count first): a session closed here frees
 * the "one open session" slot, whose partial unique index is checked row by row. Activities and AFK
 * periods are upserted: new rows inserted, the stored ones the batch extended given their new end.
 */
const WRITE_BACK = `
  WITH updated AS (
    UPDATE "WorkSession" s SET "startedAt" = u."startedAt", "endedAt" = u."endedAt", "lastActivityAt" = u."lastActivityAt", "endReason" = u."endReason", "updatedAt" = $6::timestamptz
    FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::"WorkSessionEnd"[]) AS u(id, "startedAt", "endedAt", "lastActivityAt", "endReason")
    WHERE s.id = u.id RETURNING s.id
  ), created AS (
    INSERT INTO "WorkSession" (id, "workspaceId", "userId", "startedAt", "endedAt", "lastActivityAt", "endReason", manual, notes, "createdAt", "updatedAt")
    SELECT n.id, $7::uuid, $8::uuid, n."startedAt", n."endedAt", n."lastActivityAt", n."endReason", false, '', $6, $6
    FROM unnest($9::uuid[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::"WorkSessionEnd"[]) AS n(id, "startedAt", "endedAt", "lastActivityAt", "endReason")
    WHERE (SELECT count(*) FROM updated) >= 0
  ), activities AS (
    INSERT INTO "WorkActivity" (id, "sessionId", app, title, url, "startedAt", "endedAt")
    SELECT * FROM unnest($14::uuid[], $15::uuid[], $16::text[], $17::text[], $18::text[], $19::timestamptz[], $20::timestamptz[])
    ON CONFLICT (id) DO UPDATE SET "endedAt" = EXCLUDED."endedAt"
  )
  INSERT INTO "AfkPeriod" (id, "sessionId", "startedAt", "endedAt", reason)
  SELECT * FROM unnest($21::uuid[], $22::uuid[], $23::timestamptz[], $24::timestamptz[], $25::"AfkReason"[])
  ON CONFLICT (id) DO UPDATE SET "endedAt" = EXCLUDED."endedAt"`;

async function persist(tx: RawTx, viewer: Recorder, sessions: Working[], absorbed: { gone: Working; into: Working }[]) {
  // Bridged sessions go first: their stored records move to the survivor, then they are deleted.
  for (const { gone, into } of absorbed) await foldAway(tx, gone.row.id, into.row.id);
  const column = <T, K extends keyof T>(rows: T[], k: K) => rows.map((r) => r[k]);
  const sessionColumns = (rows: WorkSession[]) => [column(rows, "id"), column(rows, "startedAt"), column(rows, "endedAt"), column(rows, "lastActivityAt"), column(rows, "endReason")];
  const updated = sessions.filter((s) => !s.isNew && s.dirty).map((w) => w.row);
  const created = sessions.filter((s) => s.isNew).map((w) => w.row);
  // The stored ones the batch extended, then the new ones: an AFK period closed here before one opens.
  const touched = <T extends { isNew: boolean; dirty: boolean }>(items: T[]) => [...items.filter((a) => !a.isNew && a.dirty), ...items.filter((a) => a.isNew)];
  const activities = touched(sessions.flatMap((w) => w.activities)).map((a) => a.row);
  const afk = touched(sessions.flatMap((w) => w.afk)).map((a) => a.row);
  if (!updated.length && !created.length && !activities.length && !afk.length) return;
  await tx.$queryRawUnsafe(
    WRITE_BACK,
    ...sessionColumns(updated),
    new Date(),
    viewer.workspaceId,
    viewer.userId,
    ...sessionColumns(created),
    ...(["id", "sessionId", "app", "title", "url", "startedAt", "endedAt"] as const).map((k) => column(activities, k)),
    ...(["id", "sessionId", "startedAt", "endedAt", "reason"] as const).map((k) => column(afk, k)),
  );
}

/**
 * Takes the person's timeline lock (lockWorkTimeline's), then returns the batch's client event ids not
 * applied before: the others are retries. One statement: every insert joins the lock's one row, so
 * it waits for the lock. What the batch reads comes in the next statement, which sees what the
 * lock's previous holder committed.
 */
const LOCK_AND_INGEST = `WITH locked AS (SELECT pg_advisory_xact_lock(hashtextextended($3, 0)))
         INSERT INTO "IngestedWorkEvent" ("workspaceId", "userId", "clientEventId")
         SELECT $1::uuid, $2::uuid, id FROM locked, unnest($4::text[]) AS id
         ON CONFLICT DO NOTHING RETURNING "clientEventId" AS id`;

/** The person's open session (there is at most one). */
async function openSession(tx: RawTx, viewer: Recorder): Promise<{ id: string; lastActivityAt: Date } | null> {
  const [open] = await tx.$queryRawUnsafe<{ id: string; lastActivityAt: Date }[]>(
    `SELECT id, "lastActivityAt" FROM "WorkSession" WHERE "workspaceId" = $1::uuid AND "userId" = $2::uuid AND "endedAt" IS NULL`,
    viewer.workspaceId,
    viewer.userId,
  );
  return open ?? null;
}

/** An open session, and when it will have gone quiet unless more activity comes. */
export interface OpenSession {
  id: string;
  workspaceId: string;
  lastActivityAt: Date;
  timeoutMs: number;
}

export interface RecordResult {
  accepted: number;
  duplicates: number;
  changedSessionIds: string[];
  /**
   * The sessions whose board row changed (merged-away ones included), each with the state the board
   * showed before (null for a new one).
   */
  shownChanges: Map<string, LiveState | null>;
  /**
   * The session that needs an auto-close job: the one this batch left open if it wasn't open before
   * (new, or reopened by a bridge), or for a batch with events seen before, whichever is open.
   */
  autoClose: OpenSession | null;
  /** An AFK period ended in this batch: the employee came back, and may be asked what the time was. */
  afkEnded: boolean;
}

/**
 * Applies a batch of the desktop app's events: idempotent by client event id, in timestamp order,
 * each event in the session it belongs to (late and out-of-order ones included). `now` decides what
 * has gone quiet; the demo seed passes the moment it is seeded for.
 */
export async function recordEvents(services: Services, viewer: Recorder, events: WorkEvent[], now = new Date()): Promise<RecordResult> {
  // Served with the credential when the desktop app's token is cached: no read per batch.
  const workspace = await workspaceOfViewer(services.db, viewer);
  const timeoutMs = workSettings(workspace.settings).inactivityMinutes * 60_000;
  const unique = [...new Map(events.map((e) => [e.id, e])).values()];
  // Steady state: BEGIN, lock and ingest, window, write-back, COMMIT, on a pg client (see inTransaction).
  return inTransaction(services, async (tx) => {
    const ids = unique.map((e) => e.id);
    const fresh = new Set((await tx.$queryRawUnsafe<{ id: string }[]>(LOCK_AND_INGEST, viewer.workspaceId, viewer.userId, workTimelineKey(viewer.workspaceId, viewer.userId), ids)).map((r) => r.id));
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
    await persist(tx, viewer, sessions, absorbed);
    const stillOpen = sessions.find((w) => !w.row.endedAt);
    // Events seen before may be a batch sent again after its first attempt stored them but couldn't
    // schedule the auto-close (refused while Redis was away, by a process that then died): it is
    // scheduled again, which the job's key keeps to one job.
    const seenBefore = todo.length < unique.length;
    const autoClose = seenBefore ? (stillOpen?.row ?? (await openSession(tx, viewer))) : stillOpen && !stillOpen.wasOpen ? stillOpen.row : null;
    const changed = sessions.filter((w) => w.dirty || w.isNew);
    const mergedInto = new Set(absorbed.map((a) => a.into));
    const shownChanged = [...sessions.filter((w) => mergedInto.has(w) || boardChanged(w)), ...absorbed.map((a) => a.gone)];
    return {
      accepted: events.length,
      duplicates: events.length - todo.length,
      changedSessionIds: [...changed, ...absorbed.map((a) => a.gone)].map((w) => w.row.id),
      shownChanges: new Map(shownChanged.map((w) => [w.row.id, w.shown?.state ?? null])),
      autoClose: autoClose && { id: autoClose.id, workspaceId: viewer.workspaceId, lastActivityAt: autoClose.lastActivityAt, timeoutMs },
      afkEnded: sessions.some((w) => w.afk.some((a) => a.dirty && a.row.endedAt)),
    };
  });
}

/**
 * After commit: the session's auto-close runs once its timeout has passed since its last activity.
 * Scheduled when a session opens, not on every batch: a run that finds it active since schedules the
 * next one (schema/work/jobs.ts), and the sweep catches a job that was lost.
 */
export async function scheduleAutoClose(services: Services, session: OpenSession) {
  const delay = Math.max(0, session.lastActivityAt.getTime() + session.timeoutMs - Date.now());
  await services.jobs.enqueue(AUTO_CLOSE, { workspaceId: session.workspaceId, sessionId: session.id }, { delay: delay + 1000, dedupeKey: `work-close:${session.id}` });
}
