import type { Project, TimeEntry, User } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { rowsWhere } from "../common/policy.js";
import type { Context, Services, Tx, Viewer } from "../common/context.js";
import { NotFoundError, ValidationError } from "../common/errors.js";
import { lockAgentTimer } from "../common/locks.js";
import { publishSessionChange } from "../live/service.js";
import { readingInstant } from "../live/sources.js";
import { ProjectRef } from "../clients/types.js";
import { projectTakingTime } from "../clients/service.js";
import { UserRef } from "../identity/types.js";
import { announceSessions, demoteActiveBeat, type Person } from "./beats.js";
import { timerAsLive, type RunningTimer } from "./live.js";

export const TimeEntryRef = builder.objectRef<TimeEntry>("TimeEntry");

builder.node(TimeEntryRef, {
  id: { resolve: (e) => e.id },
  loadOne: (id, ctx) => {
    return ctx.db.timeEntry.findFirst({ where: { id, ...rowsWhere(ctx.viewer, "timeEntry") } });
  },
  fields: (t) => ({
    description: t.exposeString("description"),
    source: t.exposeString("source", { description: "timer, manual or session" }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true, description: "Null while the timer runs." }),
    durationSeconds: t.exposeInt("durationSeconds", { nullable: true }),
    serverTime: t.field({
      type: "DateTime",
      description: "When this was read: a running timer has run for serverTime - startedAt, whatever the client's clock says.",
      resolve: (e) => readingInstant(e, e.endedAt ? null : e.startedAt),
    }),
    project: t.field({
      type: ProjectRef,
      nullable: true,
      resolve: (e, _a, ctx) => (e.projectId ? ctx.db.project.findUnique({ where: { id: e.projectId } }) : null),
    }),
    user: t.field({ type: UserRef, resolve: (e, _a, ctx) => ctx.db.user.findUniqueOrThrow({ where: { id: e.userId } }) }),
  }),
});

const include = { user: true, project: true } as const;

/**
 * Serialises one person's timer and session changes in one workspace; released when the transaction
 * ends. A credential acts in one workspace, so nothing here reaches the person's other workspaces.
 */
export async function lockPerson(tx: Tx, person: Person) {
  await lockAgentTimer(tx, person.workspaceId, person.userId);
}

/** Stops the person's running timer in this workspace, if any, at `at` (agent_stop_timer), inside the caller's transaction. */
export async function stopRunning(tx: Tx, person: Person, at: Date) {
  const [row] = await tx.$queryRaw<{ stopped: string | null }[]>`
    SELECT agent_stop_timer(${person.workspaceId}::uuid, ${person.userId}::uuid, ${at}) AS stopped`;
  return row.stopped ? stoppedEntry(tx, row.stopped) : null;
}

/** A timer entry just stopped, loaded as its announcement needs it. */
export function stoppedEntry(db: Tx, id: string) {
  return db.timeEntry.findUniqueOrThrow({ where: { id }, include });
}

export function announceStopped(services: Services, entry: RunningTimer) {
  publishSessionChange(services, timerAsLive(entry, new Date()), false, {
    status: "stopped",
    previousStatus: "running",
    at: entry.endedAt!,
  });
}

export async function stopTimer(services: Services, viewer: Viewer, at = new Date()) {
  const stopped = await services.db.$transaction(async (tx) => {
    await lockPerson(tx, viewer);
    return stopRunning(tx, viewer, at);
  });
  if (stopped) announceStopped(services, stopped);
  return stopped;
}

export async function startTimer(ctx: Context, projectId: string | null, description: string) {
  const viewer = ctx.viewer!;
  if (description.length > 500) throw ValidationError.field("description", "At most 500 characters");
  const now = new Date();
  // The partial unique index on running timers is the invariant; the lock makes concurrent starts queue.
  const [stopped, demoted, entry] = await ctx.db.$transaction(async (tx) => {
    if (projectId) await projectTakingTime(tx, viewer.workspaceId, projectId);
    await lockPerson(tx, viewer);
    const stopped = await stopRunning(tx, viewer, now);
    // One active thing at a time: a session you were driving here drops to idle.
    const demoted = await demoteActiveBeat(tx, viewer, now, "idle");
    const entry = await tx.timeEntry.create({
      data: {
        workspaceId: viewer.workspaceId,
        userId: viewer.userId,
        projectId,
        description: description.trim(),
        source: "timer",
        startedAt: now,
      },
      include,
    });
    return [stopped, demoted, entry] as const;
  });
  if (stopped) announceStopped(ctx, stopped);
  await announceSessions(ctx, demoted ? [{ id: demoted, previous: "active" }] : []);
  publishSessionChange(ctx, timerAsLive(entry, now), true, { status: "running", previousStatus: null, at: now });
  return entry;
}

builder.queryField("runningTimer", (t) =>
  t.field({
    type: TimeEntryRef,
    nullable: true,
    description: "Your running timer in this workspace.",
    authScopes: { permission: "agent.read" },
    resolve: (_r, _a, ctx) => ctx.db.timeEntry.findFirst({ where: { ...rowsWhere(ctx.viewer, "timeEntry"), userId: ctx.viewer!.userId, endedAt: null } }),
  }),
);

builder.mutationField("startTimer", (t) =>
  t.fieldWithInput({
    type: TimeEntryRef,
    description: "Starts your timer; a timer already running is stopped and saved first.",
    authScopes: { permission: "agent.track" },
    errors: { types: [ValidationError, NotFoundError] },
    input: {
      projectId: t.input.globalID({ required: false, for: ProjectRef }),
      description: t.input.string({ required: false, defaultValue: "" }),
    },
    resolve: (_r, { input: args }, ctx) => startTimer(ctx, args.projectId?.id ?? null, args.description ?? ""),
  }),
);

builder.mutationField("stopTimer", (t) =>
  t.field({
    type: TimeEntryRef,
    description: "Stops your running timer and saves its entry.",
    authScopes: { permission: "agent.track" },
    errors: { types: [NotFoundError] },
    resolve: async (_r, _a, ctx) => {
      const saved = await stopTimer(ctx, ctx.viewer!);
      if (!saved) throw new NotFoundError("Running timer");
      return saved;
    },
  }),
);
