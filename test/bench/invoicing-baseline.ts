// The month-end invoicing baseline, in its own process: the writes the invoicing job makes for a month
// of time entries (numbers reserved, invoices with totals, priced and dated lines, each billing its entry),
// as one hand-written set-based statement through `pg`, in a transaction that is rolled back.
// Written for the bench's data: no rounding, no tax, no client sessions.
// Arguments: one JSON object { databaseUrl, workspaceId, timeZone, period: { key, startDate, endDate, start, end } }.
import pg from "pg";

const { databaseUrl, workspaceId, timeZone, period } = JSON.parse(process.argv[2]);
const sql = new pg.Client({ connectionString: databaseUrl });
await sql.connect();

const INVOICE_MONTH = `
  WITH item AS (
    SELECT e.id, e."startedAt", p."clientId", p.currency, COALESCE(NULLIF(e.description, ''), p.name) AS description,
      to_char(e."startedAt" AT TIME ZONE $2, 'YYYY-MM-DD') AS date, e."durationSeconds" AS seconds, p."hourlyRate" AS rate,
      div(2 * p."hourlyRate"::numeric * e."durationSeconds" + 3600, 7200)::bigint AS amount
    FROM "TimeEntry" e JOIN "Project" p ON p.id = e."projectId"
    WHERE e."workspaceId" = $1 AND NOT EXISTS (SELECT 1 FROM "InvoiceLine" l WHERE l."timeEntryId" = e.id AND NOT l.voided) AND e."endedAt" IS NOT NULL AND e."durationSeconds" > 0
      AND e."startedAt" >= $3 AND e."startedAt" < $4
  ), grp AS (
    SELECT "clientId", currency, sum(amount)::bigint AS subtotal, row_number() OVER (ORDER BY min("startedAt")) AS n
    FROM item GROUP BY "clientId", currency
  ), numbers AS (
    UPDATE "Workspace" SET "nextInvoiceNumber" = "nextInvoiceNumber" + (SELECT count(*) FROM grp) WHERE id = $1
    RETURNING "nextInvoiceNumber" - (SELECT count(*) FROM grp)::int AS first
  ), invoice AS (
    INSERT INTO "Invoice" (id, "workspaceId", "clientId", number, currency, "periodStart", "periodEnd", "periodKey", "subtotalCents", "taxRateBp", "taxCents", "totalCents")
    SELECT gen_random_uuid(), $1, g."clientId", numbers.first + g.n - 1, g.currency, $5, $6, $7, g.subtotal, 0, 0, g.subtotal FROM grp g, numbers
    RETURNING id, "clientId", currency
  ), line AS (
    INSERT INTO "InvoiceLine" (id, "invoiceId", position, "timeEntryId", description, date, "quantitySeconds", "rateCents", "amountCents")
    SELECT gen_random_uuid(), i.id, row_number() OVER (PARTITION BY i.id ORDER BY t."startedAt", t.id), t.id, t.description, t.date, t.seconds, t.rate, t.amount
    FROM item t JOIN invoice i USING ("clientId", currency)
    RETURNING "amountCents"
  )
  SELECT (SELECT count(*) FROM invoice)::int AS invoices, (SELECT count(*) FROM line)::int AS lines, (SELECT sum("amountCents") FROM line)::text AS amount`;

await sql.query("BEGIN");
const start = performance.now();
const { rows: [written] } = await sql.query(INVOICE_MONTH, [workspaceId, timeZone, period.start, period.end, period.startDate, period.endDate, period.key]);
const ms = performance.now() - start;
await sql.query("ROLLBACK");
await sql.end();
console.log(JSON.stringify({ ms, ...written }));
