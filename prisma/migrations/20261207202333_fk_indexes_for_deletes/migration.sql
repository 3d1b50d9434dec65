-- Deleting a client checks for its invoices and projects, and deleting an app deletes its flows'
-- outcomes, through these foreign keys: without an index, each was a scan of the whole table.
-- CreateIndex
CREATE INDEX "FlowOutcome_flowId_idx" ON "FlowOutcome"("flowId");

-- CreateIndex
CREATE INDEX "Invoice_clientId_idx" ON "Invoice"("clientId");

-- CreateIndex
CREATE INDEX "Project_clientId_idx" ON "Project"("clientId");
