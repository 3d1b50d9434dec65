import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DateTime } from "luxon";
import { gql, ok } from "../support/client.js";
import { calendar, instant, isoDate, isoMonth } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: string;
let emma: string;
beforeAll(async () => {
  stack = await startStack({ worker: true });
  url = stack.urls[0];
  const ws = await newWorkspace(url, "Europe/Berlin");
  [owner, emma] = [ws.owner.token, ws.employee2.token];
});
afterAll(() => stack?.stop());

// Entries go in last month (time can't be logged ahead); the month-end job bills the month before.
const cal = calendar("Europe/Berlin");
const LAST_MONTH = cal.firstOfMonth(-1);
const MONTH_BEFORE = cal.firstOfMonth(-2);
/** Local (Berlin) time on day `dayOfMonth` of last month, as an instant. */
const on = (dayOfMonth: number, hhmm = "09:00", month = LAST_MONTH) => instant(month.plus({ days: dayOfMonth - 1 }), hhmm);
const dayOf = (dayOfMonth: number, month = LAST_MONTH) => isoDate(month.plus({ days: dayOfMonth - 1 }));

async function clientWithProject(name: string, rateCents = 9000, currency = "EUR") {
  const client = (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: name }, { token: owner })).createClient.id;
  const project = (
    await ok(url, `mutation($c: ID!, $n: String!, $r: Money!, $cur: String) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: $r, currency: $cur }) { ... on Project { id } } }`, { c: client, n: `${name} work`, r: rateCents, cur: currency }, { token: owner })
  ).createProject.id;
  return { client, project };
}

const LOG = `mutation($p: ID!, $d: String, $s: DateTime!, $e: DateTime!) { logTime(input: { projectId: $p, description: $d, startedAt: $s, endedAt: $e }) { __typename ... on TimeEntry { id durationSeconds billed } ... on ValidationError { problems { path message } } } }`;
const log = (project: string, start: string, minutes: number, d = "work") =>
  ok(url, LOG, { p: project, d, s: start, e: new Date(Date.parse(start) + minutes * 60_000).toISOString() }, { token: emma });
const INVOICE = `id number status currency subtotalCents taxRateBp taxCents totalCents periodStart periodEnd lines { position description date quantitySeconds rateCents amountCents } pdfUrl`;
const CREATE = `mutation($c: ID!, $f: LocalDate!, $t: LocalDate!) { createInvoice(input: { clientId: $c, from: $f, to: $t }) { __typename ... on MutationCreateInvoiceSuccess { data { ${INVOICE} } } ... on Error { code message } } }`;
const create = async (client: string, f = isoDate(LAST_MONTH), t = isoDate(LAST_MONTH.endOf("month"))) => (await ok(url, CREATE, { c: client, f, t }, { token: owner })).createInvoice;
const status = (field: string, id: string) => ok(url, `mutation($id: ID!) { ${field}(input: { id: $id }) { __typename ... on Invoice { status } ... on Error { code message } } }`, { id }, { token: owner });

describe("time entries", () => {
  it("logs manual time and lists it with filters", async () => {
    const { client, project } = await clientWithProject("Initech");
    const logged = (await log(project, on(3), 90)).logTime;
    expect(logged).toMatchObject({ __typename: "TimeEntry", durationSeconds: 5400, billed: false });
    const list = await ok(url, `query($f: TimeEntryFilter) { timeEntries(filter: $f) { nodes { id } } }`, { f: { clientId: client, billed: false } }, { token: emma });
    expect(list.timeEntries.nodes.map((n: { id: string }) => n.id)).toEqual([logged.id]);
    const byOtherProject = await ok(url, `query($f: TimeEntryFilter) { timeEntries(filter: $f) { nodes { id } } }`, { f: { from: on(4, "00:00") } }, { token: emma });
    expect(byOtherProject.timeEntries.nodes.map((n: { id: string }) => n.id)).not.toContain(logged.id);
  });

  it("rejects an end before the start, and times in the future, writing nothing", async () => {
    const { client, project } = await clientWithProject("Hooli");
    const backwards = await ok(url, LOG, { p: project, s: on(3, "10:00"), e: on(3) }, { token: emma });
    expect(backwards.logTime).toEqual({ __typename: "ValidationError", problems: [{ path: ["endedAt"], message: "Must be after the start" }] });
    const future = await ok(url, LOG, { p: project, s: DateTime.now().plus({ years: 1 }).toUTC().toISO(), e: DateTime.now().plus({ years: 1, hours: 1 }).toUTC().toISO() }, { token: emma });
    expect(future.logTime.__typename).toBe("ValidationError");
    const list = await ok(url, `query($f: TimeEntryFilter) { timeEntries(filter: $f) { nodes { id } } }`, { f: { clientId: client } }, { token: emma });
    expect(list.timeEntries.nodes).toEqual([]);
  });
});

describe("invoices", () => {
  it("bills one line per entry at rate x hours, rounded per line, with tax; voiding releases the entries", async () => {
    await ok(url, `mutation { updateBillingSettings(input: { rounding: UP, roundingMinutes: 6, taxRateBp: 1900 }) { __typename } }`, {}, { token: owner });
    const { client, project } = await clientWithProject("Umbrella", 12000);
    await log(project, on(5), 61, "Design review"); // rounds up to 66 minutes
    await log(project, on(6), 30, "Fixes"); // exactly 30
    const [invoice] = (await create(client)).data;
    expect(invoice.status).toBe("DRAFT");
    expect(invoice.lines.map((l: { quantitySeconds: number; amountCents: string; date: string }) => [l.date, l.quantitySeconds, l.amountCents])).toEqual([
      [dayOf(5), 66 * 60, "13200"],
      [dayOf(6), 30 * 60, "6000"],
    ]);
    expect([invoice.subtotalCents, invoice.taxCents, invoice.totalCents]).toEqual(["19200", "3648", "22848"]);
    expect((await create(client)).data).toEqual([]); // nothing left to bill: an entry is billed once

    expect((await status("voidInvoice", invoice.id)).voidInvoice.status).toBe("VOID");
    const again = (await create(client)).data;
    expect(again).toHaveLength(1);
    expect(again[0].number).toBeGreaterThan(invoice.number);
    await ok(url, `mutation { updateBillingSettings(input: { rounding: NONE, taxRateBp: 0 }) { __typename } }`, {}, { token: owner });
  });

  it("late entries join the period's draft; once issued, they wait", async () => {
    const { client, project } = await clientWithProject("Late");
    await log(project, on(12), 60, "First");
    const [draft] = (await create(client)).data;
    await log(project, on(13), 30, "Late one");
    const [same] = (await create(client)).data;
    expect(same.id).toBe(draft.id);
    expect(same.lines.map((l: { position: number; description: string }) => [l.position, l.description])).toEqual([[1, "First"], [2, "Late one"]]);
    expect(same.subtotalCents).toBe(String(9000 + 4500));
    await status("issueInvoice", draft.id);
    await log(project, on(14), 30, "After issue");
    expect((await create(client)).data).toEqual([]);
    const unbilled = await ok(url, `query($f: TimeEntryFilter) { timeEntries(filter: $f) { nodes { description } } }`, { f: { clientId: client, billed: false } }, { token: emma });
    expect(unbilled.timeEntries.nodes).toEqual([{ description: "After issue" }]);
  });

  it("moves draft -> issued -> paid, and refuses other moves", async () => {
    const { client, project } = await clientWithProject("Stark");
    await log(project, on(7), 60);
    const [invoice] = (await create(client)).data;
    expect((await status("markInvoicePaid", invoice.id)).markInvoicePaid).toMatchObject({ __typename: "ConflictError" });
    expect((await status("issueInvoice", invoice.id)).issueInvoice.status).toBe("ISSUED");
    expect((await status("markInvoicePaid", invoice.id)).markInvoicePaid.status).toBe("PAID");
    expect((await status("voidInvoice", invoice.id)).voidInvoice).toMatchObject({ __typename: "ConflictError", code: "CONFLICT" });
  });

  it("numbers invoices sequentially without gaps or duplicates under concurrency, billing each entry once", async () => {
    const clients = [];
    for (let i = 0; i < 6; i++) {
      const { client, project } = await clientWithProject(`Parallel ${i}`);
      await log(project, on(10), 30);
      clients.push(client);
    }
    // Each client twice at once: one of each pair bills, the other finds nothing left.
    const results = await Promise.all([...clients, ...clients].map((c) => create(c)));
    const invoices = results.flatMap((r) => r.data);
    expect(invoices).toHaveLength(6);
    const numbers = invoices.map((i: { number: number }) => i.number).sort((a: number, b: number) => a - b);
    expect(numbers).toEqual(Array.from({ length: 6 }, (_, i) => numbers[0] + i));
    const all = await ok(url, `{ invoices(first: 100) { nodes { number } } }`, {}, { token: owner });
    const everyNumber = all.invoices.nodes.map((n: { number: number }) => n.number).sort((a: number, b: number) => a - b);
    expect(everyNumber).toEqual(Array.from({ length: everyNumber.length }, (_, i) => i + 1));
  });

  it("the month-end job drafts invoices on demand, and running it twice creates nothing twice", async () => {
    const { client, project } = await clientWithProject("Monthly", 6000, "USD");
    await log(project, on(15, "09:00", MONTH_BEFORE), 120);
    const run = () => ok(url, `mutation { generateInvoices(input: { month: "${isoMonth(MONTH_BEFORE)}" }) { __typename ... on InvoiceGeneration { month } } }`, {}, { token: owner });
    await run();
    const mine = async () => (await ok(url, `query($c: ID) { invoices(clientId: $c) { nodes { number totalCents currency periodStart periodEnd } } }`, { c: client }, { token: owner })).invoices.nodes;
    await expect.poll(mine, { timeout: 10_000 }).toHaveLength(1);
    await run();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await mine()).toEqual([expect.objectContaining({ totalCents: "12000", currency: "USD", periodStart: isoDate(MONTH_BEFORE), periodEnd: isoDate(MONTH_BEFORE.endOf("month")) })]);
    expect((await ok(url, `mutation { generateInvoices(input: { month: "2026-13" }) { __typename } }`, {}, { token: owner })).generateInvoices.__typename).toBe("ValidationError");
  });

  it("serves a PDF to billing managers only", async () => {
    const { client, project } = await clientWithProject("Paper");
    await log(project, on(11), 45);
    const [invoice] = (await create(client)).data;
    const pdf = await fetch(url + invoice.pdfUrl, { headers: { authorization: `Bearer ${owner}` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe("%PDF-");
    expect((await fetch(url + invoice.pdfUrl, { headers: { authorization: `Bearer ${emma}` } })).status).toBe(404);
    expect((await fetch(url + invoice.pdfUrl)).status).toBe(401);
  });

  it("keeps invoices from employees", async () => {
    const res = await gql(url, `{ invoices { nodes { id } } }`, {}, { token: emma });
    expect(res.body.errors![0].extensions!.code).toBe("FORBIDDEN");
  });
});
