import PDFDocument from "pdfkit";
import type { Db } from "../common/context.js";
import { decimalOf, localDate } from "./rules.js";

function money(cents: bigint, currency: string) {
  const format = new Intl.NumberFormat("en", { style: "currency", currency });
  return format.format(decimalOf(cents, format.resolvedOptions().maximumFractionDigits ?? 2));
}

function hours(seconds: number) {
  return `${Math.floor(seconds / 3600)}:${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")} h`;
}

/** The invoice as a PDF, or null when it isn't this workspace's. */
export async function invoicePdf(db: Db, workspaceId: string, invoiceId: string): Promise<{ name: string; bytes: Buffer } | null> {
  const invoice = await db.invoice.findFirst({
    where: { id: invoiceId, workspaceId },
    include: { lines: { orderBy: { position: "asc" } }, client: true, workspace: true },
  });
  if (!invoice) return null;
  const doc = new PDFDocument({ size: "A4", margin: 50, info: { Title: `Invoice ${invoice.number}` } });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on("end", () => resolve()));

  doc.fontSize(20).text(`Invoice ${invoice.number}`, { continued: false });
  if (invoice.status !== "issued" && invoice.status !== "paid") doc.fontSize(10).fillColor("#b00").text(invoice.status.toUpperCase()).fillColor("black");
  doc.moveDown(0.5).fontSize(10);
  doc.text(`From: ${invoice.workspace.name}`);
  doc.text(`To: ${invoice.client.name}`);
  doc.text(`Period: ${invoice.periodStart} to ${invoice.periodEnd}`);
  // A calendar date like the period and the lines: the workspace's, not UTC's (issued just after local midnight is that day).
  if (invoice.issuedAt) doc.text(`Issued: ${localDate(invoice.issuedAt, invoice.workspace.timeZone)}`);
  doc.moveDown();

  const columns = [50, 120, 330, 400, 470];
  const row = (cells: string[], bold = false) => {
    const y = doc.y;
    doc.font(bold ? "Helvetica-Bold" : "Helvetica");
    cells.forEach((cell, i) => doc.text(cell, columns[i], y, { width: (columns[i + 1] ?? 545) - columns[i] - 5, align: i >= 2 ? "right" : "left" }));
    doc.moveDown(0.3);
  };
  row(["Date", "Description", "Time", "Rate", "Amount"], true);
  for (const line of invoice.lines) {
    row([line.date, line.description, hours(line.quantitySeconds), money(line.rateCents, invoice.currency), money(line.amountCents, invoice.currency)]);
  }
  doc.moveDown();
  row(["", "Subtotal", "", "", money(invoice.subtotalCents, invoice.currency)]);
  row(["", `Tax ${(invoice.taxRateBp / 100).toFixed(2)}%`, "", "", money(invoice.taxCents, invoice.currency)]);
  row(["", "Total", "", "", money(invoice.totalCents, invoice.currency)], true);
  doc.end();
  await done;
  return { name: `invoice-${invoice.number}.pdf`, bytes: Buffer.concat(chunks) };
}
