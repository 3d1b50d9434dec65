// A worker killed in the middle of a job's transaction (month-end invoicing, analytics finalisation,
// work auto-close): the job runs again on another worker, and what it writes comes out exactly as if
// nothing had happened (invoice numbers gapless, each entry billed once, one summary, one end).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ok, rowId } from "../support/client.js";
import { calendar, instant, isoMonth } from "../support/dates.js";
import type { Proc } from "../support/process.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

// Entries go in the month before last: the month-end job bills a whole past month.
const MONTH = calendar("Europe/Berlin").firstOfMonth(-2);

describe.runIf(inject("redisUrl"))("a worker SIGKILLed mid-job", () => {
  let stack: Stack;
  let url: string;
  let ws: TestWorkspace;
  let db: pg.Client;
  let worker: Proc;
  beforeAll(async () => {
    // Short job locks, so the dead worker's job is noticed in seconds rather than half a minute.
    stack = await startStack({ worker: true, env: { JOB_LOCK_MS: "5000" } });
    url = stack.urls[0];
    worker = stack.worker!;
    ws = await newWorkspace(url);
    db = new pg.Client({ connectionString: stack.databaseUrl! });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  /**
   * Holds what the job is about to write (`hold` takes a lock and returns its release), waits until
   * the job is blocked on it inside its transaction, kills the worker, releases, starts another.
   */
  async function killWorkerMidJob(hold: () => Promise<() => Promise<void>>) {
    const release = await hold();
    const waiting = await until(
      async () => (await db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`)).rows[0].n as number,
      (n) => n > 0,
    );
    expect(waiting).toBe(1); // the job is mid-transaction
    await worker.stop("SIGKILL");
    await release();
    worker = await stack.startWorker();
  }

  /** Locks a row in a transaction of its own, as a long write would. */
  async function holdRow(table: string, id: string) {
    const holder = new pg.Client({ connectionString: stack.databaseUrl! });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [id]);
    return async () => {
      await holder.query("ROLLBACK");
      await holder.end();
    };
  }

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
    const key = `invoicing:${rowId(ws.id)}`;
    await killWorkerMidJob(async () => {
      await db.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [key]);
      await ok(url, `mutation { generateInvoices(input: { month: "${isoMonth(MONTH)}" }) { __typename } }`, {}, { token: ws.owner.token });
      return async () => void (await db.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]));
    });

    const invoices = async () =>
      (await ok(url, `{ invoices(first: 100) { nodes { number lines { description quantitySeconds } } } }`, {}, { token: ws.owner.token })).invoices.nodes as { number: number; lines: unknown[] }[];
    const done = await until(invoices, (list) => list.length === 2, 25_000);
    expect(done.map((i) => i.number).sort()).toEqual([1, 2]);
    expect(done.flatMap((i) => i.lines)).toHaveLength(5);
    const { rows } = await db.query(
      `SELECT count(*)::int AS lines, count(DISTINCT "timeEntryId")::int AS entries, count(DISTINCT "invoiceId")::int AS invoices FROM "InvoiceLine" l JOIN "Invoice" i ON i.id = l."invoiceId" WHERE i."workspaceId" = $1`,
      [rowId(ws.id)],
    );
    expect(rows[0]).toEqual({ lines: 5, entries: 5, invoices: 2 });
  });

  it("analytics finalisation reruns: the session is finalised once, with one summary", async () => {
    const owner = { token: ws.owner.token };
    await ok(url, `mutation { updateAnalyticsSettings(input: { inactivityMinutes: 1 }) { __typename } }`, {}, owner);
    const app = (await ok(url, `mutation { createAnalyticsApp(input: { name: "Shop" }) { ... on AnalyticsAppWithKey { app { id } writeKey } } }`, {}, owner)).createAnalyticsApp;
    // The last event 54 s ago: the session is quiet, and finalised, in about 7 s.
    const at = (ago: number) => new Date(Date.now() - ago * 1000).toISOString();
    const events = [120, 90, 54].map((ago, i) => ({ eventId: `finalise-${i}`, userId: "buyer", name: "page_view", timestamp: at(ago) }));
    const sent = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${app.writeKey}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    expect(sent.status).toBe(202);
    const sessionOf = async () => (await db.query(`SELECT id, "finalizedAt", "rawEventCount" FROM "UserSession" WHERE "appId" = $1`, [rowId(app.app.id)])).rows;
    const [session] = await until(sessionOf, (rows) => rows.length === 1 && rows[0].rawEventCount === 3);
    await killWorkerMidJob(() => holdRow("UserSession", session.id));

    const done = await until(sessionOf, (rows) => rows[0].finalizedAt !== null, 25_000);
    expect(done).toHaveLength(1);
    expect(done[0].finalizedAt).not.toBeNull();
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM "SessionSummary" WHERE "sessionId" = $1`, [session.id]);
    expect(rows[0].n).toBe(1);
  });

  it("work auto-close reruns: the quiet session ends once, at its last activity", async () => {
    await ok(url, `mutation { updateWorkSettings(input: { inactivityMinutes: 1 }) { __typename } }`, {}, { token: ws.owner.token });
    // Activity until 54 s ago: the session is closed for inactivity in about 7 s.
    const start = Date.now() - 120_000;
    const events = [0, 1].map((i) => ({ id: `close-${i}`, type: "window", timestamp: new Date(start + i * 33_000).toISOString(), duration: 33, pulsetime: 0, data: { app: "Code", title: `file ${i}` } }));
    const sent = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${ws.employee.token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    expect(sent.status).toBeLessThan(300);
    const sessionsOf = async () =>
      (await db.query(`SELECT id, "endedAt", "lastActivityAt", "endReason" FROM "WorkSession" WHERE "workspaceId" = $1 AND "userId" = $2`, [rowId(ws.id), rowId(ws.employee.id)])).rows;
    const [open] = await sessionsOf();
    expect(open.endedAt).toBeNull();
    await killWorkerMidJob(() => holdRow("WorkSession", open.id));

    const done = await until(sessionsOf, (rows) => rows[0].endedAt !== null, 25_000);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ endReason: "inactivity", endedAt: done[0].lastActivityAt });
    expect(done[0].endedAt.toISOString()).toBe(new Date(start + 66_000).toISOString());
  });
});
