-- An entry or client session is billed by its line on an invoice that is not void, instead of by a
-- column on itself: month-end invoicing then writes each item once (its line) rather than also
-- rewriting every entry, and "billed at most once" becomes a unique index.

ALTER TABLE "InvoiceLine" ADD COLUMN "voided" BOOLEAN NOT NULL DEFAULT false;
UPDATE "InvoiceLine" l SET "voided" = true FROM "Invoice" i WHERE i.id = l."invoiceId" AND i."status" = 'void';

-- At most one line that is not void per entry and per session (hand-written: partial).
CREATE UNIQUE INDEX "InvoiceLine_bills_time_entry" ON "InvoiceLine" ("timeEntryId") WHERE "timeEntryId" IS NOT NULL AND NOT "voided";
CREATE UNIQUE INDEX "InvoiceLine_bills_appointment" ON "InvoiceLine" ("appointmentId") WHERE "appointmentId" IS NOT NULL AND NOT "voided";
-- All of an entry's or session's lines, void ones too: deleting one sets them to null by these.
CREATE INDEX "InvoiceLine_time_entry" ON "InvoiceLine" ("timeEntryId") WHERE "timeEntryId" IS NOT NULL;
CREATE INDEX "InvoiceLine_appointment" ON "InvoiceLine" ("appointmentId") WHERE "appointmentId" IS NOT NULL;

ALTER TABLE "TimeEntry" DROP CONSTRAINT "TimeEntry_invoiceId_fkey";
DROP INDEX "TimeEntry_invoiceId_idx";
ALTER TABLE "TimeEntry" DROP COLUMN "invoiceId";

ALTER TABLE "Appointment" DROP CONSTRAINT "Appointment_invoiceId_fkey";
DROP INDEX "Appointment_invoiceId_idx";
ALTER TABLE "Appointment" DROP COLUMN "invoiceId";
