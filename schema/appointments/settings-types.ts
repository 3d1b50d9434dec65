// Client-session settings as GraphQL: defaults for new sessions, calendar slots, automatic status
// and what calendar feeds show.
import { builder } from "../builder.js";
import { ValidationError } from "../common/errors.js";
import { updateAppointmentSettings, workspaceOf } from "./service.js";
import { appointmentSettings } from "./settings.js";
import { AppointmentStatusEnum } from "./types.js";

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
    resolve: (_r, { input }, ctx) => updateAppointmentSettings(ctx, input),
  }),
);
