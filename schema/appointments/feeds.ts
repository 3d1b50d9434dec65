// Secret calendar (.ics) URLs: a member's own sessions, or the workspace's. The feed shows what its
// owner may see now, so a revoked permission or membership empties it at once.
import { randomBytes } from "node:crypto";
import { DateTime } from "luxon";
import type { CalendarFeed } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import type { Services } from "../common/context.js";
import { NotFoundError, ValidationError } from "../common/errors.js";
import { can, canRead, rowsWhere, viewerOf } from "../common/policy.js";
import { hashSecret } from "../identity/secrets.js";
import { calendarFeed } from "./ical.js";
import { initials } from "./rules.js";
import { appointmentSettings } from "./settings.js";

export const FEED_PATH = "/api/appointments/feeds";
/** What a feed holds: recent history and what is planned. */
const PAST_DAYS = 90;
const FUTURE_DAYS = 400;

const FeedScopeEnum = builder.enumType("CalendarFeedScope", {
  values: { MINE: { description: "Sessions assigned to you." }, WORKSPACE: { description: "Every session of the workspace (needs team.read)." } },
});

const CalendarFeedRef = builder.objectRef<CalendarFeed>("CalendarFeed");
builder.node(CalendarFeedRef, {
  id: { resolve: (f) => f.id },
  loadOne: (id, ctx) => (ctx.viewer ? ctx.db.calendarFeed.findFirst({ where: { id, ownerId: ctx.viewer.userId, workspaceId: ctx.viewer.workspaceId } }) : null),
  fields: (t) => ({
    scope: t.field({ type: FeedScopeEnum, resolve: (f) => (f.staffOnly ? "MINE" : "WORKSPACE") }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
  }),
});

const CreatedFeedRef = builder.objectRef<{ feed: CalendarFeed; secret: string }>("CreatedCalendarFeed").implement({
  fields: (t) => ({
    feed: t.field({ type: CalendarFeedRef, resolve: (c) => c.feed }),
    path: t.string({ description: "Shown once: subscribe to this path on this server in a calendar app.", resolve: (c) => `${FEED_PATH}/${c.secret}.ics` }),
  }),
});

builder.queryField("calendarFeeds", (t) =>
  t.field({
    type: [CalendarFeedRef],
    description: "Your calendar feeds in this workspace.",
    authScopes: { permission: "session.read" },
    resolve: (_r, _a, ctx) => ctx.db.calendarFeed.findMany({ where: { ownerId: ctx.viewer!.userId, workspaceId: ctx.viewer!.workspaceId }, orderBy: { createdAt: "desc" } }),
  }),
);

builder.mutationField("createCalendarFeed", (t) =>
  t.fieldWithInput({
    type: CreatedFeedRef,
    // A feed URL is a credential that outlives the request: people mint them, API keys never.
    authScopes: { $all: { person: true, permission: "session.read" } },
    errors: { types: [ValidationError] },
    input: { scope: t.input.field({ type: FeedScopeEnum }) },
    resolve: async (_r, { input: args }, ctx) => {
      const viewer = ctx.viewer!;
      if (args.scope === "WORKSPACE" && !can(viewer, "team.read")) throw ValidationError.field("scope", "You can only subscribe to your own sessions");
      const secret = "sf_" + randomBytes(24).toString("base64url");
      const feed = await ctx.db.calendarFeed.create({
        data: { workspaceId: viewer.workspaceId, ownerId: viewer.userId, staffOnly: args.scope === "MINE", secretHash: hashSecret(secret) },
      });
      return { feed, secret };
    },
  }),
);

builder.mutationField("revokeCalendarFeed", (t) =>
  t.fieldWithInput({
    type: CalendarFeedRef,
    description: "The URL stops working at once.",
    authScopes: { person: true },
    errors: { types: [NotFoundError] },
    input: { id: t.input.globalID({ for: CalendarFeedRef }) },
    resolve: async (_r, { input: args }, ctx) => {
      const { count } = await ctx.db.calendarFeed.updateMany({ where: { id: args.id.id, ownerId: ctx.viewer!.userId, workspaceId: ctx.viewer!.workspaceId, revokedAt: null }, data: { revokedAt: new Date() } });
      if (!count) throw new NotFoundError("Calendar feed");
      return ctx.db.calendarFeed.findUniqueOrThrow({ where: { id: args.id.id } });
    },
  }),
);

export type FeedResult = { status: 200; body: string } | { status: 403 | 404; body: string };

/** The .ics for a feed secret, as its owner may see it right now. */
export async function renderFeed(services: Services, secret: string, host: string): Promise<FeedResult> {
  const feed = await services.db.calendarFeed.findUnique({ where: { secretHash: hashSecret(secret) }, include: { workspace: true, owner: true } });
  if (!feed || feed.revokedAt) return { status: 404, body: "No such calendar feed" };
  const membership = await services.db.membership.findUnique({ where: { workspaceId_userId: { workspaceId: feed.workspaceId, userId: feed.ownerId } } });
  // The feed reads as its owner does now: a withdrawn permission empties it at once.
  const owner = membership && viewerOf({ tokenId: feed.id, kind: "personal", userId: feed.ownerId, workspaceId: feed.workspaceId, scopes: [], role: membership.role, customStaff: feed.workspace.customStaff ? feed.workspace.staffPermissions : null });
  if (!owner || !canRead(owner, "appointment") || (!feed.staffOnly && !can(owner, "team.read"))) return { status: 403, body: "This feed's owner may no longer see these sessions" };
  const now = DateTime.now();
  const from = now.minus({ days: PAST_DAYS }).toJSDate();
  const to = now.plus({ days: FUTURE_DAYS }).toJSDate();
  const sessions = await services.db.appointment.findMany({
    where: { ...rowsWhere(owner, "appointment"), ...(feed.staffOnly ? { staffId: feed.ownerId } : {}), startsAt: { lt: to }, endsAt: { gt: from } },
    include: { client: true, staff: true },
    orderBy: { startsAt: "asc" },
  });
  const fullNames = appointmentSettings(feed.workspace.settings).clientNamesInFeeds;
  const body = calendarFeed({
    name: feed.staffOnly ? `${feed.owner.name}: sessions` : `${feed.workspace.name}: sessions`,
    zone: feed.workspace.timeZone,
    host,
    // A year either side: every event falls after a listed transition of its zone.
    span: { from: now.minus({ days: PAST_DAYS + 366 }).toJSDate(), to: now.plus({ days: FUTURE_DAYS + 366 }).toJSDate() },
    events: sessions.map((s) => ({
      id: s.id,
      name: s.name,
      client: fullNames ? s.client.name : initials(s.client.name),
      staff: s.staff.name,
      status: s.status,
      startsAt: s.startsAt,
      endsAt: s.endsAt,
      sequence: s.sequence,
      updatedAt: s.updatedAt,
    })),
  });
  return { status: 200, body };
}
