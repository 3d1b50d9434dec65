// "Merge duplicate sessions", the settings tool: each group of an employee's overlapping sessions
// becomes one session, recorded in an audit trail. The database refuses overlapping sessions
// (WorkSession_no_overlap), so groups only exist in data that got in without that guarantee, such as
// rows restored or loaded by hand; the tool finds nothing otherwise and is safe to run any time, twice.
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { WorkSession, WorkSessionMerge } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import type { Context, Tx } from "../common/context.js";
import { NotFoundError } from "../common/errors.js";
import { resolveOffsetPage } from "../common/pages.js";
import { UserRef } from "../identity/types.js";
import { announceWork } from "./live.js";
import { lockWorkTimeline } from "../common/locks.js";
import { coalesce, overlapGroups, unionOf, type Span } from "./rules.js";
import { WorkSessionRef } from "./types.js";

/**
 * Sessions that overlap another of the same employee (half-open; open ones reach to now and on):
 * one employee's, or everyone's in the workspace when `userId` is null.
 */
function overlappingSessions(tx: Tx, workspaceId: string, userId: string | null) {
  return tx.$queryRaw<WorkSession[]>`
    SELECT s.* FROM "WorkSession" s
    WHERE s."workspaceId" = ${workspaceId}::uuid AND (${userId}::uuid IS NULL OR s."userId" = ${userId}::uuid) AND EXISTS (
      SELECT 1 FROM "WorkSession" o WHERE o."userId" = s."userId" AND o.id <> s.id
        AND tstzrange(o."startedAt", COALESCE(o."endedAt", 'infinity'), '[)') && tstzrange(s."startedAt", COALESCE(s."endedAt", 'infinity'), '[)'))
    ORDER BY s."startedAt", s.id`;
}

/** Each employee's groups of overlapping sessions, in the order their first session started. */
async function duplicateGroups(tx: Tx, workspaceId: string, userId: string | null) {
  const byEmployee = new Map<string, WorkSession[]>();
  for (const s of await overlappingSessions(tx, workspaceId, userId)) byEmployee.set(s.userId, [...(byEmployee.get(s.userId) ?? []), s]);
  return [...byEmployee.values()].flatMap((sessions) => overlapGroups(sessions));
}

interface MergedRecord {
  id: string;
  startedAt: string;
  endedAt: string | null;
  manual: boolean;
  notes: string;
}

const latestEnd = (group: WorkSession[]) => group.reduce((a, b) => ((b.endedAt ?? b.lastActivityAt) > (a.endedAt ?? a.lastActivityAt) ? b : a));

/** Folds one group into its earliest session: bounds united, records re-attached and counted once. */
async function mergeGroup(tx: Tx, group: WorkSession[], mergedById: string) {
  const [kept, ...gone] = group;
  const goneIds = gone.map((s) => s.id);
  const moved = { where: { sessionId: { in: goneIds } }, data: { sessionId: kept.id } };
  await tx.afkPeriod.updateMany(moved);
  await tx.workActivity.updateMany(moved);
  await tx.screenshot.updateMany(moved);
  const afk = await tx.afkPeriod.findMany({ where: { sessionId: kept.id } });
  // Overlapping AFK periods are one time away, whatever reason each copy was given.
  for (const { keep, others, endedAt } of coalesce(afk, () => "away")) {
    const reason = keep.reason ?? others.find((o) => o.reason)?.reason ?? null;
    await tx.afkPeriod.update({ where: { id: keep.id }, data: { endedAt, reason } });
    await tx.afkPeriod.deleteMany({ where: { id: { in: others.map((o) => o.id) } } });
  }
  const activities = await tx.workActivity.findMany({ where: { sessionId: kept.id } });
  for (const { keep, others, endedAt } of coalesce(activities, (a) => JSON.stringify([a.app, a.title, a.url]))) {
    await tx.workActivity.update({ where: { id: keep.id }, data: { endedAt: endedAt ?? keep.endedAt } });
    await tx.workActivity.deleteMany({ where: { id: { in: others.map((o) => o.id) } } });
  }
  // The others go before the kept one grows over them: the overlap constraint never sees both.
  await tx.workSession.deleteMany({ where: { id: { in: goneIds } } });
  const union: Span = unionOf(group);
  const last = latestEnd(group);
  await tx.workSession.update({
    where: { id: kept.id },
    data: {
      startedAt: union.startedAt,
      endedAt: union.endedAt,
      lastActivityAt: new Date(Math.max(...group.map((s) => s.lastActivityAt.getTime()))),
      endReason: union.endedAt ? last.endReason : null,
      manual: group.every((s) => s.manual),
      notes: [...new Set(group.map((s) => s.notes.trim()).filter(Boolean))].join("\n\n"),
    },
  });
  const before: MergedRecord[] = group.map((s) => ({
    id: s.id,
    startedAt: s.startedAt.toISOString(),
    endedAt: s.endedAt?.toISOString() ?? null,
    manual: s.manual,
    notes: s.notes,
  }));
  return tx.workSessionMerge.create({
    data: { workspaceId: kept.workspaceId, employeeId: kept.userId, mergedById, sessionId: kept.id, before: before as object[] },
  });
}

/** Merges every group of one employee's overlapping sessions, in one transaction. */
async function mergeEmployee(ctx: Context, userId: string) {
  const viewer = ctx.viewer!;
  return ctx.db.$transaction(async (tx) => {
    // The same lock as recording: no batch of desktop events lands in a group while it is merged.
    await lockWorkTimeline(tx, viewer.workspaceId, userId);
    // Found again under the lock: a run that waited for another finds what is left.
    const merges: WorkSessionMerge[] = [];
    for (const group of await duplicateGroups(tx, viewer.workspaceId, userId)) merges.push(await mergeGroup(tx, group, viewer.userId));
    return merges;
  });
}

/** The groups the tool would merge now: one employee's (who must be a member), or everyone's. */
async function findDuplicates(ctx: Context, employeeId: string | undefined) {
  const workspaceId = ctx.viewer!.workspaceId;
  if (employeeId && !(await ctx.db.membership.findFirst({ where: { workspaceId, userId: employeeId } }))) throw new NotFoundError("Employee");
  return duplicateGroups(ctx.db, workspaceId, employeeId ?? null);
}

const DuplicateGroupRef = builder.objectRef<WorkSession[]>("DuplicateSessionGroup").implement({
  description: "Sessions of one employee that overlap, and what merging them would make.",
  fields: (t) => ({
    sessions: t.field({
      type: [WorkSessionRef],
      resolve: (group, _a, ctx) =>
        ctx.db.workSession.findMany({
          where: { id: { in: group.map((s) => s.id) } },
          include: { user: true, afkPeriods: { orderBy: { startedAt: "asc" } } },
          orderBy: { startedAt: "asc" },
        }),
    }),
    mergedStartedAt: t.field({ type: "DateTime", resolve: (group) => unionOf(group).startedAt }),
    mergedEndedAt: t.field({ type: "DateTime", nullable: true, resolve: (group) => unionOf(group).endedAt }),
  }),
});

const MergedRecordRef = builder.objectRef<MergedRecord>("MergedSessionRecord").implement({
  description: "A session as it was just before a merge.",
  fields: (t) => ({
    sessionId: t.id({ resolve: (r) => encodeGlobalID("WorkSession", r.id) }),
    startedAt: t.field({ type: "DateTime", resolve: (r) => new Date(r.startedAt) }),
    endedAt: t.field({ type: "DateTime", nullable: true, resolve: (r) => (r.endedAt ? new Date(r.endedAt) : null) }),
    manual: t.exposeBoolean("manual"),
    notes: t.exposeString("notes"),
  }),
});

const MergeRef = builder.objectRef<WorkSessionMerge>("WorkSessionMerge").implement({
  description: "One entry of the audit trail of \"Merge duplicate sessions\".",
  fields: (t) => ({
    id: t.exposeID("id"),
    mergedAt: t.expose("createdAt", { type: "DateTime" }),
    employee: t.field({ type: UserRef, resolve: (m, _a, ctx) => ctx.db.user.findUniqueOrThrow({ where: { id: m.employeeId } }) }),
    mergedBy: t.field({ type: UserRef, resolve: (m, _a, ctx) => ctx.db.user.findUniqueOrThrow({ where: { id: m.mergedById } }) }),
    session: t.field({
      type: WorkSessionRef,
      nullable: true,
      description: "The session that remained (null if it has since been deleted or merged again).",
      resolve: (m, _a, ctx) => ctx.db.workSession.findUnique({ where: { id: m.sessionId }, include: { user: true, afkPeriods: { orderBy: { startedAt: "asc" } } } }),
    }),
    before: t.field({ type: [MergedRecordRef], description: "The group as it was, the remaining session first.", resolve: (m) => m.before as unknown as MergedRecord[] }),
  }),
});

builder.queryField("workSessionDuplicates", (t) =>
  t.field({
    type: [DuplicateGroupRef],
    description: "Groups of overlapping sessions that \"Merge duplicate sessions\" would fold into one each.",
    authScopes: { permission: "work.manage" },
    errors: { types: [NotFoundError] },
    args: { employeeId: t.arg.globalID({ for: UserRef, required: false, description: "One employee; everyone when omitted." }) },
    resolve: (_r, args, ctx) => findDuplicates(ctx, args.employeeId?.id),
  }),
);

builder.mutationField("mergeDuplicateWorkSessions", (t) =>
  t.fieldWithInput({
    type: [MergeRef],
    description: "Merges each group of overlapping sessions into one (union of bounds; AFK, activity and screenshots re-attached, counted once). Returns the audit entries written; none when there was nothing to merge.",
    authScopes: { permission: "work.manage" },
    errors: { types: [NotFoundError] },
    input: { employeeId: t.input.globalID({ for: UserRef, required: false, description: "One employee; everyone when omitted." }) },
    resolve: async (_r, { input: args }, ctx) => {
      // Only employees with overlaps get a transaction; each is merged under its own lock.
      const employees = new Set((await findDuplicates(ctx, args.employeeId?.id)).map((group) => group[0].userId));
      const merges: WorkSessionMerge[] = [];
      for (const userId of employees) merges.push(...(await mergeEmployee(ctx, userId)));
      const before = merges.flatMap((m) => (m.before as unknown as MergedRecord[]).map((r) => r.id));
      await announceWork(ctx, before, ctx.viewer!.workspaceId);
      return merges;
    },
  }),
);

builder.queryField("workSessionMerges", (t) =>
  t.connection({
    type: MergeRef,
    description: "The audit trail of \"Merge duplicate sessions\", newest first.",
    authScopes: { permission: "work.manage" },
    args: { employeeId: t.arg.globalID({ for: UserRef, required: false }) },
    resolve: (_r, args, ctx) =>
      resolveOffsetPage({ args }, ({ limit, offset }) =>
        ctx.db.workSessionMerge.findMany({
          where: { workspaceId: ctx.viewer!.workspaceId, ...(args.employeeId ? { employeeId: args.employeeId.id } : {}) },
          orderBy: [{ createdAt: "desc" }, { id: "asc" }],
          skip: offset,
          take: limit,
        }),
      ),
  }),
);
