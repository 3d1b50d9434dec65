// What the calendar, the list view and free-slot search read: sessions the viewer may see in a
// workspace-local date range, and a staff member's free time within working hours.
import type { Context } from "../common/context.js";
import { ValidationError } from "../common/errors.js";
import { localId } from "../common/input-limits.js";
import { rowsWhere, rowVisible } from "../common/policy.js";
import { workspaceDisplay } from "../identity/rules.js";
import { parseWorkingHours } from "../identity/working-hours.js";
import { dateRange } from "../common/time.js";
import { freeSlots, freeSlotsProblems, visibleDates, type CalendarView } from "./rules.js";
import { filterSql, loadRange, workspaceOf, type AppointmentFilter } from "./service.js";
import { appointmentSettings } from "./settings.js";

/** A calendar view holds at most this many sessions; more ask for a narrower filter. */
export const CALENDAR_LIMIT = 2000;

/** The sessions of the visible dates of a day, week (from the workspace's first weekday) or month view around `date`. */
export async function calendarOf(ctx: Context, view: CalendarView, date: string, filter: AppointmentFilter) {
  const workspace = await workspaceOf(ctx);
  const { from, to } = visibleDates(view, date, workspaceDisplay(workspace.settings).weekStart);
  const where = await filterSql(ctx, dateRange(from, to, workspace.timeZone), filter);
  const rows = await loadRange(ctx, where, CALENDAR_LIMIT + 1);
  const slotMinutes = appointmentSettings(workspace.settings).slotMinutes;
  return { from, to, timeZone: workspace.timeZone, slotMinutes, appointments: rows.slice(0, CALENDAR_LIMIT), truncated: rows.length > CALENDAR_LIMIT };
}

/** The list view: one page of the sessions overlapping local dates [from, to], in time order. */
export async function appointmentsBetween(ctx: Context, from: string, to: string, filter: AppointmentFilter, page: { limit: number; offset: number }) {
  if (to < from) throw ValidationError.field("to", "Must not be before from");
  const workspace = await workspaceOf(ctx);
  const where = await filterSql(ctx, dateRange(from, to, workspace.timeZone), filter);
  return loadRange(ctx, where, page.limit, page.offset);
}

export interface FreeTimeQuery {
  /** A User's global ID as sent. */
  staffId?: string | null;
  from: string;
  to: string;
  slotMinutes?: number | null;
}

/** A staff member's (default: your) free slots within working hours, around their booked sessions. */
export async function freeTime(ctx: Context, query: FreeTimeQuery) {
  const viewer = ctx.viewer!;
  const workspace = await workspaceOf(ctx);
  const problems = freeSlotsProblems(query.from, query.to, query.slotMinutes);
  // A malformed ID, or another kind's, is a problem at the field, like a non-member's.
  const staffId = query.staffId == null ? viewer.userId : localId(query.staffId, "User");
  if (!staffId) problems.push({ path: ["staffId"], message: "Not a member of this workspace" });
  else if (!rowVisible(viewer, "appointment", { workspaceId: workspace.id, ownerId: staffId })) problems.push({ path: ["staffId"], message: "You can only see your own free time" });
  else if (!(await ctx.db.membership.count({ where: { workspaceId: workspace.id, userId: staffId } })))
    problems.push({ path: ["staffId"], message: "Not a member of this workspace" });
  if (problems.length) throw new ValidationError(problems);
  const range = dateRange(query.from, query.to, workspace.timeZone);
  const busy = await ctx.db.appointment.findMany({
    where: { workspaceId: workspace.id, staffId: staffId!, status: { not: "cancelled" }, startsAt: { lt: range.end }, endsAt: { gt: range.start } },
    select: { startsAt: true, endsAt: true },
  });
  const slot = query.slotMinutes ?? appointmentSettings(workspace.settings).slotMinutes;
  const hours = parseWorkingHours(workspace.workingHours);
  // Only what can still be booked: today's slots that have begun are gone.
  const now = Date.now();
  return freeSlots(query.from, query.to, hours, workspace.timeZone, busy.map((b) => ({ start: b.startsAt, end: b.endsAt })), slot).filter((s) => s.start.getTime() >= now);
}

/** Session history of a client, newest first (what the viewer may see). */
export function clientHistory(ctx: Context, clientId: string, page: { limit: number; offset: number }) {
  return ctx.db.appointment.findMany({
    where: { clientId, ...rowsWhere(ctx.viewer!, "appointment") },
    include: { client: true, staff: true },
    orderBy: [{ startsAt: "desc" }, { id: "asc" }],
    skip: page.offset,
    take: page.limit,
  });
}
