import type { Prisma } from "../../prisma/generated/client.js";
import type { Services, Tx } from "../common/context.js";
import { ConflictError, NotFoundError } from "../common/errors.js";
import { billingSettings, invoiceTotals, lineAmount, localDate, roundSeconds, type BillingSettings, type Period } from "./rules.js";

/** Billable time not yet on an invoice: ended entries with a project, started within the period. */
function unbilled(workspaceId: string, period: Period, clientId?: string): Prisma.TimeEntryWhereInput {
  return {
    workspaceId,
    invoiceId: null,
    endedAt: { not: null },
    durationSeconds: { gt: 0 },
    startedAt: { gte: period.start, lt: period.end },
    project: clientId ? { clientId } : { isNot: null },
  };
}

/** Invoices of one workspace are made one at a time; numbers come from the workspace row. */
async function lockInvoicing(tx: Tx, workspaceId: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${"invoicing:" + workspaceId}, 0))`;
}

async function nextNumber(tx: Tx, workspaceId: string): Promise<number> {
  const [row] = await tx.$queryRaw<{ number: number }[]>`
    UPDATE "Workspace" SET "nextInvoiceNumber" = "nextInvoiceNumber" + 1
    WHERE id = ${workspaceId}::uuid RETURNING "nextInvoiceNumber" - 1 AS number`;
  return row.number;
}

type EntryWithProject = Prisma.TimeEntryGetPayload<{ include: { project: true } }>;

function priceLines(entries: EntryWithProject[], settings: BillingSettings, timeZone: string, firstPosition: number) {
  return entries.map((entry, i) => {
    const quantitySeconds = roundSeconds(entry.durationSeconds!, settings.rounding);
    return {
      position: firstPosition + i,
      timeEntryId: entry.id,
      description: entry.description || entry.project!.name,
      date: localDate(entry.startedAt, timeZone),
      quantitySeconds,
      rateCents: entry.project!.hourlyRate,
      amountCents: lineAmount(quantitySeconds, entry.project!.hourlyRate),
    };
  });
}

/**
 * Bills one client's entries in one currency for a period: appends to that period's draft, or makes
 * a new invoice. Returns the invoice id, or null when there was nothing to bill or the period's
 * invoice is already issued (its late entries stay unbilled, visible as such).
 */
async function billGroup(tx: Tx, workspace: { id: string; timeZone: string; settings: unknown }, clientId: string, currency: string, period: Period, entries: EntryWithProject[]) {
  const settings = billingSettings(workspace.settings);
  const existing = await tx.invoice.findFirst({
    where: { workspaceId: workspace.id, clientId, currency, periodKey: period.key, status: { not: "void" } },
    include: { lines: true },
  });
  if (existing && existing.status !== "draft") return null;
  const lines = priceLines(entries, settings, workspace.timeZone, (existing?.lines.length ?? 0) + 1);
  const totals = invoiceTotals([...(existing?.lines ?? []), ...lines].map((l) => l.amountCents), settings.taxRateBp);
  const invoiceId = existing
    ? (await tx.invoice.update({ where: { id: existing.id }, data: { ...totals, taxRateBp: settings.taxRateBp, lines: { create: lines } } })).id
    : (
        await tx.invoice.create({
          data: {
            workspaceId: workspace.id,
            clientId,
            number: await nextNumber(tx, workspace.id),
            currency,
            periodStart: period.startDate,
            periodEnd: period.endDate,
            periodKey: period.key,
            taxRateBp: settings.taxRateBp,
            ...totals,
            lines: { create: lines },
          },
        })
      ).id;
  // Compare-and-set: an entry is billed at most once; anything already taken rolls the invoice back.
  const { count } = await tx.timeEntry.updateMany({
    where: { id: { in: entries.map((e) => e.id) }, invoiceId: null },
    data: { invoiceId },
  });
  if (count !== entries.length) throw new ConflictError("Entries changed while invoicing; try again");
  return invoiceId;
}

/** Drafts invoices for every client with unbilled time in the period (or just `clientId`). Idempotent. */
export async function generateInvoices(services: Services, workspaceId: string, period: Period, clientId?: string): Promise<string[]> {
  const workspace = await services.db.workspace.findUnique({ where: { id: workspaceId } });
  if (!workspace) throw new NotFoundError("Workspace");
  return services.db.$transaction(
    async (tx) => {
      await lockInvoicing(tx, workspaceId);
      const entries = await tx.timeEntry.findMany({
        where: unbilled(workspaceId, period, clientId),
        include: { project: true },
        orderBy: [{ startedAt: "asc" }, { id: "asc" }],
      });
      const groups = new Map<string, EntryWithProject[]>();
      for (const entry of entries) {
        const key = `${entry.project!.clientId}|${entry.project!.currency}`;
        groups.set(key, [...(groups.get(key) ?? []), entry]);
      }
      const ids: string[] = [];
      for (const [key, group] of groups) {
        const [client, currency] = key.split("|");
        const id = await billGroup(tx, workspace, client, currency, period, group);
        if (id) ids.push(id);
      }
      return ids;
    },
    { timeout: 120_000 },
  );
}

const TRANSITIONS: Record<string, string[]> = { draft: ["issued", "void"], issued: ["paid", "void"], paid: [], void: [] };

/** draft -> issued -> paid; draft or issued -> void, which releases the entries for billing again. */
export async function setInvoiceStatus(services: Services, workspaceId: string, id: string, to: "issued" | "paid" | "void") {
  return services.db.$transaction(async (tx) => {
    await lockInvoicing(tx, workspaceId);
    const invoice = await tx.invoice.findFirst({ where: { id, workspaceId } });
    if (!invoice) throw new NotFoundError("Invoice");
    if (!TRANSITIONS[invoice.status].includes(to)) {
      throw new ConflictError(`A ${invoice.status} invoice can't become ${to}`, []);
    }
    const now = new Date();
    if (to === "void") await tx.timeEntry.updateMany({ where: { invoiceId: id }, data: { invoiceId: null } });
    return tx.invoice.update({
      where: { id },
      data: { status: to, ...(to === "issued" ? { issuedAt: now } : to === "paid" ? { paidAt: now } : { voidedAt: now }) },
    });
  });
}
