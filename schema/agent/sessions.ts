import type { Beat } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { rowsWhere } from "../common/policy.js";
import type { Context, Tx } from "../common/context.js";
import { ConflictError, NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { resolveOffsetPage } from "../common/pages.js";
import { UserRef } from "../identity/types.js";
import { readingInstant } from "../live/sources.js";
import { announceSessions, demoteActiveBeat, finishSession, flipBeat, loaded, publishSessions, withOpenBeat, type LoadedSession } from "./beats.js";
import { ProjectRef } from "../clients/types.js";
import { projectTakingTime } from "../clients/service.js";
import { isBillable, sessionTotals, type BeatKind } from "./rules.js";
import { announceStopped, lockPerson, stopRunning, stoppedEntry, TimeEntryRef } from "./timer.js";
import { upperSnake } from "../common/enums.js";

const BeatKindEnum = builder.enumType("BeatKind", {
  values: upperSnake({
    active: { description: "You are driving: typing, prompting, reviewing. Always billable." },
    agent: { description: "An agent runs on its own. Billable only if the project bills agent time." },
    idle: { description: "Paused, away, or waiting. Never billable." },
  }),
});

const BeatRef = builder.objectRef<Beat & { billAgentTime: boolean }>("Beat").implement({
  fields: (t) => ({
    kind: t.field({ type: BeatKindEnum, resolve: (b) => b.kind }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true, description: "Null for the current beat." }),
    billable: t.boolean({ resolve: (b) => isBillable(b.kind, b.billAgentTime) }),
  }),
});

export const AgentSessionRef = builder.objectRef<LoadedSession>("AgentSession");

/** An open session is read at its current beat's last whole second, the instant serverTime names. */
const readAt = (s: LoadedSession) => readingInstant(s, s.endedAt ? null : (s.open?.startedAt ?? null));

/** Its totals at the instant it is read (an ended session's at its end). */
const totalsOf = (s: LoadedSession) => sessionTotals(s, s.open, s.billAgentTime, s.endedAt ?? readAt(s));

builder.node(AgentSessionRef, {
  id: { resolve: (s) => s.id },
  loadOne: async (id, ctx) => {
    const session = await ctx.db.agentSession.findFirst({ where: { id, ...rowsWhere(ctx.viewer, "agentSession") }, include: withOpenBeat });
    return session && loaded(session);
  },
  fields: (t) => ({
    description: t.exposeString("description"),
    // By id, read only when asked for; Prisma batches the lookups of one request into one query.
    project: t.field({ type: ProjectRef, resolve: (s, _a, ctx) => ctx.db.project.findUniqueOrThrow({ where: { id: s.projectId } }) }),
    user: t.field({ type: UserRef, resolve: (s, _a, ctx) => ctx.db.user.findUniqueOrThrow({ where: { id: s.userId }, omit: { passwordHash: true } }) }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true }),
    billAgentTime: t.exposeBoolean("billAgentTime", { description: "The project's flag as it was when the session started." }),
    state: t.field({
      type: BeatKindEnum,
      nullable: true,
      description: "The current beat; null once ended.",
      resolve: (s) => s.open?.kind ?? null,
    }),
    beats: t.field({
      type: [BeatRef],
      // Read only when asked for; Prisma batches these lookups of one request into one query.
      resolve: async (s, _a, ctx) => {
        const beats = await ctx.db.agentSession.findUnique({ where: { id: s.id } }).beats({ orderBy: { startedAt: "asc" } });
        return (beats ?? []).map((b) => ({ ...b, billAgentTime: s.billAgentTime }));
      },
    }),
    serverTime: t.field({ type: "DateTime", description: "The instant the counters below were computed.", resolve: (s) => readAt(s) }),
    billableSeconds: t.int({ resolve: (s) => s.billableSeconds ?? sessionTotals(s, s.open, s.billAgentTime, readAt(s)).billableSeconds }),
    activeSeconds: t.int({ resolve: (s) => totalsOf(s).activeSeconds }),
    agentSeconds: t.int({ resolve: (s) => totalsOf(s).agentSeconds }),
    idleSeconds: t.int({ resolve: (s) => totalsOf(s).idleSeconds }),
    timeEntry: t.field({
      type: TimeEntryRef,
      nullable: true,
      description: "The entry written when the session ended; null while open or when nothing was billable.",
      resolve: (s, _a, ctx) => ctx.db.timeEntry.findUnique({ where: { agentSessionId: s.id } }),
    }),
  }),
});

builder.queryField("agentSessions", (t) =>
  t.connection({
    type: AgentSessionRef,
    description: "Your sessions, open ones first, then the most recently started.",
    authScopes: { permission: "agent.read" },
    args: { ended: t.arg.boolean({ required: false, description: "Only ended (true) or only open (false) sessions." }) },
    resolve: (_r, args, ctx) =>
      resolveOffsetPage({ args }, async ({ limit, offset }) =>
        (await ctx.db.agentSession.findMany({
          where: {
            ...rowsWhere(ctx.viewer, "agentSession"),
            userId: ctx.viewer!.userId,
            ...(args.ended == null ? {} : { endedAt: args.ended ? { not: null } : null }),
          },
          include: withOpenBeat,
          orderBy: [{ endedAt: { sort: "desc", nulls: "first" } }, { startedAt: "desc" }, { id: "asc" }],
          skip: offset,
          take: limit,
        })).map(loaded),
      ),
  }),
);

async function ownOpenSession(tx: Tx, ctx: Context, id: string) {
  const session = await tx.agentSession.findFirst({ where: { id, userId: ctx.viewer!.userId, workspaceId: ctx.viewer!.workspaceId } });
  if (!session) throw new NotFoundError("Session");
  if (session.endedAt) throw new ConflictError("This session has ended", [id]);
  return session;
}

export async function startSession(ctx: Context, projectId: string, description: string) {
  const viewer = ctx.viewer!;
  const problems = new Problems();
  const text = description.trim();
  if (!text) problems.add("description", "Describe the work in a few words");
  if (text.length > 200) problems.add("description", "At most 200 characters");
  problems.throwIfAny();
  const now = new Date();
  const { stopped, demoted, session } = await ctx.db.$transaction(async (tx) => {
    const project = await projectTakingTime(tx, viewer.workspaceId, projectId);
    await lockPerson(tx, viewer);
    // Starting a session is focusing it: the timer stops and saves, another session drops to idle.
    const stopped = await stopRunning(tx, viewer, now);
    const demoted = await demoteActiveBeat(tx, viewer, now, "idle");
    const session = await tx.agentSession.create({
      data: {
        workspaceId: viewer.workspaceId,
        userId: viewer.userId,
        projectId: project.id,
        description: text,
        billAgentTime: project.billAgentTime,
        startedAt: now,
        beats: { create: { workspaceId: viewer.workspaceId, userId: viewer.userId, kind: "active", startedAt: now } },
      },
    });
    return { stopped, demoted, session };
  });
  if (stopped) announceStopped(ctx, stopped);
  if (demoted) await announceSessions(ctx, [{ id: demoted, previous: "active" }]);
  const [started] = await announceSessions(ctx, [{ id: session.id, previous: null }]);
  return started;
}

export async function setBeat(ctx: Context, sessionId: string, kind: BeatKind, previousTo: BeatKind) {
  const viewer = ctx.viewer!;
  if (previousTo === "active") throw ValidationError.field("previousTo", "The session you leave drops to idle or agent");
  // Making a session active focuses it: the timer stops, your other active session steps back.
  const flip = await flipBeat(ctx.pool, viewer, sessionId, kind, previousTo, new Date());
  if (flip.problem === "not_found") throw new NotFoundError("Session");
  if (flip.problem === "ended") throw new ConflictError("This session has ended", [sessionId]);
  if (flip.stoppedEntryId) announceStopped(ctx, await stoppedEntry(ctx.db, flip.stoppedEntryId));
  const flipped = flip.sessions.at(-1)!;
  publishSessions(ctx, flip.sessions, [
    ...(flip.demotedSessionId ? [{ id: flip.demotedSessionId, previous: "active" as const }] : []),
    ...(flip.switched ? [{ id: flipped.id, previous: flip.previous }] : []),
  ]);
  return flipped;
}

export async function endSession(ctx: Context, sessionId: string) {
  const viewer = ctx.viewer!;
  const now = new Date();
  const previous = await ctx.db.$transaction(async (tx) => {
    await lockPerson(tx, viewer);
    const session = await ownOpenSession(tx, ctx, sessionId);
    return finishSession(tx, session, now);
  });
  const [session] = await announceSessions(ctx, [{ id: sessionId, previous }]);
  return session;
}

builder.mutationField("startAgentSession", (t) =>
  t.fieldWithInput({
    type: AgentSessionRef,
    description: "Starts a session on a project with an active beat; a running timer stops and is saved.",
    authScopes: { permission: "agent.track" },
    errors: { types: [ValidationError, NotFoundError] },
    input: { projectId: t.input.globalID({ for: ProjectRef }), description: t.input.string() },
    resolve: (_r, { input: args }, ctx) => startSession(ctx, args.projectId.id, args.description),
  }),
);

builder.mutationField("setBeat", (t) =>
  t.fieldWithInput({
    type: AgentSessionRef,
    description:
      "Switches a session to a beat kind. Making it active focuses it: the timer stops and your previously " +
      "active session drops to `previousTo` (IDLE unless you say AGENT).",
    authScopes: { permission: "agent.track" },
    errors: { types: [ValidationError, NotFoundError, ConflictError] },
    input: {
      sessionId: t.input.globalID({ for: AgentSessionRef }),
      kind: t.input.field({ type: BeatKindEnum }),
      previousTo: t.input.field({ type: BeatKindEnum, required: false, defaultValue: "idle" }),
    },
    resolve: (_r, { input: args }, ctx) => setBeat(ctx, args.sessionId.id, args.kind, args.previousTo ?? "idle"),
  }),
);

builder.mutationField("endAgentSession", (t) =>
  t.fieldWithInput({
    type: AgentSessionRef,
    description: "Ends the session and writes one time entry with its billable seconds (none if zero).",
    authScopes: { permission: "agent.track" },
    errors: { types: [NotFoundError, ConflictError] },
    input: { sessionId: t.input.globalID({ for: AgentSessionRef }) },
    resolve: (_r, { input: args }, ctx) => endSession(ctx, args.sessionId.id),
  }),
);
