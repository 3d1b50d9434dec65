-- An invoice's lines are void exactly when it is, kept by the database: the unique indexes that bill
-- an entry or a client session once read `voided`, so no write that voids an invoice (or, were it
-- ever allowed, un-voids one) can leave its lines billing, or not billing, on their own.
CREATE FUNCTION invoice_lines_follow_status() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "InvoiceLine" SET voided = (NEW.status = 'void')
  WHERE "invoiceId" = NEW.id AND voided IS DISTINCT FROM (NEW.status = 'void');
  RETURN NULL;
END $$;

CREATE TRIGGER "Invoice_lines_follow_status"
AFTER UPDATE OF status ON "Invoice"
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION invoice_lines_follow_status();
