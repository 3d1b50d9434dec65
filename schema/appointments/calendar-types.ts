// The calendar as GraphQL: the day, week and month views, the list, free slots and each client's
// session history, all with the same filters.
import { resolveOffsetPage } from "../common/pages.js";
import type { AppointmentStatus } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { ClientRef } from "../clients/types.js";
import { ValidationError } from "../common/errors.js";
import { appointmentsBetween, CALENDAR_LIMIT, calendarOf, clientHistory, freeTime } from "./calendar.js";
import type { CalendarView } from "./rules.js";
import type { AppointmentFilter } from "./service.js";
import { AppointmentRef, AppointmentStatusEnum, text, type Loaded } from "./types.js";
import { upperSnake } from "../common/enums.js";

const CalendarViewEnum = builder.enumType("CalendarView", { values: upperSnake(["day", "week", "month"]) });

const FieldFilterInput = builder.inputType("FieldFilterInput", {
  fields: (t) => ({
    key: t.string({ description: "A filterable field's key." }),
    value: t.field({ type: "JSON", description: "Equal to (a multi-select: contains) this value." }),
  }),
});

const AppointmentFilterInput = builder.inputType("AppointmentFilter", {
  fields: (t) => ({
    // IDs read as text: one of no client or member is a problem at its field, not a request error.
    clientId: t.id({ required: false, description: "A Client's ID." }),
    staffId: t.id({ required: false, description: "A User's ID." }),
    statuses: t.field({ type: [AppointmentStatusEnum], required: false }),
    fields: t.field({ type: [FieldFilterInput], required: false }),
  }),
});

function toFilter(f: typeof AppointmentFilterInput.$inferInput | null | undefined): AppointmentFilter {
  return { clientId: text(f?.clientId), staffId: text(f?.staffId), statuses: f?.statuses as AppointmentStatus[] | undefined, fields: f?.fields };
}

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
    resolve: (_r, args, ctx) => calendarOf(ctx, args.view as CalendarView, args.date, toFilter(args.filter)),
  }),
);

builder.queryField("appointments", (t) =>
  t.connection({
    type: AppointmentRef,
    description: "The list view: sessions overlapping local dates [from, to] with the calendar's filters, in time order.",
    authScopes: { permission: "session.read" },
    errors: { types: [ValidationError] },
    args: { from: t.arg({ type: "LocalDate" }), to: t.arg({ type: "LocalDate" }), filter: t.arg({ type: AppointmentFilterInput, required: false }) },
    resolve: (_r, args, ctx) =>
      resolveOffsetPage({ args }, (page) => appointmentsBetween(ctx, args.from, args.to, toFilter(args.filter), page)),
  }),
);

const SlotRef = builder.objectRef<{ start: Date; end: Date }>("TimeSlot").implement({
  fields: (t) => ({ start: t.expose("start", { type: "DateTime" }), end: t.expose("end", { type: "DateTime" }) }),
});

builder.queryField("freeSlots", (t) =>
  t.field({
    type: [SlotRef],
    description: "A staff member's free time slots within working hours for local dates [from, to] (at most 31 days), from now on: a slot that has begun is not listed.",
    authScopes: { permission: "session.read" },
    errors: { types: [ValidationError] },
    args: {
      staffId: t.arg.id({ required: false, description: "A User's ID. Default: you." }),
      from: t.arg({ type: "LocalDate" }),
      to: t.arg({ type: "LocalDate" }),
      slotMinutes: t.arg.int({ required: false, description: "Default: the workspace's slot size." }),
    },
    resolve: (_r, args, ctx) => freeTime(ctx, { ...args, staffId: text(args.staffId) }),
  }),
);

builder.objectField(ClientRef, "appointments", (t) =>
  t.connection({
    type: AppointmentRef,
    description: "Session history of this client, newest first (what the viewer may see).",
    authScopes: { permission: "session.read" },
    resolve: (c, args, ctx) => resolveOffsetPage({ args }, (page) => clientHistory(ctx, c.id, page)),
  }),
);
