// A worker killed in the middle of month-end invoicing: the job runs again on another worker, and
// the invoices come out exactly as if nothing had happened (numbers gapless, each entry billed once).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ok } from "../support/client.js";
import { calendar, instant, isoMonth } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const uuid = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1];
// Entries go in the month before last: the month-end job bills a whole past month.
const MONTH = calendar("Europe/Berlin").firstOfMonth(-2);

describe.runIf(inject("redisUrl"))("a worker SIGKILLed mid-job", () => {
  let stack: Stack;
  let url: string;
  let ws: TestWorkspace;
  let db: pg.Client;
  beforeAll(async () => {
    // Short job locks, so the dead worker's job is noticed in seconds rather than half a minute.
    stack = await startStack({ worker: true, env: { JOB_LOCK_MS: "5000" } });
    url = stack.urls[0];
    ws = await newWorkspace(url);
    db = new pg.Client({ connectionString: stack.databaseUrl! });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  async function billableClient(name: string, entries: number) {
    const owner = { token: ws.owner.token };
    const client = (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: name }, owner)).createClient.id;
    const project = (await ok(url, `mutation($c: ID!, $n: String!) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: 6000 }) { ... on Project { id } } }`, { c: client, n: name }, owner)).createProject.id;
    for (let day = 0; day < entries; day++) {
      const start = instant(MONTH.plus({ days: 3 + day }), "09:00");
      await ok(url, `mutation($p: ID!, $s: DateTime!, $e: DateTime!) { logTime(input: { projectId: $p, startedAt: $s, endedAt: $e }) { __typename } }`, { p: project, s: start, e: new Date(Date.parse(start) + 3_600_000).toISOString() }, { token: ws.employee.token });
    }
    return client;
  }

  it("month-end invoicing reruns: gapless numbers, every entry on exactly one line", async () => {
    await billableClient("Acme", 3);
    await billableClient("Globex", 2);
    // Hold the workspace's invoicing lock, so the job is caught inside its transaction.
    const key = `invoicing:${uuid(ws.id)}`;
    await db.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [key]);
    await ok(url, `mutation { generateInvoices(input: { month: "${isoMonth(MONTH)}" }) { __typename } }`, {}, { token: ws.owner.token });
    const waiting = await until(
      async () => (await db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0].n as number,
      (n) => n > 0,
    );
    expect(waiting).toBe(1); // the job is mid-transaction
    await stack.worker!.stop("SIGKILL");
    await db.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
    await stack.startWorker();

    const invoices = async () =>
      (await ok(url, `{ invoices(first: 100) { nodes { number lines { description quantitySeconds } } } }`, {}, { token: ws.owner.token })).invoices.nodes as { number: number; lines: unknown[] }[];
    const done = await until(invoices, (list) => list.length === 2, 25_000);
    expect(done.map((i) => i.number).sort()).toEqual([1, 2]);
    expect(done.flatMap((i) => i.lines)).toHaveLength(5);
    const { rows } = await db.query(
      `SELECT count(*)::int AS lines, count(DISTINCT "timeEntryId")::int AS entries, count(DISTINCT "invoiceId")::int AS invoices FROM "InvoiceLine" l JOIN "Invoice" i ON i.id = l."invoiceId" WHERE i."workspaceId" = $1`,
      [uuid(ws.id)],
    );
    expect(rows[0]).toEqual({ lines: 5, entries: 5, invoices: 2 });
  });
});
