// Work sessions' writes: manual time, corrections, settings and the desktop app's events. The
// GraphQL fields and the plain endpoints both call these, so a rule is stated once.
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Context, Services } from "../common/context.js";
import { lockWorkTimeline } from "../common/locks.js";
import { ConflictError, NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { personInScope, rowsWhere } from "../common/policy.js";
import { saveWorkspaceSettings } from "../identity/service.js";
import { announcePrompts } from "./afk.js";
import type { WorkEvent } from "./events.js";
import { announceWork } from "./live.js";
import { recordEvents, scheduleAutoClose, type Recorder } from "./recording.js";
import { dateRange } from "../common/time.js";
import { WORK_SETTING_LIMITS, workSettings } from "./settings.js";

/** What a WorkSession field reads alongside the session. */
export const include = { user: true, afkPeriods: { orderBy: { startedAt: "asc" } } } as const;

const encode = (id: string) => encodeGlobalID("WorkSession", id);
const conflict = (id: string) => new ConflictError("Overlaps another session of this employee", [id]);

/** The workspace's settings for work sessions (inactivity timeout, AFK prompt threshold). */
export async function settingsOf(services: Services, workspaceId: string) {
  return workSettings((await services.db.workspace.findUniqueOrThrow({ where: { id: workspaceId } })).settings);
}

/** An employee of the viewer's workspace, by their user ID, or null. */
export function memberOf(services: Services, workspaceId: string, userId: string) {
  return services.db.membership.findFirst({ where: { workspaceId, userId } });
}

/**
 * Who the query is about (the policy's rule: employees only ever themselves, managers anyone or
 * everyone), and only a member of the workspace the request acts in: nobody else's name or email.
 */
export async function employeeScope(ctx: Context, employeeId: string | undefined) {
  const viewer = ctx.viewer!;
  const userId = personInScope(viewer, employeeId);
  if (userId && userId !== viewer.userId && !(await ctx.db.membership.findFirst({ where: { ...rowsWhere(viewer, "member"), userId } })))
    throw new NotFoundError("Employee");
  return userId;
}

export interface SessionsQuery {
  from: string;
  to: string;
  employeeId?: string;
  withNotes?: boolean | null;
}

/** Sessions overlapping the workspace-local dates, newest first, one page of them. */
export async function sessionsBetween(ctx: Context, query: SessionsQuery, page: { limit: number; offset: number }) {
  if (query.to < query.from) throw ValidationError.field("to", "Must not be before from");
  const { timeZone } = await ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.viewer!.workspaceId } });
  const range = dateRange(query.from, query.to, timeZone);
  const userId = await employeeScope(ctx, query.employeeId);
  return ctx.db.workSession.findMany({
    where: {
      ...rowsWhere(ctx.viewer, "workSession"),
      userId,
      startedAt: { lt: range.end },
      OR: [{ endedAt: null }, { endedAt: { gt: range.start } }],
      ...(query.withNotes ? { notes: { not: "" } } : {}),
    },
    include,
    orderBy: [{ startedAt: "desc" }, { id: "asc" }],
    skip: page.offset,
    take: page.limit,
  });
}

/** The employee's session that overlaps [start, end), an open one counting up to now. */
async function overlapping(ctx: Context, userId: string, start: Date, end: Date, exceptId?: string) {
  return ctx.db.workSession.findFirst({
    where: {
      workspaceId: ctx.viewer!.workspaceId,
      userId,
      id: exceptId ? { not: exceptId } : undefined,
      startedAt: { lt: end },
      OR: [{ endedAt: null }, { endedAt: { gt: start } }],
    },
  });
}

/** Longer is a typo (2015 for 2025) that would put 24 hours on every day of the years between. */
const MAX_SESSION_MS = 24 * 3600_000;
const TOO_LONG = "At most 24 hours per session; add another session for the rest";

function checkTimes(problems: Problems, start: Date, end: Date) {
  if (end <= start) problems.add("end", "Must be after the start");
  if (end.getTime() > Date.now()) problems.add("end", "Can't be in the future");
}

function isOverlapViolation(error: unknown) {
  return String((error as Error)?.message ?? "").includes("WorkSession_no_overlap");
}

export interface ManualTime {
  employeeId: string;
  start: Date;
  end: Date;
  note: string;
}

/** A manager adds time an employee worked untracked; rejected when it overlaps any of their sessions. */
export async function addManualTime(ctx: Context, time: ManualTime) {
  const problems = new Problems();
  checkTimes(problems, time.start, time.end);
  if (time.end.getTime() - time.start.getTime() > MAX_SESSION_MS) problems.add("end", TOO_LONG);
  if (time.note.length > 2000) problems.add("note", "At most 2000 characters");
  problems.throwIfAny();
  const workspaceId = ctx.viewer!.workspaceId;
  const member = await memberOf(ctx, workspaceId, time.employeeId);
  if (!member) throw new NotFoundError("Employee");
  const clash = await overlapping(ctx, member.userId, time.start, time.end);
  if (clash) throw conflict(encode(clash.id));
  try {
    const created = await ctx.db.workSession.create({
      data: {
        workspaceId,
        userId: member.userId,
        startedAt: time.start,
        endedAt: time.end,
        lastActivityAt: time.end,
        endReason: "manual",
        manual: true,
        notes: time.note.trim(),
      },
      include,
    });
    await announceWork(ctx, [created.id]);
    return created;
  } catch (error) {
    // Two managers at the same moment: the database constraint lets exactly one through.
    if (!isOverlapViolation(error)) throw error;
    const winner = await overlapping(ctx, member.userId, time.start, time.end);
    throw conflict(winner ? encode(winner.id) : "");
  }
}

export interface SessionCorrection {
  id: string;
  start: Date;
  end: Date;
  notes?: string | null;
}

function refuseOpen(session: { id: string; endedAt: Date | null }) {
  if (!session.endedAt) throw new ConflictError("An open session can't be edited; wait until it ends", [encode(session.id)]);
}

/** A manager corrects a completed session's bounds and notes; AFK and activity outside are trimmed. */
export async function editWorkSession(ctx: Context, correction: SessionCorrection) {
  const { start, end } = correction;
  const problems = new Problems();
  checkTimes(problems, start, end);
  problems.throwIfAny();
  const found = await ctx.db.workSession.findFirst({ where: { id: correction.id, workspaceId: ctx.viewer!.workspaceId } });
  if (!found) throw new NotFoundError("Session");
  refuseOpen(found);
  // A recorded session may have run longer (a night through): it can be trimmed, not lengthened.
  const length = end.getTime() - start.getTime();
  if (length > MAX_SESSION_MS && length > found.endedAt!.getTime() - found.startedAt.getTime()) throw ValidationError.field("end", TOO_LONG);
  const clash = await overlapping(ctx, found.userId, start, end, found.id);
  if (clash) throw conflict(encode(clash.id));
  try {
    await ctx.db.$transaction(async (tx) => {
      // A desktop batch writes back the sessions it read, with their activity: holding the person's
      // timeline, the correction waits for one in progress and applies to what it stored, and the
      // next batch reads the corrected session.
      await lockWorkTimeline(tx, found.workspaceId, found.userId);
      const session = await tx.workSession.findUnique({ where: { id: found.id } });
      if (!session) throw new NotFoundError("Session");
      refuseOpen(session); // reopened by a late batch since it was read
      // Everything outside the new bounds goes, what straddles them is clipped: no negative durations.
      const sessionId = session.id;
      const outside = { sessionId, OR: [{ endedAt: { lte: start } }, { startedAt: { gte: end } }] };
      await tx.afkPeriod.deleteMany({ where: outside });
      await tx.workActivity.deleteMany({ where: outside });
      await tx.afkPeriod.updateMany({ where: { sessionId, startedAt: { lt: start } }, data: { startedAt: start } });
      await tx.workActivity.updateMany({ where: { sessionId, startedAt: { lt: start } }, data: { startedAt: start } });
      await tx.afkPeriod.updateMany({ where: { sessionId, OR: [{ endedAt: { gt: end } }, { endedAt: null }] }, data: { endedAt: end } });
      await tx.workActivity.updateMany({ where: { sessionId, endedAt: { gt: end } }, data: { endedAt: end } });
      await tx.workSession.update({
        where: { id: session.id },
        data: { startedAt: start, endedAt: end, lastActivityAt: end, notes: correction.notes?.trim() ?? undefined },
      });
    });
  } catch (error) {
    if (isOverlapViolation(error)) throw conflict("");
    throw error;
  }
  return ctx.db.workSession.findUniqueOrThrow({ where: { id: found.id }, include });
}

/** Changes the settings given; the others stay. */
export async function updateWorkSettings(ctx: Context, changes: Partial<Record<keyof typeof WORK_SETTING_LIMITS, number | null>>) {
  const problems = new Problems();
  const valid: Record<string, number> = {};
  for (const key of ["inactivityMinutes", "afkPromptMinutes"] as const) {
    const value = changes[key];
    if (value == null) continue;
    const { min, max } = WORK_SETTING_LIMITS[key];
    if (value < min || value > max) problems.add(key, `Between ${min} and ${max} minutes`);
    valid[key] = value;
  }
  problems.throwIfAny();
  return workSettings(await saveWorkspaceSettings(ctx, ctx.viewer!.workspaceId, "work", valid));
}

/** Records, schedules the auto-close and tells the board: one path for live and imported events. */
export async function ingest(services: Services, viewer: Recorder, events: WorkEvent[], now = new Date()) {
  const result = await recordEvents(services, viewer, events, now);
  // Told first: the events are stored, so boards show them even when the scheduling below fails (the
  // sender then gets a 503 and sends the batch again, which changes nothing and announces nothing,
  // but schedules the auto-close again).
  await announceWork(services, [...result.shownChanges.keys()], viewer.workspaceId, result.shownChanges);
  if (result.afkEnded) announcePrompts(services, viewer.workspaceId, viewer.userId);
  if (result.autoClose) await scheduleAutoClose(services, result.autoClose);
  return { accepted: result.accepted, duplicates: result.duplicates, sessions: result.changedSessionIds.length };
}
