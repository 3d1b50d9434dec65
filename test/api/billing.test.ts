import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DateTime } from "luxon";
import pg from "pg";
import { gql, ok, rowId } from "../support/client.js";
import { invoiceTotals, lineAmount, localDate, roundSeconds, type Rounding } from "../../schema/billing/rules.js";
import { calendar, instant, isoDate, isoMonth, type Day } from "../support/dates.js";
import { pdfLines } from "../support/pdf-text.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: string;
let emma: string;
let emmaId: string;
beforeAll(async () => {
  stack = await startStack({ worker: true });
  url = stack.urls[0];
  const ws = await newWorkspace(url, "Europe/Berlin");
  [owner, emma, emmaId] = [ws.owner.token, ws.employee2.token, ws.employee2.id];
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
/** A client's entries (just the billed or unbilled ones when `billed` is given), newest first, as a billing manager sees them. */
const entries = async (client: string, billed?: boolean) =>
  (await ok(url, `query($f: TimeEntryFilter) { timeEntries(filter: $f) { nodes { id billed invoice { number } } } }`, { f: { clientId: client, userId: emmaId, billed } }, { token: owner }))
    .timeEntries.nodes;
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

/** Runs `check` on the stack's database; the embedded one belongs to the server process, so nothing runs there. */
async function onDatabase(check: (sql: pg.Client) => Promise<void>) {
  if (!stack.databaseUrl) return;
  const sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  try {
    await check(sql);
  } finally {
    await sql.end();
  }
}

/** A second line for the entries of an invoice, as a mistake anywhere else would write it: the database refuses it. */
const expectSecondLineRefused = (invoiceId: string) =>
  onDatabase(async (sql) => {
    const copy = sql.query(
      `INSERT INTO "InvoiceLine" (id, "invoiceId", position, "timeEntryId", description, date, "quantitySeconds", "rateCents", "amountCents")
       SELECT gen_random_uuid(), "invoiceId", position + 1, "timeEntryId", description, date, "quantitySeconds", "rateCents", "amountCents" FROM "InvoiceLine" WHERE "invoiceId" = $1`,
      [rowId(invoiceId)],
    );
    await expect(copy).rejects.toMatchObject({ code: "23505" });
  });

/**
 * An invoice's lines voided, or un-voided, on their own, or a line added with the other flag (billing
 * no entry, so no unique index is in the way): the database refuses both.
 */
const expectLinesFollowInvoice = (invoiceId: string) =>
  onDatabase(async (sql) => {
    const flip = sql.query(`UPDATE "InvoiceLine" SET voided = NOT voided WHERE "invoiceId" = $1`, [rowId(invoiceId)]);
    await expect(flip).rejects.toMatchObject({ code: "23514" });
    const added = sql.query(
      `INSERT INTO "InvoiceLine" (id, "invoiceId", position, description, date, "quantitySeconds", "rateCents", "amountCents", voided)
       SELECT gen_random_uuid(), "invoiceId", position + 100, description, date, "quantitySeconds", "rateCents", "amountCents", NOT voided FROM "InvoiceLine" WHERE "invoiceId" = $1`,
      [rowId(invoiceId)],
    );
    await expect(added).rejects.toMatchObject({ code: "23514" });
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

    const billedOn = async () => (await entries(client)).map((e: { billed: boolean; invoice: { number: number } | null }) => [e.billed, e.invoice?.number]);
    const filtered = async () => [(await entries(client, true)).length, (await entries(client, false)).length];
    expect(await billedOn()).toEqual([[true, invoice.number], [true, invoice.number]]);
    expect(await filtered()).toEqual([2, 0]);

    expect((await status("voidInvoice", invoice.id)).voidInvoice.status).toBe("VOID");
    expect(await billedOn()).toEqual([[false, undefined], [false, undefined]]);
    expect(await filtered()).toEqual([0, 2]); // the void invoice's lines don't bill them
    const again = (await create(client)).data;
    expect(again).toHaveLength(1);
    expect(again[0].number).toBeGreaterThan(invoice.number);
    expect(await billedOn()).toEqual([[true, again[0].number], [true, again[0].number]]);
    expect(await filtered()).toEqual([2, 0]);
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

  it("keeps an entry on one invoice that is not void, in the database itself, its lines void only with it; a void invoice keeps its lines", async () => {
    const { client, project } = await clientWithProject("Once");
    const entry = (await log(project, on(8), 45)).logTime.id;
    const [first] = (await create(client)).data;
    await expectSecondLineRefused(first.id);
    await expectLinesFollowInvoice(first.id);
    await status("voidInvoice", first.id);
    await expectLinesFollowInvoice(first.id);
    const [second] = (await create(client)).data;
    await expectSecondLineRefused(second.id);
    await status("voidInvoice", second.id);

    const deleted = await ok(url, `mutation($id: ID!) { deleteTimeEntry(input: { id: $id }) { __typename } }`, { id: entry }, { token: emma });
    expect(deleted.deleteTimeEntry.__typename).toBe("TimeEntry");
    const kept = await ok(url, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Invoice { status lines { description } } } }`, { ids: [first.id, second.id] }, { token: owner });
    expect(kept.nodes).toEqual([first, second].map(() => ({ status: "VOID", lines: [{ description: "work" }] })));
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

  it("prints the issue date as a date in the workspace's time zone", async () => {
    if (!stack.databaseUrl) return; // the issue time is set in the database, which the embedded mode keeps to the server
    const { client, project } = await clientWithProject("Just after midnight");
    await log(project, on(12), 30);
    const [invoice] = (await create(client)).data;
    expect((await status("issueInvoice", invoice.id)).issueInvoice.status).toBe("ISSUED");
    // Issued at 00:30 in Berlin on the first of this month: in UTC still the last day of the month before.
    const firstOfMonth = cal.firstOfMonth(0);
    await onDatabase(async (sql) => void (await sql.query(`UPDATE "Invoice" SET "issuedAt" = $1 WHERE id = $2`, [instant(firstOfMonth, "00:30"), rowId(invoice.id)])));
    const pdf = await fetch(url + invoice.pdfUrl, { headers: { authorization: `Bearer ${owner}` } });
    expect(pdfLines(Buffer.from(await pdf.arrayBuffer()))).toContain(`Issued: ${isoDate(firstOfMonth)}`);
  });

  it("keeps invoices from employees", async () => {
    const res = await gql(url, `{ invoices { nodes { id } } }`, {}, { token: emma });
    expect(res.body.errors![0].extensions!.code).toBe("FORBIDDEN");
  });
});

describe("invoices priced in SQL", () => {
  /** The most recent day before today on which `zone` changes its clocks one way (23 hours long) or the other (25). */
  function lastDstDay(zone: string, hours: 23 | 25): Day {
    for (let day = calendar(zone).today.minus({ days: 1 }); ; day = day.minus({ days: 1 })) {
      if (day.plus({ days: 1 }).diff(day, "hours").hours === hours) return day;
    }
  }

  // Each rounding rule with a tax rate that makes the tax land on half cents too.
  const ROUNDINGS: { input: string; rounding: Rounding }[] = [
    { input: "rounding: NONE", rounding: { mode: "none" } },
    { input: "rounding: UP, roundingMinutes: 1", rounding: { mode: "up", minutes: 1 } },
    { input: "rounding: UP, roundingMinutes: 6", rounding: { mode: "up", minutes: 6 } },
    { input: "rounding: NEAREST, roundingMinutes: 6", rounding: { mode: "nearest", minutes: 6 } },
    { input: "rounding: NEAREST, roundingMinutes: 15", rounding: { mode: "nearest", minutes: 15 } },
  ];

  for (const zone of ["Europe/Berlin", "America/St_Johns"]) {
    it(`dates, rounds and prices lines exactly as the billing rules do (${zone}: DST changes, local midnight, half cents, two currencies)`, async () => {
      const ws = await newWorkspace(url, zone);
      const [boss, staff] = [ws.owner.token, ws.employee.token];
      const spring = lastDstDay(zone, 23);
      const autumn = lastDstDay(zone, 25);
      const at = (day: Day, hhmm: string) => instant(day, hhmm);
      // [start, seconds]: across the skipped and the repeated hour, across local midnight, just after
      // local midnight (another date in UTC), and lengths that sit half-way between rounding steps.
      // In order of start, as an invoice lists them: which of the two changes came last depends on today.
      const entries: [string, number][] = (<[string, number][]>[
        [at(spring.minus({ days: 1 }), "23:50"), 1800],
        [at(spring, "00:20"), 450],
        [at(spring, "01:30"), 3600],
        [at(spring, "12:00"), 1],
        [at(spring, "12:01"), 180],
        [at(autumn, "00:00"), 90],
        [at(autumn, "01:30"), 5400],
        [at(autumn, "23:59:59"), 900],
        [at(autumn.plus({ days: 1 }), "00:00:01"), 3],
        [at(autumn.plus({ days: 1 }), "09:00"), 60],
      ]).sort(([a], [b]) => Date.parse(a) - Date.parse(b));
      // Rates where whole minutes and quarter hours come to half a cent.
      const rates: Record<string, bigint> = { EUR: 1830n, USD: 1800n };
      const days = [spring.minus({ days: 1 }), spring, autumn, autumn.plus({ days: 1 })].sort((a, b) => a.toMillis() - b.toMillis());
      const call = (query: string, variables: Record<string, unknown> = {}) => ok(url, query, variables, { token: boss });

      for (const { input, rounding } of ROUNDINGS) {
        await call(`mutation { updateBillingSettings(input: { ${input}, taxRateBp: 1950 }) { __typename } }`);
        const client = (await call(`mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: input })).createClient.id;
        const projects: Record<string, string> = {};
        for (const [currency, rate] of Object.entries(rates)) {
          const created = await call(
            `mutation($c: ID!, $n: String!, $r: Money!, $cur: String) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: $r, currency: $cur }) { ... on Project { id } } }`,
            { c: client, n: `${input} ${currency}`, r: String(rate), cur: currency },
          );
          projects[currency] = created.createProject.id;
        }
        const expected: Record<string, { date: string; quantitySeconds: number; rateCents: string; amountCents: string }[]> = { EUR: [], USD: [] };
        for (const [i, [start, seconds]] of entries.entries()) {
          const currency = i % 2 ? "USD" : "EUR";
          const end = new Date(Date.parse(start) + seconds * 1000).toISOString();
          const logged = await ok(url, LOG, { p: projects[currency], d: `#${i}`, s: start, e: end }, { token: staff });
          expect(logged.logTime).toMatchObject({ __typename: "TimeEntry", durationSeconds: seconds });
          const quantitySeconds = roundSeconds(seconds, rounding);
          const amountCents = lineAmount(quantitySeconds, rates[currency]);
          expected[currency].push({ date: localDate(new Date(start), zone), quantitySeconds, rateCents: String(rates[currency]), amountCents: String(amountCents) });
        }

        const created = (await call(CREATE, { c: client, f: isoDate(days[0]), t: isoDate(days[3]) })).createInvoice.data;
        const invoices = [...created].sort((a: { currency: string }, b: { currency: string }) => a.currency.localeCompare(b.currency));
        expect(invoices.map((i: { currency: string }) => i.currency)).toEqual(["EUR", "USD"]);
        for (const invoice of invoices) {
          const lines = expected[invoice.currency];
          const totals = invoiceTotals(lines.map((l) => BigInt(l.amountCents)), 1950);
          expect(invoice, `${input}, ${invoice.currency}`).toMatchObject({
            subtotalCents: String(totals.subtotalCents),
            taxCents: String(totals.taxCents),
            totalCents: String(totals.totalCents),
            lines: lines.map((line, i) => ({ position: i + 1, ...line })),
          });
        }
      }
    });
  }
});
