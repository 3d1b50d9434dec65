// Previews of unsaved definitions against an app's sessions of the last day: what a definition
// would find before it is saved (and before 30 days of sessions are worked out again with it).
import type { InputObjectRef, ObjectRef } from "@pothos/core";
import { builder } from "../builder.js";
import type { Context } from "../common/context.js";
import { NotFoundError, ValidationError } from "../common/errors.js";
import { rawEventsOf } from "./enrichment.js";
import { AnalyticsAppRef, appOf, BusinessEventDefinitionInput, definitionData, flowData, FlowDefinitionInput } from "./apps.js";
import { previewBusinessEvent, previewFlow, type BusinessEventPreview, type Condition, type FlowPreview, type RawForMatching } from "./rules.js";

const PREVIEW_HOURS = 24;
/** A preview reads every raw event of the sessions it looks at: the newest this many are enough to judge by. */
const PREVIEW_SESSIONS = 2000;

/** The raw events of each of the app's sessions with an event in the last day (newest sessions first). */
async function recentSessions(ctx: Context, appId: string, now = new Date()): Promise<RawForMatching[][]> {
  const since = new Date(now.getTime() - PREVIEW_HOURS * 3600_000);
  const sessions = await ctx.db.userSession.findMany({
    where: { appId, lastEventAt: { gte: since } },
    orderBy: [{ lastEventAt: "desc" }, { id: "asc" }],
    take: PREVIEW_SESSIONS,
    select: { id: true, appId: true, startedAt: true, lastEventAt: true },
  });
  const raw = await rawEventsOf(ctx.db, sessions);
  const bySession = new Map<string, RawForMatching[]>(sessions.map((s) => [s.id, []]));
  for (const r of raw) bySession.get(r.sessionId)?.push({ ...r, properties: r.properties as Record<string, unknown> });
  return [...bySession.values()];
}

const DESCRIPTION = `Looks at the app's sessions with an event in the last ${PREVIEW_HOURS} hours (the newest ${PREVIEW_SESSIONS}); nothing is saved.`;

const BusinessEventPreviewRef = builder.objectRef<BusinessEventPreview>("BusinessEventDefinitionPreview").implement({
  fields: (t) => ({
    sessions: t.exposeInt("sessions", { description: "Sessions looked at." }),
    matchingSessions: t.exposeInt("matchingSessions", { description: "Sessions with at least one such business event." }),
    matches: t.exposeInt("matches", { description: "Business events it would make in them." }),
  }),
});

export const DropOffStepRef = builder.objectRef<FlowPreview["dropOffSteps"][number]>("FlowDropOffStep").implement({
  fields: (t) => ({
    step: t.exposeString("step", { description: "The last step reached before dropping off." }),
    sessions: t.exposeInt("sessions", { description: "Sessions that dropped off there." }),
  }),
});

const FlowPreviewRef = builder.objectRef<FlowPreview>("FlowDefinitionPreview").implement({
  fields: (t) => ({
    sessions: t.exposeInt("sessions", { description: "Sessions looked at." }),
    started: t.exposeInt("started", { description: "Sessions that reached the first step." }),
    completed: t.exposeInt("completed", { description: "Reached the last step without mistakes." }),
    withMistakes: t.exposeInt("withMistakes", { description: "Reached the last step with mistakes." }),
    droppedOff: t.exposeInt("droppedOff", { description: "Started but never reached the last step." }),
    dropOffSteps: t.field({ type: [DropOffStepRef], resolve: (p) => p.dropOffSteps }),
  }),
});

type Types = typeof builder.$inferSchemaTypes;

/** A preview root field: the app and the unsaved definition in, what it would find out. */
function previewField<Found extends object, Definition>(
  name: string,
  found: ObjectRef<Types, Found>,
  definitionInput: InputObjectRef<Types, Definition>,
  description: string,
  preview: (ctx: Context, appId: string, definition: Definition) => Promise<Found>,
) {
  builder.queryField(name, (t) =>
    t.fieldWithInput({
      type: found,
      description: `${description} ${DESCRIPTION}`,
      authScopes: { permission: "analytics.manage" },
      errors: { types: [ValidationError, NotFoundError] },
      input: { appId: t.input.globalID({ for: AnalyticsAppRef }), definition: t.input.field({ type: definitionInput, required: true }) },
      // Pothos can't follow a generic input type through to the arguments: they are what `input` declares.
      resolve: (_r, args, ctx) => {
        const { appId, definition } = (args as unknown as { input: { appId: { id: string }; definition: Definition } }).input;
        return preview(ctx, appId.id, definition) as never;
      },
    }),
  );
}

previewField("previewBusinessEventDefinition", BusinessEventPreviewRef, BusinessEventDefinitionInput, "What an unsaved business-event definition would find.", async (ctx, appId, definition) => {
  const data = definitionData(definition);
  const app = await appOf(ctx, appId);
  return previewBusinessEvent(await recentSessions(ctx, app.id), { ...data, conditions: data.conditions as Condition[] });
});

previewField("previewFlowDefinition", FlowPreviewRef, FlowDefinitionInput, "How sessions would go through an unsaved flow, with the app's saved business events.", async (ctx, appId, definition) => {
  const app = await appOf(ctx, appId);
  const flow = await flowData(ctx, app.id, definition);
  const [sessions, definitions] = await Promise.all([
    recentSessions(ctx, app.id),
    ctx.db.businessEventDefinition.findMany({ where: { appId: app.id }, orderBy: [{ createdAt: "asc" }, { name: "asc" }] }),
  ]);
  const rules = definitions.map((d) => ({ ...d, conditions: d.conditions as unknown as Condition[] }));
  return previewFlow(sessions, rules, { id: "preview", ...flow });
});
