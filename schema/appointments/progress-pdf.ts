// The progress report as a PDF: what the page shows, for a client's file or a referrer. Numbers
// over time are drawn as small bar charts with their values beside them, choices as a bar per answer
// with how often it was given.
import PDFDocument from "pdfkit";
import { DateTime } from "luxon";
import type { ProgressReport } from "./progress.js";
import { answerCounts } from "./rules.js";

const STATUS_WORDS = { scheduled: "Scheduled", in_progress: "In progress", completed: "Completed", cancelled: "Cancelled" } as const;

export async function progressPdf(report: ProgressReport): Promise<{ name: string; bytes: Buffer }> {
  const doc = new PDFDocument({ size: "A4", margin: 50, info: { Title: `Progress report: ${report.client.name}` } });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on("end", () => resolve()));
  const when = (at: Date, format = "yyyy-MM-dd HH:mm") => DateTime.fromJSDate(at, { zone: report.timeZone }).toFormat(format);

  doc.fontSize(18).text(`Progress report: ${report.client.name}`);
  doc.fontSize(10).text(`${report.from} to ${report.to} (${report.timeZone})`).moveDown();
  const counts = (Object.keys(STATUS_WORDS) as (keyof typeof STATUS_WORDS)[]).map((s) => `${STATUS_WORDS[s]} ${report.sessions.filter((x) => x.status === s).length}`);
  doc.font("Helvetica-Bold").text(`Sessions: ${report.sessions.length}`).font("Helvetica").text(counts.join(" · ")).moveDown();

  doc.font("Helvetica-Bold").fontSize(12).text("Sessions").font("Helvetica").fontSize(10);
  if (!report.sessions.length) doc.text("No sessions in this period.");
  for (const s of report.sessions) doc.text(`${when(s.startsAt)}  ${s.name}  (${s.staff.name})  ${STATUS_WORDS[s.status]}${s.adminNotes ? `: ${s.adminNotes}` : ""}`);
  doc.moveDown();

  for (const { field, points } of report.series) {
    doc.font("Helvetica-Bold").fontSize(12).text(field.label).font("Helvetica").fontSize(10);
    const numbers = points.filter((p) => typeof p.value === "number").map((p) => p.value as number);
    if (field.type === "select") drawCounts(doc, answerCounts(points));
    else if (numbers.length === points.length) drawBars(doc, numbers);
    for (const p of points) doc.text(`${when(p.at, "yyyy-MM-dd")}  ${p.value}`);
    doc.moveDown();
  }

  doc.font("Helvetica-Bold").fontSize(12).text("Evaluations").font("Helvetica").fontSize(10);
  if (!report.evaluations.length) doc.text("No evaluations in this period.");
  for (const e of report.evaluations) doc.text(`${when(e.createdAt, "yyyy-MM-dd")}  ${e.title}`);
  doc.end();
  await done;
  return { name: `progress-${report.client.name.replace(/[^A-Za-z0-9]+/g, "-").toLowerCase()}-${report.from}-${report.to}.pdf`, bytes: Buffer.concat(chunks) };
}

/** A row of bars, tallest the largest value, under the field's title. */
function drawBars(doc: PDFKit.PDFDocument, values: number[]) {
  const height = 60;
  const width = 495;
  const top = doc.y + 4;
  const max = Math.max(...values.map(Math.abs), 1);
  const step = width / values.length;
  values.forEach((v, i) => {
    const h = (Math.abs(v) / max) * height;
    doc.rect(50 + i * step + step * 0.15, top + height - h, step * 0.7, h).fill("#2f6fde");
  });
  doc.fillColor("black");
  doc.y = top + height + 6;
  doc.x = 50;
}

/** A bar per answer, as long as how often it was given, with the answer and the count written beside it. */
function drawCounts(doc: PDFKit.PDFDocument, counts: [string, number][]) {
  const most = Math.max(...counts.map(([, n]) => n), 1);
  for (const [answer, times] of counts) {
    const top = doc.y + 2;
    doc.rect(50, top, (times / most) * 200, 9).fill("#2f6fde");
    doc.fillColor("black").text(`${answer}: ${times} time${times === 1 ? "" : "s"}`, 260, top, { width: 285 });
    doc.x = 50;
  }
  doc.moveDown(0.5);
}
