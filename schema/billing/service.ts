import { randomUUID } from "node:crypto";
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

/** Reserves `count` consecutive invoice numbers; rolled back with the transaction, so no gaps. */
async function reserveNumbers(tx: Tx, workspaceId: string, count: number): Promise<number> {
  const [row] = await tx.$queryRaw<{ first: number }[]>`
    UPDATE "Workspace" SET "nextInvoiceNumber" = "nextInvoiceNumber" + ${count}
    WHERE id = ${workspaceId}::uuid RETURNING "nextInvoiceNumber" - ${count} AS first`;
  return Number(row.first);
}

interface Billable {
  id: string;
  description: string;
  startedAt: Date;
  durationSeconds: number | null;
  project: { name: string; clientId: string; currency: string; hourlyRate: number } | null;
}

function priceLines(entries: Billable[], settings: BillingSettings, timeZone: string, firstPosition: number) {
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
 * Drafts invoices for every client with unbilled time in the period (or just `clientId`): one per
 * client and currency, appending to the period's draft when there is one. A period whose invoice
 * is already issued is left alone (its late entries stay unbilled, visible as such). Idempotent.
 * Set-based, so a month of 100,000 entries is a handful of statements, not one per client.
 */
export async function generateInvoices(services: Services, workspaceId: string, period: Period, clientId?: string): Promise<string[]> {
  const workspace = await services.db.workspace.findUnique({ where: { id: workspaceId } });
  if (!workspace) throw new NotFoundError("Workspace");
  const settings = billingSettings(workspace.settings);
  return services.db.$transaction(
    async (tx) => {
      await lockInvoicing(tx, workspaceId);
      const entries: Billable[] = await tx.timeEntry.findMany({
        where: unbilled(workspaceId, period, clientId),
        select: {
          id: true,
          description: true,
          startedAt: true,
          durationSeconds: true,
          project: { select: { name: true, clientId: true, currency: true, hourlyRate: true } },
        },
        orderBy: [{ startedAt: "asc" }, { id: "asc" }],
      });
      if (!entries.length) return [];
      const groups = new Map<string, Billable[]>();
      for (const entry of entries) {
        const key = `${entry.project!.clientId}|${entry.project!.currency}`;
        const group = groups.get(key);
        if (group) group.push(entry);
        else groups.set(key, [entry]);
      }
      const existing = new Map(
        (
          await tx.invoice.findMany({
            where: { workspaceId, periodKey: period.key, status: { not: "void" }, clientId },
            include: { lines: { select: { amountCents: true } } },
          })
        ).map((i) => [`${i.clientId}|${i.currency}`, i]),
      );
      const newCount = [...groups.keys()].filter((key) => !existing.has(key)).length;
      let number = newCount ? await reserveNumbers(tx, workspaceId, newCount) : 0;

      const created: Prisma.InvoiceCreateManyInput[] = [];
      const lines: Prisma.InvoiceLineCreateManyInput[] = [];
      const claims: { entry: string; invoice: string }[] = [];
      for (const [key, group] of groups) {
        const draft = existing.get(key);
        if (draft && draft.status !== "draft") continue;
        const invoiceId = draft?.id ?? randomUUID();
        const priced = priceLines(group, settings, workspace.timeZone, (draft?.lines.length ?? 0) + 1);
        const totals = invoiceTotals([...(draft?.lines ?? []), ...priced].map((l) => l.amountCents), settings.taxRateBp);
        if (draft) await tx.invoice.update({ where: { id: draft.id }, data: { ...totals, taxRateBp: settings.taxRateBp } });
        else {
          const [client, currency] = key.split("|");
          created.push({
            id: invoiceId,
            workspaceId,
            clientId: client,
            number: number++,
            currency,
            periodStart: period.startDate,
            periodEnd: period.endDate,
            periodKey: period.key,
            taxRateBp: settings.taxRateBp,
            ...totals,
          });
        }
        for (const line of priced) lines.push({ ...line, invoiceId });
        for (const entry of group) claims.push({ entry: entry.id, invoice: invoiceId });
      }
      await tx.invoice.createMany({ data: created });
      // One statement for all lines: Prisma's createMany takes minutes for a month of 100,000 entries.
      await tx.$executeRaw`
        INSERT INTO "InvoiceLine" (id, "invoiceId", position, "timeEntryId", description, date, "quantitySeconds", "rateCents", "amountCents")
        SELECT gen_random_uuid(), * FROM unnest(
          ${lines.map((l) => l.invoiceId)}::uuid[], ${lines.map((l) => l.position)}::int[], ${lines.map((l) => l.timeEntryId)}::uuid[],
          ${lines.map((l) => l.description)}::text[], ${lines.map((l) => l.date)}::text[], ${lines.map((l) => l.quantitySeconds)}::int[],
          ${lines.map((l) => l.rateCents)}::int[], ${lines.map((l) => l.amountCents)}::int[])`;
      // Compare-and-set: an entry is billed at most once; anything already taken rolls it all back.
      const claimed = await tx.$executeRaw`
        UPDATE "TimeEntry" e SET "invoiceId" = v.invoice
        FROM unnest(${claims.map((c) => c.entry)}::uuid[], ${claims.map((c) => c.invoice)}::uuid[]) AS v(id, invoice)
        WHERE e.id = v.id AND e."invoiceId" IS NULL`;
      if (claimed !== claims.length) throw new ConflictError("Entries changed while invoicing; try again");
      return [...new Set(claims.map((c) => c.invoice))];
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
