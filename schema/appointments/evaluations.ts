// Client evaluations: their own custom fields (evaluation.fields.manage), linked to sessions.
import type { Evaluation } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import type { Context } from "../common/context.js";
import { NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { resolveOffsetPage } from "../common/pages.js";
import { localId } from "../common/input-limits.js";
import { ClientRef } from "../clients/types.js";
import { checkPhaseValues } from "./service.js";
import { rowsWhere } from "../common/policy.js";
import { AppointmentRef } from "./types.js";

export const EvaluationRef = builder.objectRef<Evaluation>("Evaluation");

builder.node(EvaluationRef, {
  id: { resolve: (e) => e.id },
  loadOne: (id, ctx) => ctx.db.evaluation.findFirst({ where: { id, ...rowsWhere(ctx.viewer, "evaluation") } }),
  fields: (t) => ({
    title: t.exposeString("title"),
    client: t.field({ type: ClientRef, resolve: (e, _a, ctx) => ctx.db.client.findUniqueOrThrow({ where: { id: e.clientId } }) }),
    appointment: t.field({
      type: AppointmentRef,
      nullable: true,
      description: "The session it was made in, if the viewer may see it.",
      resolve: (e, _a, ctx) => (e.appointmentId ? ctx.db.appointment.findFirst({ where: { id: e.appointmentId, ...rowsWhere(ctx.viewer!, "appointment") } }) : null),
    }),
    fieldValues: t.field({ type: "JSON", resolve: (e) => e.fieldValues }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.objectField(AppointmentRef, "evaluations", (t) =>
  t.field({
    type: [EvaluationRef],
    resolve: (a, _x, ctx) => ctx.db.evaluation.findMany({ where: { appointmentId: a.id, ...rowsWhere(ctx.viewer, "evaluation") }, orderBy: { createdAt: "asc" } }),
  }),
);

builder.objectField(ClientRef, "evaluations", (t) =>
  t.connection({
    type: EvaluationRef,
    description: "Newest first; without team.read only those made in your own sessions.",
    authScopes: { permission: "session.read" },
    resolve: (c, args, ctx) =>
      resolveOffsetPage({ args }, ({ limit, offset }) =>
        ctx.db.evaluation.findMany({ where: { clientId: c.id, ...rowsWhere(ctx.viewer, "evaluation") }, orderBy: [{ createdAt: "desc" }, { id: "asc" }], skip: offset, take: limit }),
      ),
  }),
);

async function checkValues(ctx: Context, values: unknown, appointmentId: string | null, problems: Problems) {
  const { problems: found } = await checkPhaseValues(ctx.db, ctx.viewer!, ["evaluation"], values, { appointmentId });
  problems.list.push(...found);
}

builder.mutationField("saveEvaluation", (t) =>
  t.fieldWithInput({
    type: EvaluationRef,
    description: "Creates an evaluation of a client (optionally linked to one of their sessions), or replaces one's title and values when `id` is given.",
    authScopes: { permission: "session.update" },
    errors: { types: [ValidationError, NotFoundError] },
    input: {
      id: t.input.globalID({ for: EvaluationRef, required: false }),
      // Read as text: an ID of no client or session is a problem at its field, not a request error.
      clientId: t.input.id({ description: "A Client's ID." }),
      appointmentId: t.input.id({ required: false, description: "An Appointment's ID." }),
      title: t.input.string(),
      fields: t.input.field({ type: "JSON" }),
    },
    resolve: async (_r, { input: args }, ctx) => {
      const viewer = ctx.viewer!;
      const problems = new Problems();
      if (!args.title.trim()) problems.add("title", "Required");
      const clientId = localId(String(args.clientId), "Client");
      const appointmentId = args.appointmentId == null ? null : localId(String(args.appointmentId), "Appointment");
      const client = clientId ? await ctx.db.client.findFirst({ where: { id: clientId, workspaceId: viewer.workspaceId } }) : null;
      if (!client) problems.add("clientId", "No such client in this workspace");
      const session = appointmentId ? await ctx.db.appointment.findFirst({ where: { id: appointmentId, ...rowsWhere(viewer, "appointment") } }) : null;
      if (args.appointmentId != null && !session) problems.add("appointmentId", "No such session");
      else if (session && session.clientId !== clientId) problems.add("appointmentId", "A session of another client");
      await checkValues(ctx, args.fields, session?.id ?? null, problems);
      problems.throwIfAny();
      const data = { clientId: client!.id, appointmentId: session?.id ?? null, title: args.title.trim(), fieldValues: args.fields as object };
      if (!args.id) return ctx.db.evaluation.create({ data: { ...data, workspaceId: viewer.workspaceId } });
      const { count } = await ctx.db.evaluation.updateMany({ where: { id: args.id.id, ...rowsWhere(viewer, "evaluation") }, data });
      if (!count) throw new NotFoundError("Evaluation");
      return ctx.db.evaluation.findUniqueOrThrow({ where: { id: args.id.id } });
    },
  }),
);

builder.mutationField("deleteEvaluation", (t) =>
  t.fieldWithInput({
    type: EvaluationRef,
    description: "Deletes an evaluation for good; returns it as it was.",
    authScopes: { permission: "session.delete" },
    errors: { types: [NotFoundError] },
    input: { id: t.input.globalID({ for: EvaluationRef }) },
    resolve: async (_r, { input: { id } }, ctx) => {
      const found = await ctx.db.evaluation.findFirst({ where: { id: id.id, ...rowsWhere(ctx.viewer, "evaluation") } });
      if (!found) throw new NotFoundError("Evaluation");
      // deleteMany: a concurrent delete makes this one a no-op rather than an error.
      await ctx.db.evaluation.deleteMany({ where: { id: found.id } });
      return found;
    },
  }),
);
