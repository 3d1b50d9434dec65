import { randomUUID } from "node:crypto";
import type { Prisma } from "../../prisma/generated/client.js";
import type { Services, Tx } from "../common/context.js";
import { ConflictError, NotFoundError } from "../common/errors.js";
import { lockInvoicing } from "../common/locks.js";
import { billingSettings, invoiceTotals, lineAmount, localDate, roundSeconds, sessionPrice, type BillingSettings, type Period } from "./rules.js";

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

/** Reserves `count` consecutive invoice numbers; rolled back with the transaction, so no gaps. */
async function reserveNumbers(tx: Tx, workspaceId: string, count: number): Promise<number> {
  const [row] = await tx.$queryRaw<{ first: number }[]>`
    UPDATE "Workspace" SET "nextInvoiceNumber" = "nextInvoiceNumber" + ${count}
    WHERE id = ${workspaceId}::uuid RETURNING "nextInvoiceNumber" - ${count} AS first`;
  return Number(row.first);
}

/** One line to bill, from a time entry or a completed client session, already priced. */
interface Billable {
  group: string; // client|currency
  startedAt: Date;
  timeEntryId: string | null;
  appointmentId: string | null;
  description: string;
  date: string;
  quantitySeconds: number;
  rateCents: bigint;
  amountCents: bigint;
}

async function unbilledEntries(tx: Tx, where: Prisma.TimeEntryWhereInput, settings: BillingSettings, timeZone: string): Promise<Billable[]> {
  const entries = await tx.timeEntry.findMany({
    where,
    select: { id: true, description: true, startedAt: true, durationSeconds: true, project: { select: { name: true, clientId: true, currency: true, hourlyRate: true } } },
  });
  return entries.map((entry) => {
    const quantitySeconds = roundSeconds(entry.durationSeconds!, settings.rounding);
    return {
      group: `${entry.project!.clientId}|${entry.project!.currency}`,
      startedAt: entry.startedAt,
      timeEntryId: entry.id,
      appointmentId: null,
      description: entry.description || entry.project!.name,
      date: localDate(entry.startedAt, timeZone),
      quantitySeconds,
      rateCents: entry.project!.hourlyRate,
      amountCents: lineAmount(quantitySeconds, entry.project!.hourlyRate),
    };
  });
}

/** Completed client sessions with a priced service, not yet on an invoice, started within the period. */
async function unbilledSessions(tx: Tx, workspaceId: string, period: Period, clientId: string | undefined, settings: BillingSettings, timeZone: string): Promise<Billable[]> {
  const sessions = await tx.appointment.findMany({
    where: { workspaceId, clientId, invoiceId: null, status: "completed", serviceId: { not: null }, startsAt: { gte: period.start, lt: period.end } },
    select: { id: true, name: true, clientId: true, startsAt: true, durationMinutes: true, service: { select: { name: true, pricing: true, priceCents: true, currency: true } } },
  });
  return sessions.map((session) => {
    const service = session.service!;
    const priced = sessionPrice(service.pricing, service.priceCents, session.durationMinutes * 60, settings.rounding);
    return {
      group: `${session.clientId}|${service.currency}`,
      startedAt: session.startsAt,
      timeEntryId: null,
      appointmentId: session.id,
      description: `${service.name}: ${session.name}`,
      date: localDate(session.startsAt, timeZone),
      ...priced,
    };
  });
}

/**
 * Drafts invoices for every client with unbilled time or completed sessions in the period (or just `clientId`): one per
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
      const entries = [
        ...(await unbilledEntries(tx, unbilled(workspaceId, period, clientId), settings, workspace.timeZone)),
        ...(await unbilledSessions(tx, workspaceId, period, clientId, settings, workspace.timeZone)),
      ].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || (a.timeEntryId ?? a.appointmentId!).localeCompare(b.timeEntryId ?? b.appointmentId!));
      if (!entries.length) return [];
      const groups = new Map<string, Billable[]>();
      for (const entry of entries) {
        const group = groups.get(entry.group);
        if (group) group.push(entry);
        else groups.set(entry.group, [entry]);
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
      const sessionClaims: { session: string; invoice: string }[] = [];
      for (const [key, group] of groups) {
        const draft = existing.get(key);
        if (draft && draft.status !== "draft") continue;
        const invoiceId = draft?.id ?? randomUUID();
        const first = (draft?.lines.length ?? 0) + 1;
        const priced = group.map(({ group: _g, startedAt: _s, ...line }, i) => ({ ...line, position: first + i }));
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
        for (const item of group) {
          if (item.timeEntryId) claims.push({ entry: item.timeEntryId, invoice: invoiceId });
          else sessionClaims.push({ session: item.appointmentId!, invoice: invoiceId });
        }
      }
      await tx.invoice.createMany({ data: created });
      // One statement for all lines: Prisma's createMany takes minutes for a month of 100,000 entries.
      await tx.$executeRaw`
        INSERT INTO "InvoiceLine" (id, "invoiceId", position, "timeEntryId", "appointmentId", description, date, "quantitySeconds", "rateCents", "amountCents")
        SELECT gen_random_uuid(), * FROM unnest(
          ${lines.map((l) => l.invoiceId)}::uuid[], ${lines.map((l) => l.position)}::int[], ${lines.map((l) => l.timeEntryId)}::uuid[],
          ${lines.map((l) => l.appointmentId)}::uuid[],
          ${lines.map((l) => l.description)}::text[], ${lines.map((l) => l.date)}::text[], ${lines.map((l) => l.quantitySeconds)}::int[],
          ${lines.map((l) => String(l.rateCents))}::bigint[], ${lines.map((l) => String(l.amountCents))}::bigint[])`;
      // Compare-and-set: an entry is billed at most once; anything already taken rolls it all back.
      const claimed = await tx.$executeRaw`
        UPDATE "TimeEntry" e SET "invoiceId" = v.invoice
        FROM unnest(${claims.map((c) => c.entry)}::uuid[], ${claims.map((c) => c.invoice)}::uuid[]) AS v(id, invoice)
        WHERE e.id = v.id AND e."invoiceId" IS NULL`;
      const claimedSessions = sessionClaims.length
        ? await tx.$executeRaw`
            UPDATE "Appointment" a SET "invoiceId" = v.invoice
            FROM unnest(${sessionClaims.map((c) => c.session)}::uuid[], ${sessionClaims.map((c) => c.invoice)}::uuid[]) AS v(id, invoice)
            WHERE a.id = v.id AND a."invoiceId" IS NULL`
        : 0;
      if (claimed !== claims.length || claimedSessions !== sessionClaims.length) throw new ConflictError("Entries changed while invoicing; try again");
      return [...new Set([...claims, ...sessionClaims].map((c) => c.invoice))];
    },
    { timeout: 120_000 },
  );
}
const TRANSITIONS: Record<string, string[]> = { draft: ["issued", "void"], issued: ["paid", "void"], paid: [], void: [] };

/** draft -> issued -> paid; draft or issued -> void, which releases the entries for billing again. */
export async function setInvoiceStatus(services: Services, workspaceId: string, id: string, to: "issued" | "paid" | "void", now = new Date()) {
  return services.db.$transaction(async (tx) => {
    await lockInvoicing(tx, workspaceId);
    const invoice = await tx.invoice.findFirst({ where: { id, workspaceId } });
    if (!invoice) throw new NotFoundError("Invoice");
    if (!TRANSITIONS[invoice.status].includes(to)) {
      throw new ConflictError(`A ${invoice.status} invoice can't become ${to}`, []);
    }
    if (to === "void") {
      await tx.timeEntry.updateMany({ where: { invoiceId: id }, data: { invoiceId: null } });
      await tx.appointment.updateMany({ where: { invoiceId: id }, data: { invoiceId: null } });
    }
    return tx.invoice.update({
      where: { id },
      data: { status: to, ...(to === "issued" ? { issuedAt: now } : to === "paid" ? { paidAt: now } : { voidedAt: now }) },
    });
  });
}
