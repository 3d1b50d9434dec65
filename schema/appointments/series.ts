// Recurring client sessions: a series is made in one transaction, each occurrence a session of its
// own (own fields, status, evaluations) linked to the series row. Editing and cancelling "this and
// all following" is updateAppointment's scope (service.ts).
import { DateTime } from "luxon";
import type { Context } from "../common/context.js";
import { Problems } from "../common/errors.js";
import { lockBookings } from "../common/locks.js";
import { announceAppointment } from "./live.js";
import { localToInstant, repeatProblems, seriesDates, type Repeat } from "./rules.js";
import { insertAppointment, localDate, planAppointment, type NewAppointment, type Occurrence } from "./service.js";

/**
 * The start of every occurrence: the first session's local wall time on each date of the rule, so
 * 10:00 stays 10:00 across a change of the clocks. Adds a problem for a date where that time doesn't exist.
 */
function occurrenceStarts(first: Date, repeat: Repeat, timeZone: string, problems: Problems): Date[] {
  const local = DateTime.fromJSDate(first, { zone: timeZone });
  const ruleProblems = repeatProblems(local.toISODate()!, repeat);
  problems.list.push(...ruleProblems);
  if (ruleProblems.length) return [];
  const time = local.toFormat("HH:mm");
  return seriesDates(local.toISODate()!, repeat).flatMap((date) => {
    const start = localToInstant(date, time, timeZone);
    if (!start) problems.add("time", `${time} doesn't exist on ${date} in ${timeZone} (the clocks change)`);
    return start ? [start] : [];
  });
}

/**
 * Schedules a series: all occurrences or none. Like a single session, each overlapping or outside
 * working hours is saved with its warnings, answered per date; the booking locks make a concurrent
 * clashing booking (single or series) see these occurrences and warn, or be seen by them.
 */
export async function createAppointmentSeries(ctx: Context, input: NewAppointment & { repeat: Repeat }) {
  const problems = new Problems();
  const plan = await planAppointment(ctx, input, problems);
  const starts = plan.startsAt ? occurrenceStarts(plan.startsAt, input.repeat, plan.workspace.timeZone, problems) : [];
  problems.throwIfAny();
  const { series, occurrences } = await ctx.db.$transaction(
    async (tx) => {
      await lockBookings(tx, [plan.staffId], [plan.clientId]);
      const series = await tx.appointmentSeries.create({
        data: { workspaceId: plan.workspace.id, everyWeeks: input.repeat.everyWeeks, until: input.repeat.until ?? null, count: input.repeat.count ?? null },
      });
      const occurrences: Occurrence[] = [];
      for (const startsAt of starts) {
        const saved = await insertAppointment(tx, ctx, plan, startsAt, series.id);
        occurrences.push({ date: localDate(startsAt, plan.workspace.timeZone), ...saved });
      }
      return { series, occurrences };
    },
    { timeout: 60_000 },
  );
  for (const o of occurrences) await announceAppointment(ctx, o.appointment, "CREATED", null);
  return { series, occurrences };
}
