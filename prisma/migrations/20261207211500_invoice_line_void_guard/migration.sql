-- A line's `voided` changes only with its invoice's status (trigger Invoice_lines_follow_status):
-- changed on its own, it would free an entry for billing again while its invoice still bills it, or
-- the reverse. Inserts aren't checked: lines are only written into a new or draft invoice, and a
-- check per line would cost month-end invoicing a lookup for each of its lines.
CREATE FUNCTION invoice_line_voided_with_invoice() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.voided IS DISTINCT FROM (SELECT status = 'void' FROM "Invoice" WHERE id = NEW."invoiceId") THEN
    RAISE EXCEPTION 'An invoice line is void exactly when its invoice is' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER "InvoiceLine_voided_with_invoice"
BEFORE UPDATE OF voided ON "InvoiceLine"
FOR EACH ROW WHEN (OLD.voided IS DISTINCT FROM NEW.voided)
EXECUTE FUNCTION invoice_line_voided_with_invoice();
