// Apps with their write keys, and the business event and flow definitions of each app.
import { randomBytes } from "node:crypto";
import { resolveArrayConnection } from "@pothos/plugin-relay";
import type { AnalyticsApp, BusinessEventDefinition, FlowDefinition } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { rowsWhere } from "../common/policy.js";
import type { Context } from "../common/context.js";
import { NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { saveWorkspaceSettings } from "../identity/service.js";
import { hashSecret } from "../identity/secrets.js";
import { scheduleReenrich } from "./enrichment.js";
import { analyticsSettings, CONDITION_OPS, retentionProblem, type AnalyticsSettings, type Condition } from "./rules.js";
import { upperSnake } from "../common/enums.js";

export const AnalyticsAppRef = builder.objectRef<AnalyticsApp>("AnalyticsApp");
const BusinessEventDefinitionRef = builder.objectRef<BusinessEventDefinition>("BusinessEventDefinition");
const FlowDefinitionRef = builder.objectRef<FlowDefinition>("FlowDefinition");

const ConditionOpEnum = builder.enumType("ConditionOp", {
  values: upperSnake({
    eq: { description: "The property equals the value." },
    neq: { description: "The property differs from the value (or is missing)." },
    exists: { description: "The property is present and not null." },
    contains: { description: "The property is text containing the value, ignoring case." },
    gt: { description: "The property is a number greater than the value." },
    lt: { description: "The property is a number less than the value." },
  }),
});

const ConditionRef = builder.objectRef<Condition>("PropertyCondition").implement({
  fields: (t) => ({
    property: t.exposeString("property", { description: 'Dotted path into the raw event\'s properties, e.g. "plan.name".' }),
    op: t.field({ type: ConditionOpEnum, resolve: (c) => c.op }),
    value: t.field({ type: "JSON", nullable: true, resolve: (c) => c.value ?? null }),
  }),
});

const ConditionInput = builder.inputType("PropertyConditionInput", {
  fields: (t) => ({
    property: t.string(),
    op: t.field({ type: ConditionOpEnum }),
    value: t.field({ type: "JSON", required: false }),
  }),
});

/** Only for apps of the viewer's workspace; anything else is "not found". */
export async function appOf(ctx: Context, id: string) {
  const app = await ctx.db.analyticsApp.findFirst({ where: { id, workspaceId: ctx.viewer!.workspaceId } });
  if (!app) throw new NotFoundError("App");
  return app;
}

const newWriteKey = () => "sp_wk_" + randomBytes(24).toString("base64url");

/** A name taken (also by a concurrent request) hits the unique index: reported as a problem of the name at `path`. */
async function uniqueName<T>(write: () => Promise<T>, path: string, message: string): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw ValidationError.field(path, message);
    throw error;
  }
}

builder.node(AnalyticsAppRef, {
  id: { resolve: (a) => a.id },
  loadOne: (id, ctx) => ctx.db.analyticsApp.findFirst({ where: { id, ...rowsWhere(ctx.viewer, "analyticsApp") } }),
  fields: (t) => ({
    name: t.exposeString("name"),
    internal: t.exposeBoolean("internal", { description: "All of this app's sessions are flagged internal." }),
    internalUserIds: t.exposeStringList("internalUserIds", { description: "End users of the team itself: their sessions are flagged internal." }),
    retentionMonths: t.exposeInt("retentionMonths", {
      nullable: true,
      description:
        "Raw events are kept for the current month and this many whole months before it, then deleted (daily, a month at a time); null keeps them. Sessions stay, with the business events, flow outcomes and summary they were finalised with.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    businessEventDefinitions: t.field({
      type: [BusinessEventDefinitionRef],
      resolve: (a, _x, ctx) => ctx.db.businessEventDefinition.findMany({ where: { appId: a.id }, orderBy: [{ createdAt: "asc" }, { name: "asc" }] }),
    }),
    flowDefinitions: t.field({
      type: [FlowDefinitionRef],
      resolve: (a, _x, ctx) => ctx.db.flowDefinition.findMany({ where: { appId: a.id }, orderBy: [{ createdAt: "asc" }, { name: "asc" }] }),
    }),
  }),
});

builder.node(BusinessEventDefinitionRef, {
  id: { resolve: (d) => d.id },
  loadOne: (id, ctx) =>
    ctx.db.businessEventDefinition.findFirst({ where: { id, app: rowsWhere(ctx.viewer, "analyticsApp") } }),
  fields: (t) => ({
    name: t.exposeString("name", { description: 'The business event, e.g. "Created Project".' }),
    eventName: t.exposeString("eventName", { description: "The raw event it is made from." }),
    conditions: t.field({ type: [ConditionRef], description: "All must hold.", resolve: (d) => d.conditions as unknown as Condition[] }),
    descriptionTemplate: t.exposeString("descriptionTemplate", { description: "{{property}} placeholders are filled from the raw event." }),
    parameters: t.exposeStringList("parameters", { description: "Properties kept as the business event's parameters." }),
    isError: t.exposeBoolean("isError", { description: "Counts as an error (a mistake in flows)." }),
  }),
});

builder.node(FlowDefinitionRef, {
  id: { resolve: (f) => f.id },
  loadOne: (id, ctx) =>
    ctx.db.flowDefinition.findFirst({ where: { id, app: rowsWhere(ctx.viewer, "analyticsApp") } }),
  fields: (t) => ({
    name: t.exposeString("name"),
    steps: t.exposeStringList("steps", { description: "Business event names, in order." }),
    errorEvents: t.exposeStringList("errorEvents", { description: "Business events that count as mistakes in this flow." }),
    repeatedStepIsMistake: t.exposeBoolean("repeatedStepIsMistake"),
    stepBackIsMistake: t.exposeBoolean("stepBackIsMistake"),
  }),
});

builder.queryField("analyticsApps", (t) =>
  t.connection({
    type: AnalyticsAppRef,
    authScopes: { permission: "analytics.read" },
    resolve: async (_r, args, ctx) =>
      resolveArrayConnection({ args }, await ctx.db.analyticsApp.findMany({ where: { workspaceId: ctx.viewer!.workspaceId }, orderBy: { name: "asc" } })),
  }),
);

const CreatedAppPayload = builder.objectRef<{ app: AnalyticsApp; writeKey: string }>("AnalyticsAppWithKey").implement({
  fields: (t) => ({
    app: t.field({ type: AnalyticsAppRef, resolve: (p) => p.app }),
    writeKey: t.exposeString("writeKey", { description: "Shown once; only a hash is stored. Send it as a Bearer token to POST /api/events." }),
  }),
});

function checkApp(args: { name?: string | null; internalUserIds?: string[] | null; retentionMonths?: number | null }) {
  const problems = new Problems();
  const retention = args.retentionMonths === undefined ? null : retentionProblem(args.retentionMonths);
  if (retention) problems.add("retentionMonths", retention);
  if (args.name != null && !args.name.trim()) problems.add("name", "Required");
  if (args.name != null && args.name.trim().length > 100) problems.add("name", "At most 100 characters");
  args.internalUserIds?.forEach((u, i) => !u.trim() && problems.add(`internalUserIds.${i}`, "Must not be empty"));
  problems.throwIfAny();
}

builder.mutationField("createAnalyticsApp", (t) =>
  t.fieldWithInput({
    type: CreatedAppPayload,
    authScopes: { permission: "analytics.manage" },
    errors: { types: [ValidationError] },
    input: {
      name: t.input.string(),
      internal: t.input.boolean({ required: false, defaultValue: false }),
      internalUserIds: t.input.stringList({ required: false, defaultValue: [] }),
    },
    resolve: async (_r, { input: args }, ctx) => {
      checkApp(args);
      const writeKey = newWriteKey();
      const app = await uniqueName(
        () =>
          ctx.db.analyticsApp.create({
            data: { workspaceId: ctx.viewer!.workspaceId, name: args.name.trim(), internal: args.internal ?? false, internalUserIds: args.internalUserIds ?? [], writeKeyHash: hashSecret(writeKey) },
          }),
        "name",
        "An app with this name exists",
      );
      return { app, writeKey };
    },
  }),
);

builder.mutationField("updateAnalyticsApp", (t) =>
  t.fieldWithInput({
    type: AnalyticsAppRef,
    description: "Changes an app. Flags apply to sessions from then on; a shorter retention deletes older raw events at the next daily run.",
    authScopes: { permission: "analytics.manage" },
    errors: { types: [ValidationError, NotFoundError] },
    input: {
      id: t.input.globalID({ for: AnalyticsAppRef }),
      name: t.input.string({ required: false }),
      internal: t.input.boolean({ required: false }),
      internalUserIds: t.input.stringList({ required: false }),
      retentionMonths: t.input.int({ required: false, description: "1 to 120; null keeps raw events forever; left out, unchanged." }),
    },
    resolve: async (_r, { input: args }, ctx) => {
      checkApp(args);
      const app = await appOf(ctx, args.id.id);
      return uniqueName(
        () =>
          ctx.db.analyticsApp.update({
            where: { id: app.id },
            data: { name: args.name?.trim(), internal: args.internal ?? undefined, internalUserIds: args.internalUserIds ?? undefined, retentionMonths: args.retentionMonths },
          }),
        "name",
        "An app with this name exists",
      );
    },
  }),
);

builder.mutationField("rotateAnalyticsWriteKey", (t) =>
  t.fieldWithInput({
    type: CreatedAppPayload,
    description: "A new write key; the old one stops working within seconds.",
    authScopes: { permission: "analytics.manage" },
    errors: { types: [NotFoundError] },
    input: { id: t.input.globalID({ for: AnalyticsAppRef }) },
    resolve: async (_r, { input: args }, ctx) => {
      const app = await appOf(ctx, args.id.id);
      const writeKey = newWriteKey();
      return { app: await ctx.db.analyticsApp.update({ where: { id: app.id }, data: { writeKeyHash: hashSecret(writeKey) } }), writeKey };
    },
  }),
);

builder.mutationField("deleteAnalyticsApp", (t) =>
  t.fieldWithInput({
    type: AnalyticsAppRef,
    description: "Deletes the app with its sessions and definitions; returns the app as it was.",
    authScopes: { permission: "analytics.manage" },
    errors: { types: [NotFoundError] },
    input: { id: t.input.globalID({ for: AnalyticsAppRef }) },
    resolve: async (_r, { input: args }, ctx) => {
      const app = await appOf(ctx, args.id.id);
      // Raw events and their ids have no foreign key (bulk ingestion); they go with their app explicitly,
      // after it. Deleting the app waits for a batch being stored (its sessions hold the app's key or
      // their own rows), so the deletes that follow see that batch's events; a batch after it fails
      // on its sessions' foreign key and stores nothing.
      await ctx.db.$transaction([
        ctx.db.analyticsApp.delete({ where: { id: app.id } }),
        ctx.db.rawEvent.deleteMany({ where: { appId: app.id } }),
        ctx.db.analyticsEventId.deleteMany({ where: { appId: app.id } }),
      ]);
      return app;
    },
  }),
);

export const BusinessEventDefinitionInput = builder.inputType("BusinessEventDefinitionInput", {
  fields: (t) => ({
    name: t.string({ description: 'The business event, e.g. "Created Project".' }),
    eventName: t.string({ description: "The raw event it is made from." }),
    conditions: t.field({ type: [ConditionInput], required: false, defaultValue: [] }),
    descriptionTemplate: t.string({ required: false, defaultValue: "" }),
    parameters: t.stringList({ required: false, defaultValue: [] }),
    isError: t.boolean({ required: false, defaultValue: false }),
  }),
});

type DefinitionInput = typeof BusinessEventDefinitionInput.$inferInput;

/** Where the mutations and previews take a definition: `input.definition`, beside the app or the id. */
const DEFINITION = "input.definition";
const DEFINITION_NAME = `${DEFINITION}.name`;

/** A definition's problems, each at its path within `input.definition`. */
class DefinitionProblems extends Problems {
  override add(field: string, message: string) {
    super.add(`${DEFINITION}.${field}`, message);
  }
}

export function definitionData(input: DefinitionInput) {
  const problems = new DefinitionProblems();
  const name = input.name.trim();
  const eventName = input.eventName.trim();
  if (!name || name.length > 100) problems.add("name", "1 to 100 characters");
  if (!eventName || eventName.length > 200) problems.add("eventName", "1 to 200 characters");
  (input.conditions ?? []).forEach((c, i) => {
    if (!c.property.trim()) problems.add(`conditions.${i}.property`, "Required");
    if (!CONDITION_OPS.includes(c.op)) problems.add(`conditions.${i}.op`, "Unknown operator");
    if (c.op !== "exists" && c.value === undefined) problems.add(`conditions.${i}.value`, "Required for this operator");
    if ((c.op === "gt" || c.op === "lt") && typeof c.value !== "number") problems.add(`conditions.${i}.value`, "Must be a number");
  });
  (input.parameters ?? []).forEach((p, i) => !p.trim() && problems.add(`parameters.${i}`, "Must not be empty"));
  problems.throwIfAny();
  return {
    name,
    eventName,
    conditions: (input.conditions ?? []).map((c) => ({ property: c.property.trim(), op: c.op, ...(c.value === undefined ? {} : { value: c.value }) })) as object[],
    descriptionTemplate: input.descriptionTemplate ?? "",
    parameters: (input.parameters ?? []).map((p) => p.trim()),
    isError: input.isError ?? false,
  };
}

/** A definition changed: the app's recent sessions are worked out again with it (in the background). */
async function reenrichAfter<T extends { appId: string }>(ctx: Context, definition: T): Promise<T> {
  await scheduleReenrich(ctx, definition.appId);
  return definition;
}

builder.mutationField("createBusinessEventDefinition", (t) =>
  t.fieldWithInput({
    type: BusinessEventDefinitionRef,
    description: "Which raw events of an app become this business event. The app's sessions of the last 30 days are worked out again.",
    authScopes: { permission: "analytics.manage" },
    errors: { types: [ValidationError, NotFoundError] },
    input: { appId: t.input.globalID({ for: AnalyticsAppRef }), definition: t.input.field({ type: BusinessEventDefinitionInput }) },
    resolve: async (_r, { input: args }, ctx) => {
      const data = definitionData(args.definition);
      const app = await appOf(ctx, args.appId.id);
      return reenrichAfter(ctx, await uniqueName(() => ctx.db.businessEventDefinition.create({ data: { appId: app.id, ...data } }), DEFINITION_NAME, "This app has a business event with this name"));
    },
  }),
);

builder.mutationField("updateBusinessEventDefinition", (t) =>
  t.fieldWithInput({
    type: BusinessEventDefinitionRef,
    authScopes: { permission: "analytics.manage" },
    errors: { types: [ValidationError, NotFoundError] },
    input: { id: t.input.globalID({ for: BusinessEventDefinitionRef }), definition: t.input.field({ type: BusinessEventDefinitionInput }) },
    resolve: async (_r, { input: args }, ctx) => {
      const data = definitionData(args.definition);
      const found = await ctx.db.businessEventDefinition.findFirst({ where: { id: args.id.id, app: { workspaceId: ctx.viewer!.workspaceId } } });
      if (!found) throw new NotFoundError("Business event definition");
      return reenrichAfter(ctx, await uniqueName(() => ctx.db.businessEventDefinition.update({ where: { id: found.id }, data }), DEFINITION_NAME, "This app has a business event with this name"));
    },
  }),
);

export const FlowDefinitionInput = builder.inputType("FlowDefinitionInput", {
  fields: (t) => ({
    name: t.string(),
    steps: t.stringList({ description: "Business event names, in order; at least two." }),
    errorEvents: t.stringList({ required: false, defaultValue: [] }),
    repeatedStepIsMistake: t.boolean({ required: false, defaultValue: true }),
    stepBackIsMistake: t.boolean({ required: false, defaultValue: true }),
  }),
});

export async function flowData(ctx: Context, appId: string, input: typeof FlowDefinitionInput.$inferInput) {
  const problems = new DefinitionProblems();
  const name = input.name.trim();
  if (!name || name.length > 100) problems.add("name", "1 to 100 characters");
  const defined = new Set((await ctx.db.businessEventDefinition.findMany({ where: { appId }, select: { name: true } })).map((d) => d.name));
  const steps = input.steps.map((s) => s.trim());
  if (steps.length < 2) problems.add("steps", "At least two steps");
  steps.forEach((s, i) => {
    if (!defined.has(s)) problems.add(`steps.${i}`, `No business event named "${s}" in this app`);
    else if (steps.indexOf(s) !== i) problems.add(`steps.${i}`, "Each step once");
  });
  const errorEvents = (input.errorEvents ?? []).map((s) => s.trim());
  errorEvents.forEach((s, i) => !defined.has(s) && problems.add(`errorEvents.${i}`, `No business event named "${s}" in this app`));
  problems.throwIfAny();
  return { name, steps, errorEvents, repeatedStepIsMistake: input.repeatedStepIsMistake ?? true, stepBackIsMistake: input.stepBackIsMistake ?? true };
}

builder.mutationField("createFlowDefinition", (t) =>
  t.fieldWithInput({
    type: FlowDefinitionRef,
    description: "An ordered list of business-event steps whose outcome is worked out for every session.",
    authScopes: { permission: "analytics.manage" },
    errors: { types: [ValidationError, NotFoundError] },
    input: { appId: t.input.globalID({ for: AnalyticsAppRef }), definition: t.input.field({ type: FlowDefinitionInput }) },
    resolve: async (_r, { input: args }, ctx) => {
      const app = await appOf(ctx, args.appId.id);
      const data = await flowData(ctx, app.id, args.definition);
      return reenrichAfter(ctx, await uniqueName(() => ctx.db.flowDefinition.create({ data: { appId: app.id, ...data } }), DEFINITION_NAME, "This app has a flow with this name"));
    },
  }),
);

builder.mutationField("updateFlowDefinition", (t) =>
  t.fieldWithInput({
    type: FlowDefinitionRef,
    authScopes: { permission: "analytics.manage" },
    errors: { types: [ValidationError, NotFoundError] },
    input: { id: t.input.globalID({ for: FlowDefinitionRef }), definition: t.input.field({ type: FlowDefinitionInput }) },
    resolve: async (_r, { input: args }, ctx) => {
      const found = await ctx.db.flowDefinition.findFirst({ where: { id: args.id.id, app: { workspaceId: ctx.viewer!.workspaceId } } });
      if (!found) throw new NotFoundError("Flow definition");
      const data = await flowData(ctx, found.appId, args.definition);
      return reenrichAfter(ctx, await uniqueName(() => ctx.db.flowDefinition.update({ where: { id: found.id }, data }), DEFINITION_NAME, "This app has a flow with this name"));
    },
  }),
);

for (const [field, ref, what] of [
  ["deleteBusinessEventDefinition", BusinessEventDefinitionRef, "Business event definition"],
  ["deleteFlowDefinition", FlowDefinitionRef, "Flow definition"],
] as const) {
  builder.mutationField(field, (t) =>
    t.fieldWithInput({
      type: ref as typeof BusinessEventDefinitionRef,
      description: `Deletes a ${what.toLowerCase()}; the app's sessions of the last 30 days are worked out again.`,
      authScopes: { permission: "analytics.manage" },
      errors: { types: [NotFoundError] },
      input: { id: t.input.globalID({ for: ref as typeof BusinessEventDefinitionRef }) },
      resolve: async (_r, { input: args }, ctx) => {
        const where = { id: args.id.id, app: { workspaceId: ctx.viewer!.workspaceId } };
        const table = (ref === FlowDefinitionRef ? ctx.db.flowDefinition : ctx.db.businessEventDefinition) as typeof ctx.db.businessEventDefinition;
        const found = await table.findFirst({ where });
        if (!found) throw new NotFoundError(what);
        await table.deleteMany({ where: { id: found.id } });
        return reenrichAfter(ctx, found);
      },
    }),
  );
}

const SettingsRef = builder.objectRef<AnalyticsSettings>("AnalyticsSettings").implement({
  fields: (t) => ({
    inactivityMinutes: t.exposeInt("inactivityMinutes", { description: "A user's new session starts after this long without events." }),
  }),
});

builder.queryField("analyticsSettings", (t) =>
  t.field({
    type: SettingsRef,
    authScopes: { permission: "analytics.read" },
    resolve: async (_r, _a, ctx) => analyticsSettings((await ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.viewer!.workspaceId } })).settings),
  }),
);

builder.mutationField("updateAnalyticsSettings", (t) =>
  t.fieldWithInput({
    type: SettingsRef,
    description: "Applies to events from then on; sessions already stored keep their bounds.",
    authScopes: { permission: "analytics.manage" },
    errors: { types: [ValidationError] },
    input: { inactivityMinutes: t.input.int() },
    resolve: async (_r, { input: args }, ctx) => {
      if (args.inactivityMinutes < 1 || args.inactivityMinutes > 24 * 60) throw ValidationError.field("inactivityMinutes", "1 to 1440 minutes");
      await saveWorkspaceSettings(ctx, ctx.viewer!.workspaceId, "analytics", { inactivityMinutes: args.inactivityMinutes });
      return { inactivityMinutes: args.inactivityMinutes };
    },
  }),
);
