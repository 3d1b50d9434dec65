// The AFK dialog: which AFK periods still ask the employee what the time was, and the answer. The
// totals are always derived from the periods' reasons, so an answer moves net, AFK and per-reason
// time together in the one statement that stores it, and answers racing each other can't add up twice.
import type { AfkPeriod } from "../../prisma/generated/client.js";
import type { Context, Services } from "../common/context.js";
import { NotFoundError } from "../common/errors.js";
import { mayActFor, rowVisible } from "../common/policy.js";
import { announceWork } from "./live.js";
import type { AfkReason } from "./rules.js";
import { workSettings } from "./settings.js";

/** How many prompts one read returns: the newest; older ones stay in their sessions' detail. */
export const PROMPTS_LISTED = 20;

const thresholds = new WeakMap<object, Promise<number>>();

async function readThresholdMs(ctx: Context) {
  const workspace = await ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.viewer!.workspaceId } });
  return workSettings(workspace.settings).afkPromptMinutes * 60_000;
}

/** The workspace's prompt threshold in ms, read once per request however many periods ask for it. */
export function promptThresholdMs(ctx: Context): Promise<number> {
  let found = thresholds.get(ctx);
  if (!found) {
    found = readThresholdMs(ctx);
    thresholds.set(ctx, found);
  }
  return found;
}

/** An AFK period asks for an answer once it is over, lasted at least the threshold, and has none yet. */
export function isUnanswered(afk: Pick<AfkPeriod, "startedAt" | "endedAt" | "reason">, thresholdMs: number) {
  return !afk.reason && !!afk.endedAt && afk.endedAt.getTime() - afk.startedAt.getTime() >= thresholdMs;
}

/**
 * The viewer's own unanswered AFK periods in the workspace they act in, newest first. The threshold
 * is read afresh: a subscription's context lives for hours, across changes of the setting.
 */
export async function ownPrompts(ctx: Context, take = PROMPTS_LISTED, skip = 0) {
  const viewer = ctx.viewer!;
  const thresholdMs = await readThresholdMs(ctx);
  const rows = await ctx.db.$queryRaw<{ id: string }[]>`
    SELECT a.id FROM "AfkPeriod" a JOIN "WorkSession" s ON s.id = a."sessionId"
    WHERE s."workspaceId" = ${viewer.workspaceId}::uuid AND s."userId" = ${viewer.userId}::uuid
      AND a.reason IS NULL AND a."endedAt" IS NOT NULL
      AND a."endedAt" - a."startedAt" >= make_interval(secs => ${thresholdMs / 1000})
    ORDER BY a."endedAt" DESC, a.id LIMIT ${take} OFFSET ${skip}`;
  const periods = await ctx.db.afkPeriod.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
  return rows.map((r) => periods.find((p) => p.id === r.id)!);
}

/**
 * Stores the answer (or clears it with null). Your own periods with `work.record`; anyone's you
 * may see with `work.manage`. After commit the board hears the new net time and the employee's
 * open apps their new list of prompts.
 */
export async function answerAfk(ctx: Context, afkPeriodId: string, reason: AfkReason | null) {
  const viewer = ctx.viewer!;
  const afk = await ctx.db.afkPeriod.findUnique({ where: { id: afkPeriodId }, include: { session: true } });
  const owner = afk && { workspaceId: afk.session.workspaceId, ownerId: afk.session.userId };
  const allowed = afk && rowVisible(viewer, "workSession", owner!) && mayActFor(viewer, afk.session.userId, "work.record", "work.manage");
  if (!allowed) throw new NotFoundError("AFK period");
  const updated = await ctx.db.afkPeriod.update({ where: { id: afk.id }, data: { reason } });
  await announceWork(ctx, [afk.sessionId]);
  announcePrompts(ctx, afk.session.workspaceId, afk.session.userId);
  return updated;
}

/** Tells the employee's open apps (and trackers) that their prompts changed. */
export function announcePrompts(services: Services, workspaceId: string, userId: string) {
  services.pubsub.publish("afkPrompts", workspaceId, { userId });
}
