// A client's progress report: sessions and status counts in a range, each number or choice field
// over time (sessions not cancelled, and evaluations), the evaluations, and the same as a PDF.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/client.js";
import { calendar, isoDate } from "../support/dates.js";
import { pdfLines } from "../support/pdf-text.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  ws = await newWorkspace(url, "Europe/Berlin");
});
afterAll(() => stack?.stop());

// The Monday of the second week of the month before last: it and the five weeks after it are past, any day.
const M = calendar("Europe/Berlin").firstMondayOf(-2).plus({ days: 7 });
const day = (offset: number) => isoDate(M.plus({ days: offset }));
const ERR = `... on ValidationError { code problems { path message } } ... on Error { code message }`;
const REPORT = `query($c: ID!, $f: LocalDate!, $t: LocalDate!) { clientProgress(clientId: $c, from: $f, to: $t) {
  __typename ... on ClientProgress { attended statusCounts { status count } sessions { name status } pdfUrl
    series { field { key } points { at number text } } evaluations { title } } ${ERR} } }`;

describe("a client's progress report", () => {
  it("counts sessions by status, follows number and choice fields over time, lists evaluations, and prints as PDF", async () => {
    const owner = { token: ws.owner.token };
    const field = (target: string, k: string, ty: string, i: object) =>
      ok(url, `mutation($t: FieldTarget!, $k: String!, $ty: FieldType!, $i: FieldDefinitionInput!) { createFieldDefinition(input: { target: $t, key: $k, type: $ty, definition: $i }) { __typename } }`, { t: target, k, ty, i: { label: k, ...i } }, owner);
    await field("PRE_SESSION", "pain", "NUMBER", { validation: { min: 0, max: 10 } });
    await field("POST_SESSION", "mobility", "SELECT", { validation: { options: ["Low", "Medium", "High"] } });
    await field("EVALUATION", "rom", "NUMBER", {});
    const client = (await ok(url, `mutation { createClient(input: { name: "Ida Berg" }) { ... on Client { id } } }`, {}, owner)).createClient.id;
    const other = (await ok(url, `mutation { createClient(input: { name: "Jon Dahl" }) { ... on Client { id } } }`, {}, owner)).createClient.id;

    const book = async (c: string, name: string, offset: number, pain: number, status: string, mobility?: string) => {
      const made = await ok(url, `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ... on AppointmentPayload { appointment { id } } ${ERR} } }`,
        { i: { clientId: c, name, date: day(offset), time: "10:00", durationMinutes: 45, fields: { pain } } }, owner);
      const id = made.createAppointment.appointment.id;
      if (mobility) await ok(url, `mutation($id: ID!, $f: JSON!) { saveAppointmentFields(input: { id: $id, phase: POST_SESSION, fields: $f }) { __typename } }`, { id, f: { mobility } }, owner);
      if (status !== "SCHEDULED") await ok(url, `mutation($id: ID!, $s: AppointmentStatus!) { setAppointmentStatus(input: { id: $id, status: $s }) { __typename } }`, { id, s: status }, owner);
      return id;
    };
    await book(client, "First", 0, 8, "COMPLETED", "Low");
    await book(client, "Second", 7, 6, "COMPLETED", "Medium");
    await book(client, "Skipped", 14, 9, "CANCELLED");
    await book(client, "Third", 21, 3, "SCHEDULED");
    await book(client, "Outside the range", 40, 1, "COMPLETED");
    await book(other, "Someone else's", 7, 5, "COMPLETED");
    await ok(url, `mutation($c: ID!) { saveEvaluation(input: { clientId: $c, title: "Baseline", fields: { rom: 70 } }) { __typename } }`, { c: client }, owner);

    const res = await ok(url, REPORT, { c: client, f: day(0), t: day(27) }, owner);
    const report = res.clientProgress;
    expect(report.attended).toBe(2);
    expect(report.statusCounts).toEqual([
      { status: "SCHEDULED", count: 1 }, { status: "IN_PROGRESS", count: 0 }, { status: "COMPLETED", count: 2 }, { status: "CANCELLED", count: 1 },
    ]);
    expect(report.sessions.map((s: { name: string }) => s.name)).toEqual(["First", "Second", "Skipped", "Third"]);
    const series = Object.fromEntries(report.series.map((s: { field: { key: string }; points: { number: number | null; text: string | null }[] }) => [s.field.key, s.points.map((p) => p.number ?? p.text)]));
    // The cancelled session's value is left out; the evaluation was made today, outside this range.
    expect(series).toEqual({ pain: [8, 6, 3], mobility: ["Low", "Medium"] });
    expect(report.evaluations).toEqual([]);
    // Today's evaluation shows in a range that reaches today.
    const today = isoDate(calendar("Europe/Berlin").today);
    const recent = (await ok(url, REPORT, { c: client, f: day(0), t: today }, owner)).clientProgress;
    expect(recent.evaluations).toEqual([{ title: "Baseline" }]);
    expect(recent.series.find((s: { field: { key: string } }) => s.field.key === "rom").points.map((p: { number: number }) => p.number)).toEqual([70]);

    // The PDF of the same report.
    const pdf = await fetch(url + report.pdfUrl, { headers: { authorization: `Bearer ${ws.owner.token}` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(pdf.headers.get("content-disposition")).toContain(`progress-ida-berg-${day(0)}-${day(27)}.pdf`);
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
    // Under each field its chart, then its values by date: a choice field's chart counts the answers.
    const lines = pdfLines(bytes);
    expect(lines.slice(lines.indexOf("mobility"), lines.indexOf("mobility") + 5)).toEqual(["mobility", "Low: 1 time", "Medium: 1 time", `${day(0)}  Low`, `${day(7)}  Medium`]);
    expect(lines).toContain("Sessions: 4");

    // Bad ranges name the field; an unknown client is not found; nobody outside the practice reads it.
    expect((await ok(url, REPORT, { c: client, f: day(27), t: day(0) }, owner)).clientProgress).toMatchObject({ code: "VALIDATION", problems: [{ path: ["to"], message: "Must not be before from" }] });
    expect((await ok(url, REPORT, { c: client, f: day(0), t: isoDate(M.plus({ days: 400 })) }, owner)).clientProgress.problems).toEqual([{ path: ["to"], message: "At most 366 days" }]);
    const pdfOf = (from: string, to: string) =>
      fetch(`${url}/api/appointments/clients/${report.pdfUrl.split("/")[4]}/progress.pdf?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${ws.owner.token}` } });
    for (const [from, to, reason] of [
      ["yesterday", day(1), "from must be a calendar date YYYY-MM-DD"],
      [day(0), "2026-02-30", "to must be a calendar date YYYY-MM-DD"], // shaped like a date, but there is no such day
      ["0001-01-01", day(1), "from must be between the years 1900 and 9999"],
    ]) {
      const bad = await pdfOf(from, to);
      expect([bad.status, await bad.text()]).toEqual([400, reason]);
    }
  });
});
