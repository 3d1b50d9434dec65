import type { Invoice, InvoiceLine } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { rowsWhere } from "../common/policy.js";
import { ConflictError, NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { resolveOffsetPage } from "../common/pages.js";
import { YEAR_MONTH } from "../common/input-limits.js";
import { saveWorkspaceSettings } from "../identity/service.js";
import { ClientRef } from "../clients/types.js";
import { GENERATE } from "./jobs.js";
import { billingSettings, datesPeriod, type Rounding } from "./rules.js";
import { generateInvoices, setInvoiceStatus } from "./service.js";
import { upperSnake } from "../common/enums.js";
import { childrenOf } from "../common/batched-db.js";
import type { Context } from "../common/context.js";

const InvoiceStatusEnum = builder.enumType("InvoiceStatus", { values: upperSnake(["draft", "issued", "paid", "void"]) });
const RoundingModeEnum = builder.enumType("RoundingMode", {
  values: upperSnake({ none: {}, up: { description: "Up to the next step" }, nearest: { description: "To the nearest step" } }),
});

const InvoiceLineRef = builder.objectRef<InvoiceLine>("InvoiceLine").implement({
  fields: (t) => ({
    position: t.exposeInt("position"),
    description: t.exposeString("description"),
    date: t.expose("date", { type: "LocalDate" }),
    quantitySeconds: t.exposeInt("quantitySeconds", { description: "Billed duration after rounding." }),
    rateCents: t.expose("rateCents", { type: "Money", description: "Rate in minor units: per hour, or per session for a session priced per session." }),
    amountCents: t.expose("amountCents", { type: "Money" }),
  }),
});

export const InvoiceRef = builder.objectRef<Invoice>("Invoice");

/**
 * The line that bills a time entry or client session, on an invoice that is not void (null while it
 * is unbilled); the items of a list are looked up together (childrenOf).
 */
export async function billingLine(ctx: Context, item: "timeEntryId" | "appointmentId", id: string): Promise<InvoiceLine | null> {
  const [line] = await childrenOf(
    ctx,
    `InvoiceLine.${item}`,
    id,
    (ids) => ctx.db.invoiceLine.findMany({ where: { [item]: { in: ids }, voided: false } }),
    (l) => l[item]!,
  );
  return line ?? null;
}

builder.node(InvoiceRef, {
  id: { resolve: (i) => i.id },
  loadOne: (id, ctx) =>
    ctx.db.invoice.findFirst({ where: { id, ...rowsWhere(ctx.viewer, "invoice") } }),
  fields: (t) => ({
    number: t.exposeInt("number"),
    status: t.field({ type: InvoiceStatusEnum, resolve: (i) => i.status }),
    client: t.field({ type: ClientRef, resolve: (i, _a, ctx) => ctx.db.client.findUniqueOrThrow({ where: { id: i.clientId } }) }),
    currency: t.exposeString("currency"),
    periodStart: t.expose("periodStart", { type: "LocalDate" }),
    periodEnd: t.expose("periodEnd", { type: "LocalDate" }),
    subtotalCents: t.expose("subtotalCents", { type: "Money" }),
    taxRateBp: t.exposeInt("taxRateBp", { description: "Tax rate in basis points (1900 = 19%)." }),
    taxCents: t.expose("taxCents", { type: "Money" }),
    totalCents: t.expose("totalCents", { type: "Money" }),
    issuedAt: t.expose("issuedAt", { type: "DateTime", nullable: true }),
    paidAt: t.expose("paidAt", { type: "DateTime", nullable: true }),
    voidedAt: t.expose("voidedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    lines: t.field({
      type: [InvoiceLineRef],
      resolve: (i, _a, ctx) =>
        childrenOf(ctx, "Invoice.lines", i.id, (invoiceIds) => ctx.db.invoiceLine.findMany({ where: { invoiceId: { in: invoiceIds } }, orderBy: { position: "asc" } }), (l) => l.invoiceId),
    }),
    pdfUrl: t.string({ description: "Download as PDF (same authentication as the API).", resolve: (i) => `/api/invoices/${i.id}.pdf` }),
  }),
});

builder.queryField("invoices", (t) =>
  t.connection({
    type: InvoiceRef,
    description: "Newest first.",
    authScopes: { permission: "billing.manage" },
    args: {
      status: t.arg({ type: InvoiceStatusEnum, required: false }),
      clientId: t.arg.globalID({ for: ClientRef, required: false }),
    },
    resolve: (_r, args, ctx) =>
      resolveOffsetPage({ args }, ({ limit, offset }) =>
        ctx.db.invoice.findMany({
          where: { workspaceId: ctx.viewer!.workspaceId, status: args.status ?? undefined, clientId: args.clientId?.id },
          orderBy: { number: "desc" },
          skip: offset,
          take: limit,
        }),
      ),
  }),
);


const GenerationRef = builder.objectRef<{ month: string }>("InvoiceGeneration").implement({
  description: "The month-end job, enqueued; the drafts appear in `invoices` when it has run.",
  fields: (t) => ({ month: t.exposeString("month") }),
});

builder.mutationField("generateInvoices", (t) =>
  t.fieldWithInput({
    type: GenerationRef,
    description: "Runs the month-end invoicing job now for a month (YYYY-MM). Running it twice bills nothing twice.",
    authScopes: { permission: "billing.manage" },
    errors: { types: [ValidationError] },
    input: { month: t.input.string() },
    resolve: async (_r, { input: args }, ctx) => {
      if (!YEAR_MONTH.test(args.month)) throw ValidationError.field("month", "Use YYYY-MM, a year between 1900 and 9999");
      const workspaceId = ctx.viewer!.workspaceId;
      await ctx.jobs.enqueue(GENERATE, { workspaceId, month: args.month }, { dedupeKey: `invoices:${workspaceId}:${args.month}` });
      return { month: args.month };
    },
  }),
);

builder.mutationField("createInvoice", (t) =>
  t.fieldWithInput({
    type: [InvoiceRef],
    description: "Invoices one client's unbilled time between two dates (inclusive), at once. One invoice per currency.",
    authScopes: { permission: "billing.manage" },
    errors: { types: [ValidationError, NotFoundError, ConflictError], directResult: false },
    input: { clientId: t.input.globalID({ for: ClientRef }), from: t.input.field({ type: "LocalDate" }), to: t.input.field({ type: "LocalDate" }) },
    resolve: async (_r, { input: args }, ctx) => {
      if (args.to < args.from) throw ValidationError.field("to", "Must not be before from");
      const workspace = await ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.viewer!.workspaceId } });
      const client = await ctx.db.client.findFirst({ where: { id: args.clientId.id, workspaceId: workspace.id } });
      if (!client) throw new NotFoundError("Client");
      const ids = await generateInvoices(ctx, workspace.id, datesPeriod(args.from, args.to, workspace.timeZone), client.id);
      return ctx.db.invoice.findMany({ where: { id: { in: ids } }, orderBy: { number: "asc" } });
    },
  }),
);

for (const [field, to, description] of [
  ["issueInvoice", "issued", "A draft becomes issued."],
  ["markInvoicePaid", "paid", "An issued invoice is paid."],
  ["voidInvoice", "void", "Voids a draft or issued invoice; its entries can be billed again."],
] as const) {
  builder.mutationField(field, (t) =>
    t.fieldWithInput({
      type: InvoiceRef,
      description,
      authScopes: { permission: "billing.manage" },
      errors: { types: [NotFoundError, ConflictError] },
      input: { id: t.input.globalID({ for: InvoiceRef }) },
      resolve: (_r, { input: args }, ctx) => setInvoiceStatus(ctx, ctx.viewer!.workspaceId, args.id.id, to),
    }),
  );
}

const BillingSettingsRef = builder.objectRef<ReturnType<typeof billingSettings>>("BillingSettings").implement({
  fields: (t) => ({
    rounding: t.field({ type: RoundingModeEnum, resolve: (s) => s.rounding.mode }),
    roundingMinutes: t.int({ nullable: true, resolve: (s) => (s.rounding.mode === "none" ? null : s.rounding.minutes) }),
    taxRateBp: t.exposeInt("taxRateBp"),
  }),
});

builder.queryField("billingSettings", (t) =>
  t.field({
    type: BillingSettingsRef,
    authScopes: { permission: "billing.manage" },
    resolve: async (_r, _a, ctx) =>
      billingSettings((await ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.viewer!.workspaceId } })).settings),
  }),
);

builder.mutationField("updateBillingSettings", (t) =>
  t.fieldWithInput({
    type: BillingSettingsRef,
    description: "Rounding per invoice line (NONE, or UP/NEAREST to 1, 6 or 15 minutes) and the tax rate.",
    authScopes: { permission: "billing.manage" },
    errors: { types: [ValidationError] },
    input: {
      rounding: t.input.field({ type: RoundingModeEnum }),
      roundingMinutes: t.input.int({ required: false }),
      taxRateBp: t.input.int(),
    },
    resolve: async (_r, { input: args }, ctx) => {
      const problems = new Problems();
      if (args.rounding !== "none" && ![1, 6, 15].includes(args.roundingMinutes ?? 0))
        problems.add("roundingMinutes", "Round to 1, 6 or 15 minutes");
      if (!Number.isInteger(args.taxRateBp) || args.taxRateBp < 0 || args.taxRateBp > 10_000)
        problems.add("taxRateBp", "Between 0 and 10000 basis points");
      problems.throwIfAny();
      const rounding = (args.rounding === "none" ? { mode: "none" } : { mode: args.rounding, minutes: args.roundingMinutes }) as Rounding;
      return billingSettings(await saveWorkspaceSettings(ctx, ctx.viewer!.workspaceId, "billing", { rounding, taxRateBp: args.taxRateBp }));
    },
  }),
);

