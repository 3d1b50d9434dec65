-- A line is written void exactly when its invoice is, as the update guard (invoice_line_void_guard)
-- keeps it afterwards: a line inserted non-void into a void invoice would bill its entry while the
-- invoice doesn't, and one inserted void into a live invoice would let the entry be billed twice.
-- Checked once per statement against the inserted rows, so month-end invoicing, which writes all
-- its lines in one statement, pays one join rather than a lookup per line.
CREATE FUNCTION invoice_lines_inserted_voided_with_invoice() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM inserted_lines l JOIN "Invoice" i ON i.id = l."invoiceId" WHERE l.voided IS DISTINCT FROM (i.status = 'void')) THEN
    RAISE EXCEPTION 'An invoice line is void exactly when its invoice is' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "InvoiceLine_inserted_voided_with_invoice"
AFTER INSERT ON "InvoiceLine"
REFERENCING NEW TABLE AS inserted_lines
FOR EACH STATEMENT EXECUTE FUNCTION invoice_lines_inserted_voided_with_invoice();
