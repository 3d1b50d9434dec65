// Demo agent sessions and time entries: two weeks of sessions made of beats, each ended the way
// ending one in the app ends it (one time entry of its billable time), a few manual entries, and
// one session running right now with its agent at work.
import type { Project } from "../../prisma/generated/client.js";
import type { Db, Tx } from "../common/context.js";
import { timeOn, type DemoCalendar } from "../common/demo.js";
import { finishSession } from "./beats.js";
import { totals, type BeatKind } from "./rules.js";

/** Beats in order, as kind and minutes. */
type Plan = [BeatKind, number][];

const MORNING: Plan = [["active", 45], ["agent", 30], ["idle", 10], ["active", 35]];
const AFTERNOON: Plan = [["active", 25], ["agent", 50], ["active", 20]];
/** The running session: driven for twenty minutes, then left to the agent, which is still at it. */
const RUNNING: Plan = [["active", 20], ["agent", 30]];

const WEBSITE_WORK = ["Checkout redesign", "Fix login redirect", "Product page performance", "Newsletter sign-up form", "Cart edge cases"];
const APP_WORK = ["Push notification settings", "Offline mode spike", "App store screenshots"];

interface DemoSession {
  userId: string;
  project: Project;
  description: string;
  start: Date;
  plan: Plan;
}

/** Creates the session with its beats and, unless it is still running, ends it at its last beat's end. */
async function recordSession(tx: Tx, workspaceId: string, s: DemoSession, running: boolean) {
  let at = s.start.getTime();
  const beats = s.plan.map(([kind, minutes], i) => {
    const startedAt = new Date(at);
    at += minutes * 60_000;
    return { workspaceId, userId: s.userId, kind, startedAt, endedAt: i < s.plan.length - 1 ? new Date(at) : null };
  });
  // The running totals of the beats written here as ended, as the beat functions would have kept them.
  const closed = totals(beats.slice(0, -1), s.project.billAgentTime, new Date(at));
  const session = await tx.agentSession.create({
    data: {
      workspaceId,
      userId: s.userId,
      projectId: s.project.id,
      description: s.description,
      billAgentTime: s.project.billAgentTime,
      startedAt: s.start,
      closedActiveSeconds: closed.activeSeconds,
      closedAgentSeconds: closed.agentSeconds,
      closedIdleSeconds: closed.idleSeconds,
      beats: { createMany: { data: beats } },
    },
  });
  if (!running) await finishSession(tx, session, new Date(at));
}

/**
 * The first person works a morning session on `website` every working day and has one running now;
 * the second an afternoon session on `app` every other day and a client call logged by hand every
 * third.
 */
export async function seedAgentDemo(db: Db, calendar: DemoCalendar, [first, second]: [string, string], website: Project, app: Project) {
  const { workspaceId } = calendar;
  await db.$transaction(async (tx) => {
    for (const [d, day] of calendar.pastWorkingDays.entries()) {
      const description = WEBSITE_WORK[d % WEBSITE_WORK.length];
      await recordSession(tx, workspaceId, { userId: first, project: website, description, start: timeOn(day, "10:00"), plan: MORNING }, false);
      if (d % 2 === 0) {
        const start = timeOn(day, "14:00");
        await recordSession(tx, workspaceId, { userId: second, project: app, description: APP_WORK[(d / 2) % APP_WORK.length], start, plan: AFTERNOON }, false);
      }
      if (d % 3 === 0) {
        const [startedAt, durationSeconds] = [timeOn(day, "16:30"), 30 * 60];
        await tx.timeEntry.create({
          data: { workspaceId, userId: second, projectId: website.id, description: "Client call", source: "manual", startedAt, endedAt: new Date(startedAt.getTime() + durationSeconds * 1000), durationSeconds },
        });
      }
    }
    const start = new Date(calendar.now.getTime() - 50 * 60_000);
    await recordSession(tx, workspaceId, { userId: first, project: website, description: "Checkout redesign", start, plan: RUNNING }, true);
  }, { timeout: 60_000 });
}
