// Services a practice offers, priced per session or per hour: what invoices of sessions charge.
import type { AppointmentService } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { canRead, rowsWhere } from "../common/policy.js";
import { NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { upperSnake } from "../common/enums.js";

const PricingEnum = builder.enumType("PricingMode", {
  values: upperSnake({ per_session: { description: "A fixed price per session." }, per_hour: { description: "A price per hour of the session's duration." } }),
});

export const AppointmentServiceRef = builder.objectRef<AppointmentService>("AppointmentService");
builder.node(AppointmentServiceRef, {
  id: { resolve: (s) => s.id },
  loadOne: (id, ctx) => ctx.db.appointmentService.findFirst({ where: { id, ...rowsWhere(ctx.viewer, "appointmentService") } }),
  fields: (t) => ({
    name: t.exposeString("name"),
    pricing: t.field({ type: PricingEnum, resolve: (s) => s.pricing }),
    priceCents: t.expose("priceCents", { type: "Money", description: "Minor units, per session or per hour." }),
    currency: t.exposeString("currency"),
  }),
});

builder.queryField("appointmentServices", (t) =>
  t.field({
    type: [AppointmentServiceRef],
    authScopes: (_r, _a, ctx) => canRead(ctx.viewer, "appointmentService"),
    resolve: (_r, _a, ctx) => ctx.db.appointmentService.findMany({ where: rowsWhere(ctx.viewer, "appointmentService"), orderBy: { name: "asc" } }),
  }),
);

const ServiceInput = builder.inputType("AppointmentServiceInput", {
  fields: (t) => ({
    name: t.string(),
    pricing: t.field({ type: PricingEnum }),
    priceCents: t.field({ type: "Money" }),
    currency: t.string({ required: false, defaultValue: "USD" }),
  }),
});

function check(input: typeof ServiceInput.$inferInput) {
  const problems = new Problems();
  if (!input.name.trim()) problems.add("name", "Required");
  if (input.priceCents < 0n) problems.add("priceCents", "A whole number of cents, 0 or more");
  if (!/^[A-Za-z]{3}$/.test(input.currency ?? "USD")) problems.add("currency", "Use a 3-letter ISO 4217 code");
  problems.throwIfAny();
  return { name: input.name.trim(), pricing: input.pricing, priceCents: input.priceCents, currency: (input.currency ?? "USD").toUpperCase() };
}

builder.mutationField("saveAppointmentService", (t) =>
  t.fieldWithInput({
    type: AppointmentServiceRef,
    description: "Creates a service, or changes one when `id` is given. Sessions already invoiced keep their price.",
    authScopes: { permission: "billing.manage" },
    errors: { types: [ValidationError, NotFoundError] },
    input: { id: t.input.globalID({ for: AppointmentServiceRef, required: false }), service: t.input.field({ type: ServiceInput }) },
    resolve: async (_r, { input: args }, ctx) => {
      const data = check(args.service);
      const workspaceId = ctx.viewer!.workspaceId;
      const clash = await ctx.db.appointmentService.findFirst({ where: { workspaceId, name: data.name, NOT: args.id ? { id: args.id.id } : undefined } });
      if (clash) throw ValidationError.field("name", "A service with this name exists");
      if (!args.id) return ctx.db.appointmentService.create({ data: { ...data, workspaceId } });
      const { count } = await ctx.db.appointmentService.updateMany({ where: { id: args.id.id, workspaceId }, data });
      if (!count) throw new NotFoundError("Service");
      return ctx.db.appointmentService.findUniqueOrThrow({ where: { id: args.id.id } });
    },
  }),
);
