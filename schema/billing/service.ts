import { randomUUID } from "node:crypto";
import { Prisma } from "../../prisma/generated/client.js";
import type { Services, Tx } from "../common/context.js";
import { ConflictError, NotFoundError } from "../common/errors.js";
import { lockInvoicing } from "../common/locks.js";
import { databaseCause } from "../common/transactions.js";
import { billingSettings, invoiceTotals, type BillingSettings, type Period, type Rounding } from "./rules.js";

/** Reserves `count` consecutive invoice numbers; rolled back with the transaction, so no gaps. */
async function reserveNumbers(tx: Tx, workspaceId: string, count: number): Promise<number> {
  const [row] = await tx.$queryRaw<{ first: number }[]>`
    UPDATE "Workspace" SET "nextInvoiceNumber" = "nextInvoiceNumber" + ${count}
    WHERE id = ${workspaceId}::uuid RETURNING "nextInvoiceNumber" - ${count} AS first`;
  return Number(row.first);
}

/** `roundSeconds` of rules.ts in SQL, over a non-negative integer; the API tests hold both to the same results. */
function roundSecondsSql(seconds: Prisma.Sql, rounding: Rounding): Prisma.Sql {
  if (rounding.mode === "none") return seconds;
  const step = rounding.minutes * 60;
  // Integer division floors here (nothing is negative): ceil(s / step), and round half up as floor((2s + step) / 2step).
  return rounding.mode === "up"
    ? Prisma.sql`((${seconds}::bigint + ${step - 1}::int) / ${step}::int * ${step}::int)::int`
    : Prisma.sql`((2 * ${seconds}::bigint + ${step}::int) / ${2 * step}::int * ${step}::int)::int`;
}

/** `lineAmount` of rules.ts in SQL: rate x seconds / 3600 rounded half up, in numeric so nothing overflows 64 bits. */
const lineAmountSql = (seconds: Prisma.Sql, rateCents: Prisma.Sql) => Prisma.sql`div(2 * ${rateCents}::numeric * ${seconds} + 3600, 7200)::bigint`;

/** No line that is not void bills the item (the partial unique indexes on InvoiceLine serve this). */
const unbilled = (item: Prisma.Sql) => Prisma.sql`NOT EXISTS (SELECT 1 FROM "InvoiceLine" WHERE ${item} AND NOT voided)`;

/**
 * Fills the transaction's `billable` table with everything to bill, priced: ended time entries with a
 * project and completed client sessions with a priced service, not yet on an invoice, started within
 * the period. One snapshot of them, so the totals and the lines written from it agree. `seq` is the
 * order of the lines: by start, then id.
 */
async function collectBillable(tx: Tx, workspaceId: string, period: Period, clientId: string | undefined, settings: BillingSettings, timeZone: string) {
  await tx.$executeRaw`
    CREATE TEMP TABLE billable (
      seq bigint, client_id uuid, currency text, time_entry_id uuid, appointment_id uuid,
      description text, date text, quantity_seconds int, rate_cents bigint, amount_cents bigint
    ) ON COMMIT DROP`;
  const client = clientId ?? null;
  const quantity = Prisma.sql`CASE WHEN b.by_hour THEN ${roundSecondsSql(Prisma.sql`b.seconds`, settings.rounding)} ELSE b.seconds END`;
  await tx.$executeRaw`
    INSERT INTO billable
    SELECT row_number() OVER (ORDER BY b.started_at, b.id), b.client_id, b.currency, b.time_entry_id, b.appointment_id, b.description,
      to_char(b.started_at AT TIME ZONE ${timeZone}, 'YYYY-MM-DD'), q.quantity, b.rate_cents,
      CASE WHEN b.by_hour THEN ${lineAmountSql(Prisma.sql`q.quantity`, Prisma.sql`b.rate_cents`)} ELSE b.rate_cents END
    FROM (
      SELECT e.id, e."startedAt" AS started_at, p."clientId" AS client_id, p.currency, e.id AS time_entry_id, NULL::uuid AS appointment_id,
        COALESCE(NULLIF(e.description, ''), p.name) AS description, e."durationSeconds" AS seconds, p."hourlyRate" AS rate_cents, true AS by_hour
      FROM "TimeEntry" e JOIN "Project" p ON p.id = e."projectId"
      WHERE e."workspaceId" = ${workspaceId}::uuid AND ${unbilled(Prisma.sql`"timeEntryId" = e.id`)} AND e."endedAt" IS NOT NULL AND e."durationSeconds" > 0
        AND e."startedAt" >= ${period.start}::timestamptz AND e."startedAt" < ${period.end}::timestamptz
        AND (${client}::uuid IS NULL OR p."clientId" = ${client}::uuid)
      UNION ALL
      SELECT a.id, a."startsAt", a."clientId", s.currency, NULL, a.id,
        s.name || ': ' || a.name, a."durationMinutes" * 60, s."priceCents", s.pricing = 'per_hour'
      FROM "Appointment" a JOIN "AppointmentService" s ON s.id = a."serviceId"
      WHERE a."workspaceId" = ${workspaceId}::uuid AND ${unbilled(Prisma.sql`"appointmentId" = a.id`)} AND a.status = 'completed'
        AND a."startsAt" >= ${period.start}::timestamptz AND a."startsAt" < ${period.end}::timestamptz
        AND (${client}::uuid IS NULL OR a."clientId" = ${client}::uuid)
    ) b CROSS JOIN LATERAL (SELECT ${quantity} AS quantity) q`;
  // A temporary table has no statistics until analysed: guessing, the planner sorts a month of lines
  // for a merge join where hashing the thousand invoices is enough.
  await tx.$executeRaw`ANALYZE billable`;
}

/** What the period's billable items add up to, per client and currency, in the order of their first line. */
function billableGroups(tx: Tx) {
  return tx.$queryRaw<{ clientId: string; currency: string; amount: string }[]>`
    SELECT client_id::text AS "clientId", currency, sum(amount_cents)::text AS amount
    FROM billable GROUP BY client_id, currency ORDER BY min(seq)`;
}

/** The period's invoices that are not void, with how many lines they have and what those add up to. */
function periodInvoices(tx: Tx, workspaceId: string, period: Period, clientId: string | undefined) {
  const client = clientId ?? null;
  return tx.$queryRaw<{ id: string; clientId: string; currency: string; status: string; lines: number; amount: string }[]>`
    SELECT i.id::text, i."clientId"::text, i.currency, i.status::text, count(l.id)::int AS lines, COALESCE(sum(l."amountCents"), 0)::text AS amount
    FROM "Invoice" i LEFT JOIN "InvoiceLine" l ON l."invoiceId" = i.id
    WHERE i."workspaceId" = ${workspaceId}::uuid AND i."periodKey" = ${period.key} AND i.status <> 'void'
      AND (${client}::uuid IS NULL OR i."clientId" = ${client}::uuid)
    GROUP BY i.id`;
}

interface NewInvoice {
  id: string;
  clientId: string;
  currency: string;
  number: number;
  subtotalCents: bigint;
  taxCents: bigint;
  totalCents: bigint;
}

/** One statement for all new invoices: a month has one per client, and Prisma's createMany spends seconds on a thousand. */
async function createInvoices(tx: Tx, workspaceId: string, period: Period, taxRateBp: number, invoices: NewInvoice[]) {
  if (!invoices.length) return;
  const column = <K extends keyof NewInvoice>(key: K) => invoices.map((i) => (typeof i[key] === "bigint" ? String(i[key]) : i[key]));
  await tx.$executeRaw`
    INSERT INTO "Invoice" (id, "workspaceId", "clientId", number, currency, "periodStart", "periodEnd", "periodKey", "taxRateBp", "subtotalCents", "taxCents", "totalCents")
    SELECT i.id, ${workspaceId}::uuid, i.client_id, i.number, i.currency, ${period.startDate}, ${period.endDate}, ${period.key}, ${taxRateBp}::int, i.subtotal, i.tax, i.total
    FROM unnest(${column("id")}::uuid[], ${column("clientId")}::uuid[], ${column("number")}::int[], ${column("currency")}::text[],
      ${column("subtotalCents")}::bigint[], ${column("taxCents")}::bigint[], ${column("totalCents")}::bigint[]) AS i(id, client_id, number, currency, subtotal, tax, total)`;
}

/** Where one client's lines in one currency go: a new invoice or the period's draft, after its `lines` lines. */
interface Target {
  clientId: string;
  currency: string;
  invoiceId: string;
  lines: number;
}

/**
 * Writes the billable items as lines of their targets, numbered after the lines already there. A
 * line bills its item: the database keeps an item on one line that is not void, and refuses a line
 * for an item deleted meanwhile, so either rolls it all back.
 */
async function writeLines(tx: Tx, targets: Target[]) {
  try {
    await tx.$executeRaw`
      INSERT INTO "InvoiceLine" (id, "invoiceId", position, "timeEntryId", "appointmentId", description, date, "quantitySeconds", "rateCents", "amountCents")
      SELECT gen_random_uuid(), t.invoice_id, t.lines + row_number() OVER (PARTITION BY t.invoice_id ORDER BY b.seq),
        b.time_entry_id, b.appointment_id, b.description, b.date, b.quantity_seconds, b.rate_cents, b.amount_cents
      FROM billable b JOIN unnest(${targets.map((t) => t.clientId)}::uuid[], ${targets.map((t) => t.currency)}::text[],
        ${targets.map((t) => t.invoiceId)}::uuid[], ${targets.map((t) => t.lines)}::int[]) AS t(client_id, currency, invoice_id, lines)
        USING (client_id, currency)`;
  } catch (error) {
    const { code } = databaseCause(error);
    if (code === "23505" || code === "23503") throw new ConflictError("Entries changed while invoicing; try again");
    throw error;
  }
}

/**
 * Drafts invoices for every client with unbilled time or completed sessions in the period (or just `clientId`): one per
 * client and currency, appending to the period's draft when there is one. A period whose invoice
 * is already issued is left alone (its late entries stay unbilled, visible as such). Idempotent.
 * Set-based: the lines are priced, dated and numbered in SQL, so a month of 100,000 entries never
 * travels through the process; only one row per client does.
 */
export async function generateInvoices(services: Services, workspaceId: string, period: Period, clientId?: string): Promise<string[]> {
  const workspace = await services.db.workspace.findUnique({ where: { id: workspaceId } });
  if (!workspace) throw new NotFoundError("Workspace");
  const settings = billingSettings(workspace.settings);
  return services.db.$transaction(
    async (tx) => {
      await lockInvoicing(tx, workspaceId);
      await collectBillable(tx, workspaceId, period, clientId, settings, workspace.timeZone);
      const groups = await billableGroups(tx);
      if (!groups.length) return [];
      const key = (g: { clientId: string; currency: string }) => `${g.clientId}|${g.currency}`;
      const existing = new Map((await periodInvoices(tx, workspaceId, period, clientId)).map((i) => [key(i), i]));
      const newCount = groups.filter((g) => !existing.has(key(g))).length;
      let number = newCount ? await reserveNumbers(tx, workspaceId, newCount) : 0;

      const created: NewInvoice[] = [];
      const targets: Target[] = [];
      for (const group of groups) {
        const draft = existing.get(key(group));
        if (draft && draft.status !== "draft") continue;
        const totals = invoiceTotals([BigInt(draft?.amount ?? 0), BigInt(group.amount)], settings.taxRateBp);
        const invoiceId = draft?.id ?? randomUUID();
        if (draft) await tx.invoice.update({ where: { id: draft.id }, data: { ...totals, taxRateBp: settings.taxRateBp } });
        else created.push({ id: invoiceId, clientId: group.clientId, currency: group.currency, number: number++, ...totals });
        targets.push({ clientId: group.clientId, currency: group.currency, invoiceId, lines: draft?.lines ?? 0 });
      }
      if (!targets.length) return [];
      await createInvoices(tx, workspaceId, period, settings.taxRateBp, created);
      await writeLines(tx, targets);
      return targets.map((t) => t.invoiceId);
    },
    { timeout: 120_000 },
  );
}

/** The invoice that bills a time entry or a client session (its line's, while that invoice is not void); null while it is unbilled. */
export function invoiceBilling(tx: Tx, item: { timeEntryId: string } | { appointmentId: string }) {
  return tx.invoice.findFirst({ where: { lines: { some: { ...item, voided: false } } } });
}

const TRANSITIONS: Record<string, string[]> = { draft: ["issued", "void"], issued: ["paid", "void"], paid: [], void: [] };

/**
 * draft -> issued -> paid; draft or issued -> void, which releases the entries for billing again: the
 * database marks the invoice's lines void with it (trigger Invoice_lines_follow_status).
 */
export async function setInvoiceStatus(services: Services, workspaceId: string, id: string, to: "issued" | "paid" | "void", now = new Date()) {
  return services.db.$transaction(async (tx) => {
    await lockInvoicing(tx, workspaceId);
    const invoice = await tx.invoice.findFirst({ where: { id, workspaceId } });
    if (!invoice) throw new NotFoundError("Invoice");
    if (!TRANSITIONS[invoice.status].includes(to)) {
      throw new ConflictError(`A ${invoice.status} invoice can't become ${to}`, []);
    }
    return tx.invoice.update({
      where: { id },
      data: { status: to, ...(to === "issued" ? { issuedAt: now } : to === "paid" ? { paidAt: now } : { voidedAt: now }) },
    });
  });
}
