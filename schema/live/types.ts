import { encodeGlobalID } from "@pothos/plugin-relay";
import { filter, pipe } from "graphql-yoga";
import { builder } from "../builder.js";
import { canWatchLive, liveAudience, liveVisible } from "../common/policy.js";
import type { Viewer } from "../common/context.js";
import type { LiveBoard, LiveBoardChanges, LiveSession, LiveState, SessionStatusEvent } from "../common/pubsub.js";
import { upperSnake } from "../common/enums.js";
import { liveSources } from "../live-sources.js";
import { listOpenSessions } from "./sources.js";

const LiveSessionKind = builder.enumType("LiveSessionKind", {
  values: ["WORK", "AGENT", "TIMER", "APPOINTMENT", "USER"] as const,
});

const LiveSessionState = builder.enumType("LiveSessionState", {
  description: "What a session on the Live board is doing, in its kind's words.",
  values: upperSnake({
    running: { description: "A timer running." },
    stopped: { description: "A timer stopped." },
    active: { description: "An agent session whose person is working (its active beat)." },
    agent: { description: "An agent session whose AI agent is working." },
    idle: { description: "An agent session paused." },
    ended: { description: "An agent session ended." },
    working: { description: "A work session with its employee at the desk." },
    afk: { description: "A work session with its employee away from the keyboard." },
    closed: { description: "A work session closed." },
    scheduled: { description: "A client session not yet started." },
    in_progress: { description: "A client session in progress." },
    completed: { description: "A client session completed." },
    cancelled: { description: "A client session cancelled." },
  } satisfies Record<LiveState, { description: string }>),
});

const LiveSessionRef = builder.objectRef<LiveSession>("LiveSession").implement({
  description:
    "An open session as the Live board shows it. Counters tick on the client: while `ticking`, " +
    "the value now is accumulatedSeconds + (now - serverTime), with now on the server's clock " +
    "(measure the offset from the board's serverTime).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "Global ID of the session." }),
    kind: t.field({ type: LiveSessionKind, resolve: (s) => s.kind }),
    title: t.exposeString("title"),
    person: t.exposeString("person", { nullable: true }),
    personId: t.id({
      nullable: true,
      description: "Global ID of the member (User) whose session it is.",
      resolve: (s) => (s.userId ? encodeGlobalID("User", s.userId) : null),
    }),
    state: t.field({ type: LiveSessionState, resolve: (s) => s.state }),
    ticking: t.exposeBoolean("ticking"),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    accumulatedSeconds: t.exposeInt("accumulatedSeconds"),
    serverTime: t.expose("serverTime", { type: "DateTime", description: "The instant accumulatedSeconds was exact: whole seconds, so not always the board's serverTime." }),
  }),
});

const LiveBoardReason = builder.enumType("LiveBoardReason", {
  values: {
    SNAPSHOT: { description: "The board as loaded. Every liveBoard payload is the whole board, whatever its reason; in liveBoardChanges only this one is." },
    CHANGE: { description: "A session opened, closed or changed state." },
    TICK: { description: "Counters advanced (only sent to subscribers that asked for ticks); in liveBoardChanges, only the server's time." },
  },
});

/** The board is shared by the workspace, so what each viewer gets is filtered per viewer. */
function visibleTo(viewer: Viewer | null, sessions: readonly LiveSession[]) {
  return sessions.filter((s) => liveVisible(viewer, s));
}

const LiveBoardRef = builder.objectRef<LiveBoard>("LiveBoard").implement({
  description: "Every open session of the workspace, of every kind.",
  fields: (t) => ({
    serverTime: t.expose("serverTime", { type: "DateTime" }),
    reason: t.field({ type: LiveBoardReason, resolve: (b) => b.reason }),
    sessions: t.field({ type: [LiveSessionRef], resolve: (b, _a, ctx) => visibleTo(ctx.viewer, b.sessions) }),
  }),
});

builder.queryField("liveBoard", (t) =>
  t.field({
    type: LiveBoardRef,
    authScopes: (_r, _a, ctx) => canWatchLive(ctx.viewer),
    resolve: async (_r, _a, ctx) => {
      const now = new Date();
      const sessions = await listOpenSessions(liveSources, ctx.db, ctx.viewer!.workspaceId, now);
      return { workspaceId: ctx.viewer!.workspaceId, serverTime: now, reason: "SNAPSHOT" as const, sessions };
    },
  }),
);

builder.subscriptionField("liveBoard", (t) =>
  t.field({
    type: LiveBoardRef,
    description: "The board now, then again when a session the viewer sees changes; with `ticks`, also once per tick interval while one of them ticks.",
    authScopes: (_r, _a, ctx) => canWatchLive(ctx.viewer),
    // Every payload is the whole board as the policy lets the viewer see it, so the WebSocket server
    // runs and serializes it once for all sockets of viewers who see the same rows.
    extensions: { sharedState: liveAudience },
    args: { ticks: t.arg.boolean({ required: false, defaultValue: false }) },
    // Payloads come only when a row this viewer sees changed or ticked: the others' changes leave its board as it was.
    subscribe: (_r, args, ctx) => ctx.live.subscribe(ctx.viewer!.workspaceId, { wantsTicks: args.ticks ?? false, sees: (s) => liveVisible(ctx.viewer, s) }),
    resolve: (board) => board,
  }),
);

const LiveBoardChangesRef = builder.objectRef<LiveBoardChanges>("LiveBoardChanges").implement({
  description:
    "The Live board as changes. A SNAPSHOT payload is the whole board and replaces what the client holds; it comes " +
    "first, and may come again at any time (after a client fell behind). A CHANGE payload holds only the sessions " +
    "opened or changed since the last payload (replace or add each by id) and the ids of those closed (drop them). " +
    "A TICK payload holds neither: counters tick on the client, and serverTime keeps its clock offset fresh.",
  fields: (t) => ({
    serverTime: t.expose("serverTime", { type: "DateTime" }),
    reason: t.field({ type: LiveBoardReason, resolve: (b) => b.reason }),
    sessions: t.field({ type: [LiveSessionRef], resolve: (b, _a, ctx) => visibleTo(ctx.viewer, b.sessions) }),
    removedIds: t.idList({ description: "Global IDs of sessions closed since the last payload.", resolve: (b, _a, ctx) => visibleTo(ctx.viewer, b.removed).map((s) => s.id) }),
  }),
});

builder.subscriptionField("liveBoardChanges", (t) =>
  t.field({
    type: LiveBoardChangesRef,
    description:
      "The board the viewer may see, then only the sessions that changed; with `ticks`, also the server's time once per tick " +
      "interval while one of them ticks. Sends far less than liveBoard to a board of many sessions.",
    authScopes: (_r, _a, ctx) => canWatchLive(ctx.viewer),
    // Payloads depend only on what the viewer may see: the WebSocket server runs it once for all sockets of an audience.
    extensions: { sharedChanges: liveAudience },
    args: { ticks: t.arg.boolean({ required: false, defaultValue: false }) },
    subscribe: async (_r, args, ctx) => {
      const feed = await ctx.live.subscribeChanges(ctx.viewer!.workspaceId, { wantsTicks: args.ticks ?? false, sees: (s) => liveVisible(ctx.viewer, s) });
      ctx.onChangeFeed?.(feed);
      return feed;
    },
    resolve: (changes) => changes,
  }),
);

const SessionStatusChangedRef = builder.objectRef<SessionStatusEvent>("SessionStatusChanged").implement({
  fields: (t) => ({
    sessionId: t.exposeID("sessionId"),
    kind: t.field({ type: LiveSessionKind, resolve: (e) => e.kind }),
    status: t.field({ type: LiveSessionState, resolve: (e) => e.status }),
    previousStatus: t.field({ type: LiveSessionState, nullable: true, resolve: (e) => e.previousStatus }),
    at: t.expose("at", { type: "DateTime" }),
  }),
});

builder.subscriptionField("sessionStatusChanged", (t) =>
  t.field({
    type: SessionStatusChangedRef,
    description: "Status changes of any session in the workspace, as they happen.",
    authScopes: (_r, _a, ctx) => canWatchLive(ctx.viewer),
    subscribe: (_r, _a, ctx) =>
      pipe(
        ctx.pubsub.subscribe("sessionStatus", ctx.viewer!.workspaceId),
        filter((e) => liveVisible(ctx.viewer, { ...e, workspaceId: ctx.viewer!.workspaceId })),
      ),
    resolve: (event) => event,
  }),
);
