// The embedded default (no PostgreSQL or Redis to configure) killed while its in-process runner is
// finalising analytics sessions: after a restart on the same data folder, the jobs it was running
// run again, and every session is finalised, each with exactly one summary.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "../../platform/db/embedded.js";
import { ok, rowId } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const USERS = 200;

describe("the embedded default SIGKILLed mid-job", () => {
  let stack: Stack;
  let ws: TestWorkspace;
  beforeAll(async () => {
    stack = await startStack({ servers: "embedded" });
    ws = await newWorkspace(stack.urls[0]);
  }, 120_000);
  afterAll(() => stack?.stop());

  /** Reads the stopped server's database from its data folder. */
  async function whileStopped<T>(read: (db: pg.Client) => Promise<T>): Promise<T> {
    const embedded = await startEmbeddedPostgres(stack.env.DATA_DIR);
    const db = new pg.Client({ connectionString: embedded.connectionString });
    await db.connect();
    try {
      return await read(db);
    } finally {
      await db.end();
      await embedded.stop();
    }
  }

  /** The workspace's analytics sessions, those finalised, and their summaries. */
  const finalisation = (db: pg.Client) =>
    db
      .query(
        `SELECT count(*)::int AS sessions, count("finalizedAt")::int AS finalised, count(m."sessionId")::int AS summaries
         FROM "UserSession" s LEFT JOIN "SessionSummary" m ON m."sessionId" = s.id WHERE s."workspaceId" = $1`,
        [rowId(ws.id)],
      )
      .then((r) => r.rows[0]);

  /** Sessions not yet finalised, as the API lists them, page by page. */
  async function inProgress(url: string) {
    let count = 0;
    for (let after: string | null = null; ; ) {
      const page: { nodes: { inProgress: boolean }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } = (await ok(url, `query($after: String) { userSessions(first: 100, after: $after) { nodes { inProgress } pageInfo { hasNextPage endCursor } } }`, { after }, { token: ws.owner.token })).userSessions;
      count += page.nodes.filter((s) => s.inProgress).length;
      if (!page.pageInfo.hasNextPage) return count;
      after = page.pageInfo.endCursor;
    }
  }

  it("runs the jobs it was running again after a restart: every session finalised once", async () => {
    const app = (await ok(stack.urls[0], `mutation { createAnalyticsApp(input: { name: "Shop" }) { ... on AnalyticsAppWithKey { writeKey } } }`, {}, { token: ws.owner.token })).createAnalyticsApp;
    // Sessions that ended two hours ago: each one's finalisation job is due at once.
    const at = Date.now() - 2 * 3_600_000;
    const events = Array.from({ length: USERS * 2 }, (_, i) => ({ eventId: `e-${i}`, userId: `user-${i % USERS}`, name: "page_view", timestamp: new Date(at + (i < USERS ? 0 : 60_000)).toISOString() }));
    const sent = await fetch(`${stack.urls[0]}/api/events`, { method: "POST", headers: { authorization: `Bearer ${app.writeKey}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    expect(sent.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1800));
    await stack.apis[0].stop("SIGKILL");

    const left = await whileStopped(async (db) => ({
      running: (await db.query(`SELECT count(*)::int AS n FROM "BackgroundJob" WHERE name = 'analytics.finalise' AND state = 'running'`)).rows[0].n as number,
      ...(await finalisation(db)),
    }));
    // The kill came in the middle: jobs were running, sessions not all finalised.
    expect(left.running).toBeGreaterThan(0);
    expect(left.sessions).toBe(USERS);
    expect(left.finalised).toBeLessThan(USERS);

    const api = await stack.startApi();
    await until(() => inProgress(api.url), (n) => n === 0, 90_000);
    await api.stop();
    expect(await whileStopped(finalisation)).toEqual({ sessions: USERS, finalised: USERS, summaries: USERS });
  }, 240_000);
});
