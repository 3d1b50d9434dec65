// Client sessions as GraphQL: the Appointment node, its mutations with scheduling warnings, the
// calendar, the list, free slots and session history per client.
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { encodeGlobalID, resolveOffsetConnection } from "@pothos/plugin-relay";
import { filter, pipe } from "graphql-yoga";
import { DateTime } from "luxon";
import type { Appointment, AppointmentAttachment, AppointmentStatus, Client, User } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { rowsWhere, rowVisible } from "../common/policy.js";
import type { Context } from "../common/context.js";
import { NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { mergeSettings } from "../common/settings.js";
import { ClientRef } from "../agent/projects.js";
import { localId } from "../common/input-limits.js";
import { UserRef } from "../identity/types.js";
import { FieldDefinitionRef, FieldTargetEnum, listDefinitions } from "./fields.js";
import { announceAppointment } from "./live.js";
import { freeSlots, visibleDates, type CalendarView } from "./rules.js";
import {
  createAppointment,
  deleteAppointment,
  filterSql,
  loadRange,
  saveAppointmentFields,
  updateAppointment,
  workspaceOf,
  type AppointmentFilter,
  type SchedulingWarning,
} from "./service.js";
import { appointmentSettings } from "./settings.js";
import { attachmentsRoot } from "./storage.js";
import { readableAttachment } from "./attachments.js";
import { AppointmentServiceRef } from "./catalog.js";
import { parseWorkingHours } from "../identity/working-hours.js";
import { dateRange } from "../work/rules.js";
import { upperSnake } from "../common/enums.js";

export const AppointmentStatusEnum = builder.enumType("AppointmentStatus", {
  values: upperSnake({
    scheduled: { description: "Planned, not started." },
    in_progress: { description: "Happening now." },
    completed: { description: "Finished." },
    cancelled: { description: "Called off (at any time)." },
  }),
});
const CalendarViewEnum = builder.enumType("CalendarView", { values: upperSnake(["day", "week", "month"]) });
const WarningKindEnum = builder.enumType("SchedulingWarningKind", {
  values: {
    OUTSIDE_WORKING_HOURS: { description: "The session is not within the workspace's working hours." },
    OVERLAP: { description: "Another session of the same client or staff member overlaps it." },
  },
});

export const AttachmentRef = builder.objectRef<AppointmentAttachment>("AppointmentAttachment");
builder.node(AttachmentRef, {
  id: { resolve: (a) => a.id },
  loadOne: (id, ctx) => (ctx.viewer ? readableAttachment(ctx, ctx.viewer, id) : null),
  fields: (t) => ({
    fileName: t.exposeString("fileName"),
    mime: t.exposeString("mime"),
    size: t.exposeInt("size", { description: "Bytes." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    url: t.string({ description: "Download, for whoever may see the session.", resolve: (a) => `/api/appointments/attachments/${a.id}` }),
  }),
});

type Loaded = Appointment & { client?: Client; staff?: User };

export const AppointmentRef = builder.objectRef<Loaded>("Appointment");

const FieldValueRef = builder.objectRef<{ field: { id: string; archivedAt: Date | null; key: string }; value: unknown }>("FieldValue").implement({
  fields: (t) => ({
    field: t.field({ type: FieldDefinitionRef, resolve: (v) => v.field as never }),
    value: t.field({ type: "JSON", nullable: true, resolve: (v) => v.value ?? null }),
    readOnly: t.boolean({ description: "Values of archived fields are kept but can't be changed.", resolve: (v) => v.field.archivedAt !== null }),
  }),
});

builder.node(AppointmentRef, {
  id: { resolve: (a) => a.id },
  loadOne: (id, ctx) =>
    ctx.db.appointment.findFirst({ where: { id, ...rowsWhere(ctx.viewer, "appointment") } }),
  fields: (t) => ({
    name: t.exposeString("name"),
    client: t.field({ type: ClientRef, resolve: (a, _x, ctx) => a.client ?? ctx.db.client.findUniqueOrThrow({ where: { id: a.clientId } }) }),
    staff: t.field({ type: UserRef, description: "The assigned staff member.", resolve: (a, _x, ctx) => a.staff ?? ctx.db.user.findUniqueOrThrow({ where: { id: a.staffId } }) }),
    service: t.field({
      type: AppointmentServiceRef,
      nullable: true,
      resolve: (a, _x, ctx) => (a.serviceId ? ctx.db.appointmentService.findUnique({ where: { id: a.serviceId } }) : null),
    }),
    startsAt: t.expose("startsAt", { type: "DateTime" }),
    endsAt: t.expose("endsAt", { type: "DateTime" }),
    durationMinutes: t.exposeInt("durationMinutes"),
    durationSeconds: t.int({ resolve: (a) => a.durationMinutes * 60 }),
    status: t.field({ type: AppointmentStatusEnum, resolve: (a) => a.status }),
    adminNotes: t.exposeString("adminNotes"),
    fieldValues: t.field({ type: "JSON", description: "Every phase's values by field key.", resolve: (a) => a.fieldValues }),
    values: t.field({
      type: [FieldValueRef],
      description: "A phase's fields in order with their values; archived fields only when they hold a value (read-only).",
      args: { phase: t.arg({ type: FieldTargetEnum }) },
      resolve: async (a, args, ctx) => {
        if (args.phase === "evaluation") throw ValidationError.field("phase", "Evaluations have their own values");
        const values = a.fieldValues as Record<string, unknown>;
        const defs = await listDefinitions(ctx.db, a.workspaceId, [args.phase]);
        return defs.filter((d) => !d.archivedAt || values[d.key] !== undefined).map((d) => ({ field: d, value: values[d.key] }));
      },
    }),
    sequence: t.exposeInt("sequence", { description: "Raised on every change (the calendar feed's SEQUENCE)." }),
    attachments: t.field({
      type: [AttachmentRef],
      resolve: (a, _x, ctx) => ctx.db.appointmentAttachment.findMany({ where: { appointmentId: a.id }, orderBy: { createdAt: "asc" } }),
    }),
    invoiced: t.boolean({ description: "Billed on an invoice that is not void.", resolve: (a) => a.invoiceId !== null }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const WarningRef = builder.objectRef<SchedulingWarning>("SchedulingWarning").implement({
  description: "Saved anyway; shown to the user.",
  fields: (t) => ({
    kind: t.field({ type: WarningKindEnum, resolve: (w) => w.kind }),
    message: t.exposeString("message"),
    appointments: t.field({ type: [AppointmentRef], description: "The overlapping sessions the viewer may see.", resolve: (w) => w.appointments }),
  }),
});

const PayloadRef = builder.objectRef<{ appointment: Appointment; warnings: SchedulingWarning[] }>("AppointmentPayload").implement({
  fields: (t) => ({
    appointment: t.field({ type: AppointmentRef, resolve: (p) => p.appointment }),
    warnings: t.field({ type: [WarningRef], resolve: (p) => p.warnings }),
  }),
});

const TimeFields = {
  startsAt: "ISO-8601 with offset, e.g. 2026-11-21T09:30:00+01:00.",
  date: "Or a local date in the workspace time zone...",
  time: "...with a 24-hour HH:mm start (default: the workspace's default time).",
};

const NewAppointmentInput = builder.inputType("NewAppointmentInput", {
  fields: (t) => ({
    name: t.string(),
    clientId: t.globalID({ for: ClientRef }),
    staffId: t.globalID({ for: UserRef, required: false, description: "Default: you." }),
    serviceId: t.globalID({ for: AppointmentServiceRef, required: false }),
    startsAt: t.string({ required: false, description: TimeFields.startsAt }),
    date: t.field({ type: "LocalDate", required: false, description: TimeFields.date }),
    time: t.string({ required: false, description: TimeFields.time }),
    durationMinutes: t.int({ required: false, description: "At least 1; default from the workspace settings (60)." }),
    status: t.field({ type: AppointmentStatusEnum, required: false }),
    adminNotes: t.string({ required: false }),
    fields: t.field({ type: "JSON", required: false, description: "Pre-session field values by key." }),
  }),
});

const AppointmentChangesInput = builder.inputType("AppointmentChangesInput", {
  description: "Only what is given changes. Moving by date alone keeps the local start time.",
  fields: (t) => ({
    name: t.string({ required: false }),
    clientId: t.globalID({ for: ClientRef, required: false }),
    staffId: t.globalID({ for: UserRef, required: false }),
    serviceId: t.globalID({ for: AppointmentServiceRef, required: false }),
    startsAt: t.string({ required: false, description: TimeFields.startsAt }),
    date: t.field({ type: "LocalDate", required: false, description: TimeFields.date }),
    time: t.string({ required: false, description: TimeFields.time }),
    durationMinutes: t.int({ required: false }),
    status: t.field({ type: AppointmentStatusEnum, required: false }),
    adminNotes: t.string({ required: false }),
  }),
});

const ids = <T extends { id: string } | null | undefined>(g: T) => (g ? g.id : g === null ? null : undefined);

builder.mutationField("createAppointment", (t) =>
  t.field({
    type: PayloadRef,
    description: "Schedules a session (with its pre-session values). Outside working hours or overlapping: saved, with warnings.",
    authScopes: { permission: "session.create" },
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: NewAppointmentInput }) },
    resolve: async (_r, { input }, ctx) => {
      const created = await createAppointment(ctx, { ...input, clientId: input.clientId.id, staffId: ids(input.staffId), serviceId: ids(input.serviceId) });
      await announceAppointment(ctx, created.appointment, "CREATED", null);
      return created;
    },
  }),
);

async function change(ctx: Context, id: string, input: Parameters<typeof updateAppointment>[2]) {
  const result = await updateAppointment(ctx, id, input);
  await announceAppointment(ctx, result.appointment, "UPDATED", result.previousStatus, result.previousStaffId);
  return result;
}

builder.mutationField("updateAppointment", (t) =>
  t.fieldWithInput({
    type: PayloadRef,
    description: "Edits name, time, duration, status, client, staff, service or notes.",
    authScopes: { permission: "session.update" },
    errors: { types: [ValidationError, NotFoundError] },
    input: { id: t.input.globalID({ for: AppointmentRef }), changes: t.input.field({ type: AppointmentChangesInput }) },
    resolve: (_r, { input: { id, changes } }, ctx) =>
      change(ctx, id.id, { ...changes, clientId: ids(changes.clientId), staffId: ids(changes.staffId), serviceId: ids(changes.serviceId) }),
  }),
);

builder.mutationField("setAppointmentStatus", (t) =>
  t.fieldWithInput({
    type: PayloadRef,
    description: "Usually SCHEDULED -> IN_PROGRESS -> COMPLETED; CANCELLED at any time. Any status may be set by hand.",
    authScopes: { permission: "session.update" },
    errors: { types: [NotFoundError] },
    input: { id: t.input.globalID({ for: AppointmentRef }), status: t.input.field({ type: AppointmentStatusEnum }) },
    resolve: (_r, { input: { id, status } }, ctx) => change(ctx, id.id, { status: status as AppointmentStatus }),
  }),
);

builder.mutationField("saveAppointmentFields", (t) =>
  t.fieldWithInput({
    type: AppointmentRef,
    description: "Saves one phase's values (all of that phase's active fields; those left out are cleared). Other phases are untouched.",
    authScopes: { permission: "session.update" },
    errors: { types: [ValidationError, NotFoundError] },
    input: { id: t.input.globalID({ for: AppointmentRef }), phase: t.input.field({ type: FieldTargetEnum }), fields: t.input.field({ type: "JSON" }) },
    resolve: async (_r, { input: args }, ctx) => {
      if (args.phase === "evaluation") throw ValidationError.field("phase", "Evaluation values belong to evaluations");
      const saved = await saveAppointmentFields(ctx, args.id.id, args.phase, args.fields);
      await announceAppointment(ctx, saved, "UPDATED", saved.status);
      return saved;
    },
  }),
);

const DeletedRef = builder.objectRef<{ id: string }>("DeletedAppointment").implement({
  fields: (t) => ({ id: t.id({ resolve: (d) => encodeGlobalID("Appointment", d.id) }) }),
});

builder.mutationField("deleteAppointment", (t) =>
  t.fieldWithInput({
    type: DeletedRef,
    description: "Permanent: attachments and field values go with it; invoices keep their lines.",
    authScopes: { permission: "session.delete" },
    errors: { types: [NotFoundError] },
    input: { id: t.input.globalID({ for: AppointmentRef }) },
    resolve: async (_r, { input: { id } }, ctx) => {
      const { appointment, files } = await deleteAppointment(ctx, id.id);
      const root = attachmentsRoot();
      await Promise.all(files.map((f) => unlink(join(root, f)).catch(() => {})));
      await announceAppointment(ctx, appointment, "DELETED", appointment.status);
      return { id: appointment.id };
    },
  }),
);

builder.mutationField("deleteAppointmentAttachment", (t) =>
  t.fieldWithInput({
    type: AttachmentRef,
    description: "Removes a file from a session (a file field still naming it then fails validation on its next save).",
    authScopes: { permission: "session.update" },
    errors: { types: [NotFoundError] },
    input: { id: t.input.globalID({ for: AttachmentRef }) },
    resolve: async (_r, { input: args }, ctx) => {
      const file = await readableAttachment(ctx, ctx.viewer!, args.id.id);
      if (!file) throw new NotFoundError("File");
      await ctx.db.appointmentAttachment.delete({ where: { id: file.id } });
      await unlink(join(attachmentsRoot(), file.path)).catch(() => {});
      return file;
    },
  }),
);

const FieldFilterInput = builder.inputType("FieldFilterInput", {
  fields: (t) => ({
    key: t.string({ description: "A filterable field's key." }),
    value: t.field({ type: "JSON", description: "Equal to (a multi-select: contains) this value." }),
  }),
});

const AppointmentFilterInput = builder.inputType("AppointmentFilter", {
  fields: (t) => ({
    clientId: t.globalID({ for: ClientRef, required: false }),
    staffId: t.globalID({ for: UserRef, required: false }),
    statuses: t.field({ type: [AppointmentStatusEnum], required: false }),
    fields: t.field({ type: [FieldFilterInput], required: false }),
  }),
});

function toFilter(f: typeof AppointmentFilterInput.$inferInput | null | undefined): AppointmentFilter {
  return { clientId: f?.clientId?.id, staffId: f?.staffId?.id, statuses: f?.statuses as AppointmentStatus[] | undefined, fields: f?.fields };
}

/** A calendar view holds at most this many sessions; more ask for a narrower filter. */
export const CALENDAR_LIMIT = 2000;

const CalendarRef = builder
  .objectRef<{ from: string; to: string; timeZone: string; slotMinutes: number; appointments: Loaded[]; truncated: boolean }>("AppointmentCalendar")
  .implement({
    fields: (t) => ({
      from: t.expose("from", { type: "LocalDate" }),
      to: t.expose("to", { type: "LocalDate" }),
      timeZone: t.exposeString("timeZone"),
      slotMinutes: t.exposeInt("slotMinutes"),
      appointments: t.field({ type: [AppointmentRef], resolve: (c) => c.appointments }),
      truncated: t.exposeBoolean("truncated", { description: `More than ${CALENDAR_LIMIT} sessions: narrow the filter.` }),
    }),
  });

builder.queryField("appointmentCalendar", (t) =>
  t.field({
    type: CalendarRef,
    description: "The sessions of the visible dates of a day, week (Monday first) or month view around `date`.",
    authScopes: { permission: "session.read" },
    errors: { types: [ValidationError] },
    args: { view: t.arg({ type: CalendarViewEnum }), date: t.arg({ type: "LocalDate" }), filter: t.arg({ type: AppointmentFilterInput, required: false }) },
    resolve: async (_r, args, ctx) => {
      const workspace = await workspaceOf(ctx);
      const { from, to } = visibleDates(args.view as CalendarView, args.date);
      const where = await filterSql(ctx, dateRange(from, to, workspace.timeZone), toFilter(args.filter));
      const rows = await loadRange(ctx, where, CALENDAR_LIMIT + 1);
      const slotMinutes = appointmentSettings(workspace.settings).slotMinutes;
      return { from, to, timeZone: workspace.timeZone, slotMinutes, appointments: rows.slice(0, CALENDAR_LIMIT), truncated: rows.length > CALENDAR_LIMIT };
    },
  }),
);

builder.queryField("appointments", (t) =>
  t.connection({
    type: AppointmentRef,
    description: "The list view: sessions overlapping local dates [from, to] with the calendar's filters, in time order.",
    authScopes: { permission: "session.read" },
    errors: { types: [ValidationError] },
    args: { from: t.arg({ type: "LocalDate" }), to: t.arg({ type: "LocalDate" }), filter: t.arg({ type: AppointmentFilterInput, required: false }) },
    resolve: async (_r, args, ctx) => {
      if (args.to < args.from) throw ValidationError.field("to", "Must not be before from");
      const workspace = await workspaceOf(ctx);
      const where = await filterSql(ctx, dateRange(args.from, args.to, workspace.timeZone), toFilter(args.filter));
      return resolveOffsetConnection({ args }, ({ limit, offset }) => loadRange(ctx, where, limit, offset));
    },
  }),
);

const SlotRef = builder.objectRef<{ start: Date; end: Date }>("TimeSlot").implement({
  fields: (t) => ({ start: t.expose("start", { type: "DateTime" }), end: t.expose("end", { type: "DateTime" }) }),
});

builder.queryField("freeSlots", (t) =>
  t.field({
    type: [SlotRef],
    description: "A staff member's free time slots within working hours for local dates [from, to] (at most 31 days).",
    authScopes: { permission: "session.read" },
    errors: { types: [ValidationError] },
    args: {
      staffId: t.arg.globalID({ for: UserRef, required: false, description: "Default: you." }),
      from: t.arg({ type: "LocalDate" }),
      to: t.arg({ type: "LocalDate" }),
      slotMinutes: t.arg.int({ required: false, description: "Default: the workspace's slot size." }),
    },
    resolve: async (_r, args, ctx) => {
      const viewer = ctx.viewer!;
      const workspace = await workspaceOf(ctx);
      const staffId = args.staffId?.id ?? viewer.userId;
      const problems = new Problems();
      if (args.to < args.from) problems.add("to", "Must not be before from");
      else if (DateTime.fromISO(args.to).diff(DateTime.fromISO(args.from), "days").days > 30) problems.add("to", "At most 31 days");
      if (args.slotMinutes != null && (args.slotMinutes < 5 || args.slotMinutes > 480)) problems.add("slotMinutes", "Between 5 and 480 minutes");
      if (!rowVisible(viewer, "appointment", { workspaceId: workspace.id, ownerId: staffId })) problems.add("staffId", "You can only see your own free time");
      else if (!(await ctx.db.membership.count({ where: { workspaceId: workspace.id, userId: staffId } }))) problems.add("staffId", "Not a member of this workspace");
      problems.throwIfAny();
      const range = dateRange(args.from, args.to, workspace.timeZone);
      const busy = await ctx.db.appointment.findMany({
        where: { workspaceId: workspace.id, staffId, status: { not: "cancelled" }, startsAt: { lt: range.end }, endsAt: { gt: range.start } },
        select: { startsAt: true, endsAt: true },
      });
      const slot = args.slotMinutes ?? appointmentSettings(workspace.settings).slotMinutes;
      return freeSlots(args.from, args.to, parseWorkingHours(workspace.workingHours), workspace.timeZone, busy.map((b) => ({ start: b.startsAt, end: b.endsAt })), slot);
    },
  }),
);

builder.objectField(ClientRef, "appointments", (t) =>
  t.connection({
    type: AppointmentRef,
    description: "Session history of this client, newest first (what the viewer may see).",
    authScopes: { permission: "session.read" },
    resolve: (c, args, ctx) =>
      resolveOffsetConnection({ args }, ({ limit, offset }) =>
        ctx.db.appointment.findMany({
          where: { clientId: c.id, ...rowsWhere(ctx.viewer!, "appointment") },
          include: { client: true, staff: true },
          orderBy: [{ startsAt: "desc" }, { id: "asc" }],
          skip: offset,
          take: limit,
        }),
      ),
  }),
);

const SettingsRef = builder.objectRef<ReturnType<typeof appointmentSettings>>("AppointmentSettings").implement({
  fields: (t) => ({
    defaultDurationMinutes: t.exposeInt("defaultDurationMinutes"),
    defaultStatus: t.field({ type: AppointmentStatusEnum, resolve: (s) => s.defaultStatus }),
    defaultTime: t.exposeString("defaultTime", { description: "HH:mm in the workspace time zone." }),
    slotMinutes: t.exposeInt("slotMinutes", { description: "Calendar time slots." }),
    autoStatus: t.exposeBoolean("autoStatus", { description: "Sessions move to in progress and completed at their start and end." }),
    clientNamesInFeeds: t.exposeBoolean("clientNamesInFeeds", { description: "Calendar feeds show full client names, not initials." }),
  }),
});

builder.queryField("appointmentSettings", (t) =>
  t.field({
    type: SettingsRef,
    authScopes: { permission: "session.read" },
    resolve: async (_r, _a, ctx) => appointmentSettings((await workspaceOf(ctx)).settings),
  }),
);

const SettingsInput = builder.inputType("AppointmentSettingsInput", {
  fields: (t) => ({
    defaultDurationMinutes: t.int({ required: false }),
    defaultStatus: t.field({ type: AppointmentStatusEnum, required: false }),
    defaultTime: t.string({ required: false }),
    slotMinutes: t.int({ required: false }),
    autoStatus: t.boolean({ required: false }),
    clientNamesInFeeds: t.boolean({ required: false }),
  }),
});

builder.mutationField("updateAppointmentSettings", (t) =>
  t.field({
    type: SettingsRef,
    authScopes: { permission: "workspace.manage" },
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: SettingsInput }) },
    resolve: async (_r, { input }, ctx) => {
      const problems = new Problems();
      if (input.defaultDurationMinutes != null && (input.defaultDurationMinutes < 1 || input.defaultDurationMinutes > 24 * 60))
        problems.add("defaultDurationMinutes", "Between 1 and 1440 minutes");
      if (input.defaultTime != null && !/^([01]\d|2[0-3]):[0-5]\d$/.test(input.defaultTime)) problems.add("defaultTime", "Use 24-hour HH:mm");
      if (input.slotMinutes != null && ![5, 10, 15, 20, 30, 60].includes(input.slotMinutes)) problems.add("slotMinutes", "One of 5, 10, 15, 20, 30 or 60");
      problems.throwIfAny();
      const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v != null));
      return appointmentSettings(await mergeSettings(ctx.db, ctx.viewer!.workspaceId, "appointments", changes));
    },
  }),
);

const ChangeKindEnum = builder.enumType("AppointmentChangeKind", { values: ["CREATED", "UPDATED", "DELETED"] as const });

const ChangeRef = builder
  .objectRef<{ appointmentId: string; change: "CREATED" | "UPDATED" | "DELETED"; at: Date; staffId: string }>("AppointmentChanged")
  .implement({
    fields: (t) => ({
      appointmentId: t.exposeID("appointmentId"),
      change: t.field({ type: ChangeKindEnum, resolve: (c) => c.change }),
      at: t.expose("at", { type: "DateTime" }),
      appointment: t.field({
        type: AppointmentRef,
        nullable: true,
        description: "The session as it is now; null once deleted.",
        resolve: (c, _a, ctx) =>
          c.change === "DELETED" ? null : ctx.db.appointment.findFirst({ where: { id: localId(c.appointmentId, "Appointment")!, ...rowsWhere(ctx.viewer!, "appointment") } }),
      }),
    }),
  });


builder.subscriptionField("appointmentChanged", (t) =>
  t.field({
    type: ChangeRef,
    description: "Sessions created, moved, changed or deleted, so open calendars update without reload.",
    authScopes: { permission: "session.read" },
    subscribe: (_r, _a, ctx) =>
      pipe(
        ctx.pubsub.subscribe("appointmentChanged", ctx.viewer!.workspaceId),
        filter((c) => rowVisible(ctx.viewer, "appointment", { workspaceId: ctx.viewer!.workspaceId, ownerId: c.staffId })),
      ),
    resolve: (c) => c,
  }),
);
