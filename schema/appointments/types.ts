// Client sessions as GraphQL: the Appointment node, its mutations with scheduling warnings and its
// changes pushed live. The calendar's fields are in calendar-types.ts, the settings' in settings-types.ts.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { filter, pipe } from "graphql-yoga";
import type { Appointment, AppointmentAttachment, AppointmentSeries, AppointmentStatus, Client, User } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { rowsWhere, rowVisible } from "../common/policy.js";
import { ConflictError, NotFoundError, ValidationError } from "../common/errors.js";
import { ClientRef } from "../clients/types.js";
import { billingLine } from "../billing/types.js";
import { localId } from "../common/input-limits.js";
import { UserRef } from "../identity/types.js";
import { FieldDefinitionRef, FieldTargetEnum, listDefinitions } from "./fields.js";
import { createAppointment, deleteAppointment, saveAppointmentFields, updateAppointment, type Occurrence, type SchedulingWarning, type SeriesScope } from "./service.js";
import { createAppointmentSeries } from "./series.js";
import { MAX_SERIES_OCCURRENCES, MAX_SERIES_WEEKS } from "./rules.js";
import { deleteAttachment, readableAttachment } from "./attachments.js";
import { AppointmentServiceRef } from "./catalog.js";
import { upperSnake } from "../common/enums.js";
import { childrenOf } from "../common/batched-db.js";

export const AppointmentStatusEnum = builder.enumType("AppointmentStatus", {
  values: upperSnake({
    scheduled: { description: "Planned, not started." },
    in_progress: { description: "Happening now." },
    completed: { description: "Finished." },
    cancelled: { description: "Called off (at any time)." },
  }),
});
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

export type Loaded = Appointment & { client?: Client; staff?: User };

export const AppointmentRef = builder.objectRef<Loaded>("Appointment");

const FieldValueRef = builder.objectRef<{ field: { id: string; archivedAt: Date | null; key: string }; value: unknown }>("FieldValue").implement({
  fields: (t) => ({
    field: t.field({ type: FieldDefinitionRef, resolve: (v) => v.field as never }),
    value: t.field({ type: "JSON", nullable: true, resolve: (v) => v.value ?? null }),
    readOnly: t.boolean({ description: "Values of archived fields are kept but can't be changed.", resolve: (v) => v.field.archivedAt !== null }),
  }),
});

const SeriesRef = builder.objectRef<AppointmentSeries>("AppointmentSeries");

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
      resolve: (a, _x, ctx) =>
        childrenOf(
          ctx,
          "Appointment.attachments",
          a.id,
          (appointmentIds) => ctx.db.appointmentAttachment.findMany({ where: { appointmentId: { in: appointmentIds } }, orderBy: { createdAt: "asc" } }),
          // Read by their appointment, so they have one.
          (x) => x.appointmentId!,
        ),
    }),
    recurring: t.boolean({ description: "Part of a recurring series.", resolve: (a) => a.seriesId !== null }),
    series: t.field({
      type: SeriesRef,
      nullable: true,
      description: "The recurring series this session was created in.",
      resolve: (a, _x, ctx) => (a.seriesId ? ctx.db.appointmentSeries.findUnique({ where: { id: a.seriesId } }) : null),
    }),
    invoiced: t.boolean({ description: "Billed on an invoice that is not void.", resolve: async (a, _x, ctx) => (await billingLine(ctx, "appointmentId", a.id)) !== null }),
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

SeriesRef.implement({
  description: "Recurring sessions: every few weeks on the same weekday and local time, until a date or for a count.",
  fields: (t) => ({
    id: t.id({ resolve: (s) => encodeGlobalID("AppointmentSeries", s.id) }),
    everyWeeks: t.exposeInt("everyWeeks"),
    until: t.field({ type: "LocalDate", nullable: true, description: "The last date, when made until a date.", resolve: (s) => s.until }),
    count: t.exposeInt("count", { nullable: true, description: "The number of sessions, when made for a count." }),
    occurrences: t.field({
      type: [AppointmentRef],
      description: "Its sessions the viewer may see, in time order (cancelled ones included).",
      resolve: (s, _x, ctx) =>
        childrenOf(
          ctx,
          "AppointmentSeries.occurrences",
          s.id,
          (seriesIds) => ctx.db.appointment.findMany({ where: { seriesId: { in: seriesIds }, ...rowsWhere(ctx.viewer, "appointment") }, orderBy: { startsAt: "asc" } }),
          // Read by their series, so they have one.
          (a) => a.seriesId!,
        ),
    }),
  }),
});

const OccurrenceRef = builder.objectRef<Occurrence>("SeriesOccurrence").implement({
  description: "One session of a series as saved, with its own warnings.",
  fields: (t) => ({
    date: t.field({ type: "LocalDate", description: "Its local date in the workspace time zone.", resolve: (o) => o.date }),
    appointment: t.field({ type: AppointmentRef, resolve: (o) => o.appointment }),
    warnings: t.field({ type: [WarningRef], resolve: (o) => o.warnings }),
  }),
});

const PayloadRef = builder.objectRef<{ appointment: Appointment; warnings: SchedulingWarning[]; following?: Occurrence[] }>("AppointmentPayload").implement({
  fields: (t) => ({
    appointment: t.field({ type: AppointmentRef, resolve: (p) => p.appointment }),
    warnings: t.field({ type: [WarningRef], resolve: (p) => p.warnings }),
    following: t.field({
      type: [OccurrenceRef],
      description: "The later sessions of its series changed with it (scope THIS_AND_FOLLOWING), each with its warnings.",
      resolve: (p) => p.following ?? [],
    }),
  }),
});

const SeriesPayloadRef = builder.objectRef<{ series: AppointmentSeries; occurrences: Occurrence[] }>("AppointmentSeriesPayload").implement({
  fields: (t) => ({
    series: t.field({ type: SeriesRef, resolve: (p) => p.series }),
    occurrences: t.field({ type: [OccurrenceRef], description: "Every session made, in time order, each with its warnings.", resolve: (p) => p.occurrences }),
  }),
});

const SeriesScopeEnum = builder.enumType("SeriesScope", {
  values: {
    ONLY_THIS: { description: "Only this session (it stays in its series)." },
    THIS_AND_FOLLOWING: { description: "This session and the later ones of its series that are still scheduled." },
  },
});

const RepeatInput = builder.inputType("RepeatInput", {
  description: "Give either until or count.",
  fields: (t) => ({
    everyWeeks: t.int({ description: `1 to ${MAX_SERIES_WEEKS}.` }),
    until: t.field({ type: "LocalDate", required: false, description: "The last date a session may fall on." }),
    count: t.int({ required: false, description: `The number of sessions (at most ${MAX_SERIES_OCCURRENCES}).` }),
  }),
});

const TimeFields = {
  startsAt: "ISO-8601 with offset, e.g. 2026-11-21T09:30:00+01:00.",
  date: "Or a local date in the workspace time zone...",
  time: "...with a 24-hour HH:mm start (default: the workspace's default time).",
};

type InputFields = PothosSchemaTypes.InputFieldBuilder<typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never, "InputObject">;

/** A new session's fields; a series takes the same for its first session, beside its repeat rule. */
const newAppointmentFields = (t: InputFields) => ({
  name: t.string(),
  // IDs read as text: a form with no client chosen sends "", and an ID of no client, member or
  // service is answered as a problem at its field, not as a request error.
  clientId: t.id({ description: "A Client's ID." }),
  staffId: t.id({ required: false, description: "A User's ID. Default: you." }),
  serviceId: t.id({ required: false, description: "An AppointmentService's ID." }),
  startsAt: t.string({ required: false, description: TimeFields.startsAt }),
  date: t.field({ type: "LocalDate", required: false, description: TimeFields.date }),
  time: t.string({ required: false, description: TimeFields.time }),
  durationMinutes: t.int({ required: false, description: "At least 1; default from the workspace settings (60)." }),
  status: t.field({ type: AppointmentStatusEnum, required: false }),
  adminNotes: t.string({ required: false }),
  fields: t.field({ type: "JSON", required: false, description: "Pre-session field values by key." }),
});

const NewAppointmentInput = builder.inputType("NewAppointmentInput", { fields: newAppointmentFields });

const AppointmentChangesInput = builder.inputType("AppointmentChangesInput", {
  description: "Only what is given changes. Moving by date alone keeps the local start time.",
  fields: (t) => ({
    name: t.string({ required: false }),
    clientId: t.id({ required: false, description: "A Client's ID." }),
    staffId: t.id({ required: false, description: "A User's ID." }),
    serviceId: t.id({ required: false, description: "An AppointmentService's ID; null: none." }),
    startsAt: t.string({ required: false, description: TimeFields.startsAt }),
    date: t.field({ type: "LocalDate", required: false, description: TimeFields.date }),
    time: t.string({ required: false, description: TimeFields.time }),
    durationMinutes: t.int({ required: false }),
    status: t.field({ type: AppointmentStatusEnum, required: false }),
    adminNotes: t.string({ required: false }),
  }),
});

/** An ID argument as the text sent (GraphQL may hand an ID over as a number); null and undefined stay. */
export const text = (id: string | number | null | undefined) => (id == null ? id : String(id));

builder.mutationField("createAppointment", (t) =>
  t.field({
    type: PayloadRef,
    description: "Schedules a session (with its pre-session values). Outside working hours or overlapping: saved, with warnings.",
    authScopes: { permission: "session.create" },
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: NewAppointmentInput }) },
    resolve: (_r, { input }, ctx) =>
      createAppointment(ctx, { ...input, clientId: String(input.clientId), staffId: text(input.staffId), serviceId: text(input.serviceId) }),
  }),
);

const SCOPE = "For a session of a series (default ONLY_THIS).";

const NewAppointmentSeriesInput = builder.inputType("NewAppointmentSeriesInput", {
  description: "The first session, as for createAppointment, and how it repeats.",
  fields: (t) => ({ ...newAppointmentFields(t), repeat: t.field({ type: RepeatInput }) }),
});

builder.mutationField("createAppointmentSeries", (t) =>
  t.field({
    type: SeriesPayloadRef,
    description: "Schedules recurring sessions, all or none. Each overlapping or outside working hours is saved, with its warnings.",
    authScopes: { permission: "session.create" },
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: NewAppointmentSeriesInput }) },
    resolve: (_r, { input }, ctx) =>
      createAppointmentSeries(ctx, { ...input, clientId: String(input.clientId), staffId: text(input.staffId), serviceId: text(input.serviceId) }),
  }),
);

builder.mutationField("updateAppointment", (t) =>
  t.fieldWithInput({
    type: PayloadRef,
    description: "Edits name, time, duration, status, client, staff, service or notes. A session on an invoice that is not void keeps its name, time, duration, status, client and service (ConflictError) until the invoice is voided.",
    authScopes: { permission: "session.update" },
    errors: { types: [ValidationError, NotFoundError, ConflictError] },
    input: { id: t.input.globalID({ for: AppointmentRef }), changes: t.input.field({ type: AppointmentChangesInput }), scope: t.input.field({ type: SeriesScopeEnum, required: false, description: SCOPE }) },
    resolve: (_r, { input: { id, changes, scope } }, ctx) =>
      updateAppointment(
        ctx,
        id.id,
        { ...changes, clientId: text(changes.clientId), staffId: text(changes.staffId), serviceId: text(changes.serviceId) },
        scope ?? "ONLY_THIS",
      ),
  }),
);

builder.mutationField("setAppointmentStatus", (t) =>
  t.fieldWithInput({
    type: PayloadRef,
    description: "Usually SCHEDULED -> IN_PROGRESS -> COMPLETED; CANCELLED at any time. Any status may be set by hand, except on a session on an invoice that is not void (ConflictError).",
    authScopes: { permission: "session.update" },
    errors: { types: [NotFoundError, ConflictError] },
    input: { id: t.input.globalID({ for: AppointmentRef }), status: t.input.field({ type: AppointmentStatusEnum }), scope: t.input.field({ type: SeriesScopeEnum, required: false, description: SCOPE }) },
    resolve: (_r, { input: { id, status, scope } }, ctx) => updateAppointment(ctx, id.id, { status: status as AppointmentStatus }, scope ?? "ONLY_THIS"),
  }),
);

builder.mutationField("saveAppointmentFields", (t) =>
  t.fieldWithInput({
    type: AppointmentRef,
    description: "Saves one phase's values (all of that phase's active fields; those left out are cleared). Other phases are untouched.",
    authScopes: { permission: "session.update" },
    errors: { types: [ValidationError, NotFoundError] },
    input: { id: t.input.globalID({ for: AppointmentRef }), phase: t.input.field({ type: FieldTargetEnum }), fields: t.input.field({ type: "JSON" }) },
    resolve: (_r, { input: args }, ctx) => saveAppointmentFields(ctx, args.id.id, args.phase, args.fields),
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
    resolve: async (_r, { input: { id } }, ctx) => ({ id: (await deleteAppointment(ctx, id.id)).id }),
  }),
);

builder.mutationField("deleteAppointmentAttachment", (t) =>
  t.fieldWithInput({
    type: AttachmentRef,
    description: "Removes a file from a session (a file field still naming it then fails validation on its next save).",
    authScopes: { permission: "session.update" },
    errors: { types: [NotFoundError] },
    input: { id: t.input.globalID({ for: AttachmentRef }) },
    resolve: (_r, { input: args }, ctx) => deleteAttachment(ctx, args.id.id),
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
