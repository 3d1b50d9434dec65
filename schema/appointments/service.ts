// Client sessions: create, change, delete, save custom field values per phase, scheduling warnings
// and the range queries of the calendar and list. Events go out after commit (live.ts).
import { encodeGlobalID } from "@pothos/plugin-relay";
import { localId } from "../common/input-limits.js";
import { DateTime } from "luxon";
import { Prisma, type Appointment, type AppointmentStatus, type FieldDefinition, type FieldTarget, type User, type Workspace } from "../../prisma/generated/client.js";
import type { Context, Db, Tx, Viewer } from "../common/context.js";
import { ConflictError, NotFoundError, Problems, ValidationError, type FieldProblem } from "../common/errors.js";
import { rowsSql, rowsWhere, rowVisible } from "../common/policy.js";
import { parseWorkingHours } from "../identity/working-hours.js";
import { listDefinitions, SESSION_PHASES, specOf } from "./fields.js";
import {
  changesBilledFacts,
  findOverlaps,
  NOT_A_SESSION_FILE,
  localToInstant,
  moveAlong,
  settingsProblems,
  validateValues,
  withinWorkingHours,
  workingHoursOfDay,
  type SettingsChanges,
} from "./rules.js";
import { HH_MM, ISO_WITH_OFFSET, type Interval } from "../common/time.js";
import { lockBookings, lockInvoicing } from "../common/locks.js";
import { invoiceBilling } from "../billing/service.js";
import { appointmentSettings } from "./settings.js";
import { saveWorkspaceSettings } from "../identity/service.js";
import { removeFiles } from "./attachments.js";
import { announceAppointment } from "./live.js";

export const MAX_DURATION_MINUTES = 24 * 60;

export async function findVisible(ctx: Context, id: string) {
  const found = await ctx.db.appointment.findFirst({ where: { id, ...rowsWhere(ctx.viewer!, "appointment") } });
  if (!found) throw new NotFoundError("Session");
  return found;
}

export interface TimeInput {
  /** ISO-8601 with offset. */
  startsAt?: string | null;
  /** Or a local date and HH:mm in the workspace time zone. */
  date?: string | null;
  time?: string | null;
}

/**
 * The start instant from either form. A date without a time takes the fallback time (the default
 * time, or when moving, the session's own); a time without a date, the session's own date.
 */
export function parseStart(input: TimeInput, timeZone: string, fallback: { date?: string; time: string }, problems: Problems): Date | null {
  if (input.startsAt != null) {
    if (input.date != null || input.time != null) problems.add("startsAt", "Give either startsAt or date and time, not both");
    const parsed = DateTime.fromISO(input.startsAt, { setZone: true });
    if (!ISO_WITH_OFFSET.test(input.startsAt) || !parsed.isValid) {
      problems.add("startsAt", "Must be an ISO-8601 date and time with an offset, e.g. 2026-11-21T09:30:00+01:00");
      return null;
    }
    return parsed.toJSDate();
  }
  const date = input.date ?? (input.time != null ? fallback.date : undefined);
  if (date == null) {
    if (input.time != null) problems.add("date", "Required with a time");
    return null;
  }
  const time = input.time ?? fallback.time;
  if (!HH_MM.test(time)) {
    problems.add("time", "Use 24-hour HH:mm");
    return null;
  }
  const start = localToInstant(date, time, timeZone);
  if (!start) problems.add("time", `${time} doesn't exist on ${date} in ${timeZone} (the clocks change)`);
  return start;
}

function stringsIn(value: unknown, out: Set<string>) {
  if (typeof value === "string") out.add(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === "object") for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/**
 * Problems of one phase's values. Team members are the workspace's; files are those uploaded by the
 * viewer and not yet used, or already the session's. Archived fields are read-only.
 */
export async function checkPhaseValues(
  db: Db | Tx,
  viewer: Viewer,
  targets: readonly FieldTarget[],
  values: unknown,
  owner: { appointmentId?: string | null },
): Promise<{ problems: FieldProblem[]; activeKeys: string[] }> {
  const definitions = await listDefinitions(db as Db, viewer.workspaceId, targets);
  const active = definitions.filter((d) => !d.archivedAt);
  const archived = new Set(definitions.filter((d) => d.archivedAt).map((d) => d.key));
  const given = values && typeof values === "object" && !Array.isArray(values) ? (values as Record<string, unknown>) : null;
  const readOnly: FieldProblem[] = given
    ? Object.keys(given).filter((k) => archived.has(k)).map((k) => ({ path: ["fields", k], message: "This field is archived; its value is read-only" }))
    : [];
  const strings = [...stringsIn(values, new Set())];
  const userIds = strings.map((s) => localId(s, "User")).filter((id): id is string => !!id);
  const fileIds = strings.map((s) => localId(s, "AppointmentAttachment")).filter((id): id is string => !!id);
  const [members, files] = await Promise.all([
    userIds.length ? db.membership.findMany({ where: { workspaceId: viewer.workspaceId, userId: { in: userIds } }, select: { userId: true } }) : [],
    fileIds.length
      ? db.appointmentAttachment.findMany({
          where: {
            id: { in: fileIds },
            workspaceId: viewer.workspaceId,
            OR: [{ appointmentId: null, uploadedById: viewer.userId }, ...(owner.appointmentId ? [{ appointmentId: owner.appointmentId }] : [])],
          },
          select: { id: true, mime: true },
        })
      : [],
  ]);
  const memberSet = new Set(members.map((m) => encodeGlobalID("User", m.userId)));
  const mimes = new Map(files.map((f) => [encodeGlobalID("AppointmentAttachment", f.id), f.mime]));
  const withoutArchived = given ? Object.fromEntries(Object.entries(given).filter(([k]) => !archived.has(k))) : values;
  const problems = validateValues(active.map(specOf), withoutArchived, ["fields"], {
    isMember: (id) => memberSet.has(id),
    attachmentMime: (id) => mimes.get(id) ?? null,
  });
  return { problems: [...readOnly, ...problems], activeKeys: active.map((d) => d.key) };
}

const fileIdsIn = (value: unknown) => [...stringsIn(value, new Set())].map((s) => localId(s, "AppointmentAttachment")).filter((id): id is string => !!id);

/**
 * Files the saved values refer to become the session's: only the saver's own unused uploads, as the
 * check allows (a colleague's upload, its id pasted into a text field, stays theirs). They were
 * checked before the save, so one may since have been swept as unused or claimed by another
 * session's save: then the save is refused at that field rather than keep a value pointing at a
 * file the session doesn't have.
 */
async function claimFiles(tx: Tx, saver: Viewer, values: Record<string, unknown>, appointmentId: string) {
  const ids = fileIdsIn(values);
  if (!ids.length) return;
  await tx.appointmentAttachment.updateMany({
    where: { id: { in: ids }, workspaceId: saver.workspaceId, appointmentId: null, uploadedById: saver.userId },
    data: { appointmentId },
  });
  const held = new Set((await tx.appointmentAttachment.findMany({ where: { id: { in: ids }, appointmentId }, select: { id: true } })).map((f) => f.id));
  const lost = Object.keys(values).filter((key) => fileIdsIn(values[key]).some((id) => !held.has(id)));
  if (lost.length) throw new ValidationError(lost.map((key) => ({ path: ["fields", key], message: NOT_A_SESSION_FILE })));
}

/** Replaces one phase's values in one statement, so phases saved at the same moment both stay. */
export async function savePhase(tx: Tx, saver: Viewer, appointment: { id: string }, activeKeys: string[], values: Record<string, unknown>) {
  const clean = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  await tx.$executeRaw`
    UPDATE "Appointment" SET "fieldValues" = ("fieldValues" - ${activeKeys}::text[]) || ${JSON.stringify(clean)}::jsonb,
      sequence = sequence + 1, "updatedAt" = now()
    WHERE id = ${appointment.id}::uuid`;
  await claimFiles(tx, saver, clean, appointment.id);
}

export interface AppointmentFields {
  name?: string | null;
  /** The client's global ID as sent (a form with no client chosen sends ""). */
  clientId?: string | null;
  /** The staff member's (a User's) and the service's global IDs as sent; a null service clears it. */
  staffId?: string | null;
  serviceId?: string | null;
  durationMinutes?: number | null;
  status?: AppointmentStatus | null;
  adminNotes?: string | null;
}

const NO_CLIENT = "No such client in this workspace";
const NO_STAFF = "Not a member of this workspace";
const NO_SERVICE = "No such service in this workspace";

/**
 * A referenced row's ID from the global ID sent: an ID that is no `typename`'s (malformed, or
 * another kind's) is a problem at its field like any other, not a request error. Undefined (not
 * given) and null (cleared) pass through.
 */
function rowIdOf(globalId: string | null | undefined, typename: string, field: string, problem: string, problems: Problems) {
  if (globalId == null) return globalId;
  const id = localId(globalId, typename);
  if (!id) problems.add(field, problem);
  return id;
}

/** The client's row ID: none chosen (a form sends "") is told so at the client field. */
function clientOf(globalId: string | null | undefined, problems: Problems): string | null | undefined {
  if (globalId !== undefined && !globalId?.trim()) {
    problems.add("clientId", "Choose a client");
    return null;
  }
  return rowIdOf(globalId, "Client", "clientId", NO_CLIENT, problems);
}

/** Row IDs of what a session refers to (undefined: not given; null: none, or not an ID of its kind). */
interface References {
  clientId: string | null | undefined;
  staffId: string | null | undefined;
  serviceId: string | null | undefined;
}

/**
 * Checks the plain fields that were given; references must exist in the viewer's workspace.
 * Returns the row IDs of the references.
 */
async function checkFields(ctx: Context, input: AppointmentFields, problems: Problems): Promise<References> {
  const workspaceId = ctx.viewer!.workspaceId;
  const clientId = clientOf(input.clientId, problems);
  const staffId = rowIdOf(input.staffId, "User", "staffId", NO_STAFF, problems);
  const serviceId = rowIdOf(input.serviceId, "AppointmentService", "serviceId", NO_SERVICE, problems);
  if (input.name != null && !input.name.trim()) problems.add("name", "Required");
  if (input.name != null && input.name.length > 200) problems.add("name", "At most 200 characters");
  if (input.durationMinutes != null && (!Number.isInteger(input.durationMinutes) || input.durationMinutes < 1))
    problems.add("durationMinutes", "At least 1 minute");
  if (input.durationMinutes != null && input.durationMinutes > MAX_DURATION_MINUTES) problems.add("durationMinutes", "At most 24 hours");
  if (input.adminNotes != null && input.adminNotes.length > 10_000) problems.add("adminNotes", "At most 10000 characters");
  const [client, staff, service] = await Promise.all([
    clientId ? ctx.db.client.findFirst({ where: { id: clientId, workspaceId } }) : null,
    staffId ? ctx.db.membership.findFirst({ where: { userId: staffId, workspaceId } }) : null,
    serviceId ? ctx.db.appointmentService.findFirst({ where: { id: serviceId, workspaceId } }) : null,
  ]);
  if (clientId && !client) problems.add("clientId", NO_CLIENT);
  if (staffId && !staff) problems.add("staffId", NO_STAFF);
  if (staffId && !rowVisible(ctx.viewer, "appointment", { workspaceId: ctx.viewer!.workspaceId, ownerId: staffId }))
    problems.add("staffId", "You can only schedule your own sessions");
  if (serviceId && !service) problems.add("serviceId", NO_SERVICE);
  return { clientId, staffId, serviceId };
}

export async function workspaceOf(ctx: Context): Promise<Workspace> {
  return ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.viewer!.workspaceId } });
}

const end = (start: Date, minutes: number) => new Date(start.getTime() + minutes * 60_000);

export type NewAppointment = AppointmentFields & TimeInput & { fields?: unknown };

/** A new session checked and ready to insert at any start (one session, or each of a series). */
export interface AppointmentPlan {
  workspace: Workspace;
  /** Null when the input had problems. */
  startsAt: Date | null;
  clientId: string;
  staffId: string;
  duration: number;
  fields: Record<string, unknown>;
  activeKeys: string[];
  create: Omit<Prisma.AppointmentUncheckedCreateInput, "startsAt" | "endsAt">;
}

/** Checks a new session's input, adding what is wrong to `problems` (the caller throws, after adding its own). */
export async function planAppointment(ctx: Context, input: NewAppointment, problems: Problems): Promise<AppointmentPlan> {
  const viewer = ctx.viewer!;
  const workspace = await workspaceOf(ctx);
  const settings = appointmentSettings(workspace.settings);
  if (input.name == null) problems.add("name", "Required");
  const startsAt = parseStart(input, workspace.timeZone, { time: settings.defaultTime }, problems);
  if (!startsAt && input.startsAt == null && input.date == null) problems.add("startsAt", "Required (or a date and time)");
  // Required: a form with no client chosen is told so at the field.
  const { clientId, staffId: chosenStaff, serviceId } = await checkFields(ctx, { ...input, clientId: input.clientId ?? null }, problems);
  const fields = (input.fields ?? {}) as Record<string, unknown>;
  const { problems: valueProblems, activeKeys } = await checkPhaseValues(ctx.db, viewer, ["pre_session"], fields, {});
  problems.list.push(...valueProblems);
  const duration = input.durationMinutes ?? settings.defaultDurationMinutes;
  const staffId = chosenStaff ?? viewer.userId;
  return {
    workspace,
    startsAt,
    clientId: clientId!,
    staffId,
    duration,
    fields,
    activeKeys,
    create: {
      workspaceId: viewer.workspaceId,
      clientId: clientId!,
      staffId,
      serviceId: serviceId ?? null,
      name: input.name?.trim() ?? "",
      durationMinutes: duration,
      status: input.status ?? settings.defaultStatus,
      adminNotes: input.adminNotes?.trim() ?? "",
    },
  };
}

/**
 * Inserts a planned session at `startsAt` with its pre-session values, and answers its warnings. The
 * caller holds the booking locks of the plan's staff member and client.
 */
export async function insertAppointment(tx: Tx, ctx: Context, plan: AppointmentPlan, startsAt: Date, seriesId: string | null = null) {
  const created = await tx.appointment.create({ data: { ...plan.create, startsAt, endsAt: end(startsAt, plan.duration), seriesId } });
  await savePhase(tx, ctx.viewer!, created, plan.activeKeys, plan.fields);
  const saved = await tx.appointment.findUniqueOrThrow({ where: { id: created.id } });
  return { appointment: saved, warnings: await warningsFor(tx, saved, plan.workspace, ctx.viewer!) };
}

/** Schedules a session with its pre-session values; outside working hours or overlapping it is saved, with warnings. */
export async function createAppointment(ctx: Context, input: NewAppointment) {
  const problems = new Problems();
  const plan = await planAppointment(ctx, input, problems);
  problems.throwIfAny();
  const created = await ctx.db.$transaction(async (tx) => {
    // Bookings of the same staff member or client are saved one at a time, and each checks for
    // overlaps before its commit: of two clashing sessions booked at once, the later always warns.
    await lockBookings(tx, [plan.staffId], [plan.clientId]);
    return insertAppointment(tx, ctx, plan, plan.startsAt!);
  });
  await announceAppointment(ctx, created.appointment, "CREATED", null);
  return { ...created, following: [] };
}

/** Which sessions of a series an edit applies to. */
export type SeriesScope = "ONLY_THIS" | "THIS_AND_FOLLOWING";

/** One session of a series as saved, with its local date and its own warnings. */
export interface Occurrence {
  date: string;
  appointment: Appointment;
  warnings: SchedulingWarning[];
}

export const localDate = (at: Date, timeZone: string) => DateTime.fromJSDate(at, { zone: timeZone }).toISODate()!;

/**
 * The later sessions of the same series an edit of "this and all following" may change: only those
 * still scheduled, and only those the caller may see (staff who see only their own sessions don't
 * change a colleague's, nor read them back).
 */
const laterScheduled = (db: Db | Tx, viewer: Viewer, current: Appointment, ids?: string[]) =>
  current.seriesId
    ? db.appointment.findMany({
        where: { ...rowsWhere(viewer, "appointment"), seriesId: current.seriesId, startsAt: { gt: current.startsAt }, status: "scheduled", ...(ids ? { id: { in: ids } } : {}) },
        orderBy: { startsAt: "asc" },
      })
    : Promise.resolve([]);

/**
 * Changes only what is given; moving by date alone keeps the local start time. With "this and all
 * following", what differs from this session (its time, duration, staff, service, name, client,
 * notes, status) is applied to the later sessions of its series that are still scheduled; completed
 * and cancelled ones keep what they were.
 */
export async function updateAppointment(ctx: Context, id: string, input: AppointmentFields & TimeInput, scope: SeriesScope = "ONLY_THIS") {
  const current = await findVisible(ctx, id);
  const workspace = await workspaceOf(ctx);
  const problems = new Problems();
  if (input.name === null) problems.add("name", "Required");
  const local = DateTime.fromJSDate(current.startsAt, { zone: workspace.timeZone });
  const moved = parseStart(input, workspace.timeZone, { date: local.toISODate()!, time: local.toFormat("HH:mm") }, problems);
  const { clientId, staffId, serviceId } = await checkFields(ctx, input, problems);
  problems.throwIfAny();
  // Read before the transaction only to know whose bookings to lock; read again under the locks.
  const later = scope === "THIS_AND_FOLLOWING" ? await laterScheduled(ctx.db, ctx.viewer!, current) : [];
  const result = await ctx.db.$transaction(async (tx) => {
    // Invoicing reads sessions before it writes their lines: holding its lock, the edit waits for a
    // run in progress, and the session read next is the one any invoice billed.
    await lockInvoicing(tx, current.workspaceId);
    await lockBookings(
      tx,
      [current.staffId, staffId ?? current.staffId, ...later.map((l) => l.staffId)],
      [current.clientId, clientId ?? current.clientId, ...later.map((l) => l.clientId)],
    );
    const before = await tx.appointment.findUnique({ where: { id: current.id } });
    if (!before) throw new NotFoundError("Session");
    const startsAt = moved ?? before.startsAt;
    const duration = input.durationMinutes ?? before.durationMinutes;
    const next = { name: input.name?.trim() ?? before.name, clientId: clientId ?? before.clientId, serviceId: serviceId === undefined ? before.serviceId : serviceId, startsAt, durationMinutes: duration, status: input.status ?? before.status };
    if (changesBilledFacts(before, next)) await refuseIfBilled(tx, before);
    const updated = await tx.appointment.update({
      where: { id: current.id },
      data: {
        name: input.name?.trim(),
        clientId: clientId ?? undefined,
        staffId: staffId ?? undefined,
        serviceId,
        startsAt,
        durationMinutes: duration,
        endsAt: end(startsAt, duration),
        status: input.status ?? undefined,
        adminNotes: input.adminNotes?.trim(),
        sequence: { increment: 1 },
      },
    });
    const following = later.length ? await changeFollowing(tx, ctx, before, updated, later.map((l) => l.id), workspace) : [];
    return { before, appointment: updated, warnings: await warningsFor(tx, updated, workspace, ctx.viewer!), following };
  }, { timeout: 30_000 });
  await announceAppointment(ctx, result.appointment, "UPDATED", result.before.status, result.before.staffId);
  for (const f of result.following) {
    const before = later.find((l) => l.id === f.appointment.id)!;
    await announceAppointment(ctx, f.appointment, "UPDATED", before.status, before.staffId);
  }
  return { appointment: result.appointment, warnings: result.warnings, following: result.following };
}

/**
 * A session on an invoice that is not void keeps what its line was made from until the invoice is
 * voided, as a billed time entry does (the caller holds invoicing's lock).
 */
async function refuseIfBilled(tx: Tx, session: Appointment) {
  const invoice = await invoiceBilling(tx, { appointmentId: session.id });
  if (invoice) throw new ConflictError(`This session is on invoice #${invoice.number}; void the invoice to change its time, length, client, service, name or status`, [encodeGlobalID("Invoice", invoice.id)]);
}

/** Applies to the later scheduled sessions what an edit changed on `before` (now `after`). */
async function changeFollowing(tx: Tx, ctx: Context, before: Appointment, after: Appointment, ids: string[], workspace: Workspace): Promise<Occurrence[]> {
  const differs = <K extends keyof Appointment>(key: K) => (after[key] !== before[key] ? after[key] : undefined);
  const changed = {
    name: differs("name"),
    clientId: differs("clientId"),
    staffId: differs("staffId"),
    serviceId: differs("serviceId"),
    durationMinutes: differs("durationMinutes"),
    status: differs("status"),
    adminNotes: differs("adminNotes"),
  };
  const movedBy = after.startsAt.getTime() !== before.startsAt.getTime();
  const occurrences: Occurrence[] = [];
  for (const later of await laterScheduled(tx, ctx.viewer!, before, ids)) {
    const startsAt = movedBy ? moveAlong(later.startsAt, before.startsAt, after.startsAt, workspace.timeZone) : later.startsAt;
    if (!startsAt) {
      const at = DateTime.fromJSDate(after.startsAt, { zone: workspace.timeZone }).toFormat("HH:mm");
      throw ValidationError.field("time", `${at} doesn't exist on ${localDate(later.startsAt, workspace.timeZone)} in ${workspace.timeZone} (the clocks change)`);
    }
    const duration = changed.durationMinutes ?? later.durationMinutes;
    const updated = await tx.appointment.update({
      where: { id: later.id },
      data: { ...changed, startsAt, endsAt: end(startsAt, duration), sequence: { increment: 1 } },
    });
    occurrences.push({ date: localDate(startsAt, workspace.timeZone), appointment: updated, warnings: await warningsFor(tx, updated, workspace, ctx.viewer!) });
  }
  return occurrences;
}

/** During and post values only exist on a saved session; each phase is saved on its own. */
export async function saveAppointmentFields(ctx: Context, id: string, phase: FieldTarget, values: unknown) {
  if (phase === "evaluation") throw ValidationError.field("phase", "Evaluation values belong to evaluations");
  const current = await findVisible(ctx, id);
  const { problems, activeKeys } = await checkPhaseValues(ctx.db, ctx.viewer!, [phase], values, { appointmentId: current.id });
  if (problems.length) throw new ValidationError(problems);
  const saved = await ctx.db.$transaction(async (tx) => {
    await savePhase(tx, ctx.viewer!, current, activeKeys, values as Record<string, unknown>);
    return tx.appointment.findUniqueOrThrow({ where: { id: current.id } });
  });
  await announceAppointment(ctx, saved, "UPDATED", saved.status);
  return saved;
}

/** Permanent: attachments and field values go with it; invoices keep their lines. */
export async function deleteAppointment(ctx: Context, id: string) {
  const current = await findVisible(ctx, id);
  const files = await ctx.db.appointmentAttachment.findMany({ where: { appointmentId: current.id }, select: { path: true } });
  try {
    await ctx.db.appointment.delete({ where: { id: current.id } });
  } catch (error) {
    if ((error as { code?: string }).code === "P2025") throw new NotFoundError("Session");
    throw error;
  }
  await removeFiles(files.map((f) => f.path));
  await announceAppointment(ctx, current, "DELETED", current.status);
  return current;
}

/** Changes the settings given; the others stay. */
export async function updateAppointmentSettings(ctx: Context, input: SettingsChanges) {
  const problems = settingsProblems(input);
  if (problems.length) throw new ValidationError(problems);
  const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v != null));
  return appointmentSettings(await saveWorkspaceSettings(ctx, ctx.viewer!.workspaceId, "appointments", changes));
}

export type WarningKind = "OUTSIDE_WORKING_HOURS" | "OVERLAP";
export interface SchedulingWarning {
  kind: WarningKind;
  message: string;
  appointments: Appointment[];
}

/**
 * Warnings, not errors: outside working hours, and other live sessions of the same client or
 * staff member that overlap, as of the save.
 */
export async function warningsFor(db: Db | Tx, a: Appointment, workspace: Workspace, viewer: Viewer): Promise<SchedulingWarning[]> {
  if (a.status === "cancelled") return [];
  const warnings: SchedulingWarning[] = [];
  const hours = parseWorkingHours(workspace.workingHours);
  if (!withinWorkingHours({ start: a.startsAt, end: a.endsAt }, hours, workspace.timeZone)) {
    const message = workingHoursOfDay(a.startsAt, hours, workspace.timeZone);
    warnings.push({ kind: "OUTSIDE_WORKING_HOURS", message: `Outside working hours (${message})`, appointments: [] });
  }
  const others = await db.appointment.findMany({
    where: {
      workspaceId: a.workspaceId,
      id: { not: a.id },
      status: { not: "cancelled" },
      startsAt: { lt: a.endsAt },
      endsAt: { gt: a.startsAt },
      OR: [{ clientId: a.clientId }, { staffId: a.staffId }],
    },
    include: { client: true, staff: true },
    orderBy: { startsAt: "asc" },
  });
  const overlaps = findOverlaps(
    { id: a.id, clientId: a.clientId, staffId: a.staffId, start: a.startsAt, end: a.endsAt },
    others.map((o) => ({ id: o.id, clientId: o.clientId, staffId: o.staffId, start: o.startsAt, end: o.endsAt })),
  );
  if (overlaps.length) {
    const byId = new Map(others.map((o) => [o.id, o]));
    // Sessions the viewer may not see are counted, never described.
    const all = overlaps.map((o) => byId.get(o.id)!);
    const named = all.filter((o) => rowVisible(viewer, "appointment", { workspaceId: o.workspaceId, ownerId: o.staffId }));
    const hidden = all.length - named.length;
    const time = (d: Date) => DateTime.fromJSDate(d, { zone: workspace.timeZone }).toFormat("HH:mm");
    const list = [
      ...named.map((o) => `"${o.name}" (${o.client.name} with ${o.staff.name}, ${time(o.startsAt)}-${time(o.endsAt)})`),
      ...(hidden ? [`${hidden} other session${hidden > 1 ? "s" : ""} of this client`] : []),
    ].join(", ");
    warnings.push({ kind: "OVERLAP", message: `Overlaps ${list}`, appointments: named });
  }
  return warnings;
}

export interface AppointmentFilter {
  /** Global IDs as sent. */
  clientId?: string | null;
  staffId?: string | null;
  statuses?: AppointmentStatus[] | null;
  fields?: { key: string; value?: unknown }[] | null;
}

/**
 * SQL conditions for a range and filters. Custom-field filters are one JSONB containment test, so
 * the GIN index on fieldValues serves them; a multi-select matches when it contains the option.
 */
export async function filterSql(ctx: Context, range: Interval, filter: AppointmentFilter): Promise<Prisma.Sql> {
  const viewer = ctx.viewer!;
  const problems = new Problems();
  const contains: Record<string, unknown> = {};
  const clientId = rowIdOf(filter.clientId, "Client", "filter.clientId", NO_CLIENT, problems);
  const staffId = rowIdOf(filter.staffId, "User", "filter.staffId", NO_STAFF, problems);
  if (filter.fields?.length) {
    const filterable = new Map(
      (await ctx.db.fieldDefinition.findMany({ where: { workspaceId: viewer.workspaceId, filterable: true, target: { in: [...SESSION_PHASES] } } })).map((d) => [d.key, d]),
    );
    filter.fields.forEach((f, i) => {
      const d = filterable.get(f.key);
      if (!d) problems.add(`filter.fields.${i}.key`, "Not a filterable field");
      else contains[f.key] = d.type === "multi_select" && !Array.isArray(f.value) ? [f.value] : f.value;
    });
  }
  problems.throwIfAny();
  const parts = [
    rowsSql(viewer, "appointment", "a"),
    Prisma.sql`a."startsAt" < ${range.end}`,
    Prisma.sql`a."endsAt" > ${range.start}`,
  ];
  if (staffId) parts.push(Prisma.sql`a."staffId" = ${staffId}::uuid`);
  if (clientId) parts.push(Prisma.sql`a."clientId" = ${clientId}::uuid`);
  if (filter.statuses?.length) parts.push(Prisma.sql`a.status::text = ANY(${filter.statuses}::text[])`);
  if (Object.keys(contains).length) parts.push(Prisma.sql`a."fieldValues" @> ${JSON.stringify(contains)}::jsonb`);
  return Prisma.join(parts, " AND ");
}

interface RangeRow extends Appointment {
  clientName: string;
  clientCreatedAt: Date;
  clientFieldValues: Prisma.JsonValue;
  staffName: string;
  staffEmail: string;
}

/**
 * One statement for a calendar range: the sessions in calendar order with their client and staff
 * member joined, so a month view costs a single round trip.
 */
export async function loadRange(ctx: Context, where: Prisma.Sql, limit: number, offset = 0) {
  const rows = await ctx.db.$queryRaw<RangeRow[]>`
    SELECT a.*, c.name AS "clientName", c."createdAt" AS "clientCreatedAt", c."fieldValues" AS "clientFieldValues", u.name AS "staffName", u.email AS "staffEmail"
    FROM "Appointment" a JOIN "Client" c ON c.id = a."clientId" JOIN "User" u ON u.id = a."staffId"
    WHERE ${where} ORDER BY a."startsAt", a.id LIMIT ${limit} OFFSET ${offset}`;
  return rows.map(({ clientName, clientCreatedAt, clientFieldValues, staffName, staffEmail, ...a }) => ({
    ...a,
    client: { id: a.clientId, workspaceId: a.workspaceId, name: clientName, createdAt: clientCreatedAt, fieldValues: clientFieldValues },
    // Only what the API shows of a member; the row never carries credentials.
    staff: { id: a.staffId, name: staffName, email: staffEmail } as User,
  }));
}

export function conflictIfUsed(error: unknown, what: string): never {
  if ((error as { code?: string }).code === "P2003") throw new ConflictError(`${what} is still used by sessions, projects or invoices`);
  throw error;
}

/** A client's profile fields, checked like a session phase's, replaced in one statement. */
export async function saveClientFields(ctx: Context, clientId: string, values: unknown) {
  const viewer = ctx.viewer!;
  const client = await ctx.db.client.findFirst({ where: { id: clientId, ...rowsWhere(viewer, "client") } });
  if (!client) throw new NotFoundError("Client");
  const { problems, activeKeys } = await checkPhaseValues(ctx.db, viewer, ["client"], values, {});
  if (problems.length) throw new ValidationError(problems);
  const clean = Object.fromEntries(Object.entries(values as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  await ctx.db.$executeRaw`
    UPDATE "Client" SET "fieldValues" = ("fieldValues" - ${activeKeys}::text[]) || ${JSON.stringify(clean)}::jsonb
    WHERE id = ${client.id}::uuid`;
  return ctx.db.client.findUniqueOrThrow({ where: { id: client.id } });
}

/** The client list's filter: each key a filterable client field, each value one it could hold. */
export function clientFieldFilter(definitions: readonly FieldDefinition[], raw: unknown, problems: Problems): Prisma.ClientWhereInput[] {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    problems.add("fields", "Must be an object of field keys and values");
    return [];
  }
  return Object.entries(raw as Record<string, unknown>).flatMap(([key, value]): Prisma.ClientWhereInput[] => {
    const field = definitions.find((d) => d.key === key);
    if (!field?.filterable) return (problems.add(`fields.${key}`, "Not a filterable client field"), []);
    if (!["string", "number", "boolean"].includes(typeof value)) return (problems.add(`fields.${key}`, "Filter by one text, number or yes/no value"), []);
    const json = value as string | number | boolean;
    return [{ fieldValues: field.type === "multi_select" ? { path: [key], array_contains: [json] } : { path: [key], equals: json } }];
  });
}
