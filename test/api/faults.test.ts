// Backing services and API processes fail under traffic: answers stay clean (503 / UNAVAILABLE,
// never a 500), service resumes by itself, and no accepted event is lost or stored twice.
import { mkdtempSync, rmSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { createClient } from "graphql-ws";
import { Redis } from "ioredis";
import pg from "pg";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { gql, ok, rowId, subscribe, wsClient } from "../support/client.js";
import { Traffic } from "../support/faults.js";
import { QUEUE } from "../../platform/jobs/bullmq.js";
import { AUTO_CLOSE } from "../../schema/work/recording.js";
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from "../support/infra.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

type Board = { liveBoard: { sessions: { id: string }[] } };
const BOARD = `subscription { liveBoard { sessions { id } } }`;
const START = `mutation($d: String!) { startTimer(input: { description: $d }) { ... on TimeEntry { id } } }`;
const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { __typename } }`;

describe.runIf(inject("redisUrl"))("faults", () => {
  let dir: string;
  let postgres: PostgresServer;
  let redis: RedisServer;
  let stack: Stack;
  let ws: TestWorkspace;
  let writeKey: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sessions-faults-"));
    chmodSync(dir, 0o777);
    [postgres, redis] = await Promise.all([startPostgres(dir, true), startRedis(dir, true)]);
    stack = await startStack({
      instances: 2,
      worker: true,
      servers: { databaseUrl: postgres.url, redisUrl: redis.url },
      // A job the worker took just as Redis died (taken on the server, the answer lost) is orphaned
      // until its lock expires and a stalled-job check puts it back: 30 s locks would take up to a
      // minute and a half, 5 s ones at most 15 s, inside the audit's wait.
      env: { RATE_LIMIT_TOKEN: "100000/60", RATE_LIMIT_INGESTION: "100000/60", JOB_LOCK_MS: "5000" },
    });
    ws = await newWorkspace(stack.urls[0]);
    const app = await ok(stack.urls[0], `mutation { createAnalyticsApp(input: { name: "Shop" }) { ... on AnalyticsAppWithKey { writeKey } } }`, {}, { token: ws.owner.token });
    writeKey = app.createAnalyticsApp.writeKey;
  });
  afterAll(async () => {
    await stack?.stop();
    redis?.destroy();
    postgres?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("Redis restarts: boards resume, a revocation made meanwhile closes its socket elsewhere, no event lost or doubled", async () => {
    const [a, b] = stack.urls;
    const board = wsClient(b, { token: ws.manager.token });
    const sub = subscribe<Board>(board, BOARD);
    await sub.next();
    // A board of changes hears of a session opened while Redis was away as a change, after the reload.
    const changes = subscribe<{ liveBoardChanges: { reason: string; sessions: { id: string }[] } }>(board, `subscription { liveBoardChanges { reason sessions { id } } }`);
    await changes.next();
    const { createPersonalAccessToken: pat } = await ok(a, `mutation { createPersonalAccessToken(input: { name: "wall" }) { ... on CreatedToken { secret token { id } } } }`, {}, { token: ws.manager.token });
    const wall = wsClient(b, { token: pat.secret });
    const closed = new Promise<number>((resolve) => wall.on("closed", (e) => resolve((e as { code: number }).code)));
    await subscribe<Board>(wall, BOARD).next();
    for (const _ of [1, 2]) await ok(b, `{ viewer { role } }`, {}, { token: pat.secret }); // b caches the credential

    const traffic = new Traffic(a, ws.employee.token, writeKey);
    traffic.start();
    await new Promise((r) => setTimeout(r, 500));
    await redis.kill();
    // While Redis is down: the revocation and a timer started on the other instance.
    await ok(a, `mutation($id: ID!) { revokeToken(input: { id: $id }) { __typename } }`, { id: pat.token.id }, { token: ws.manager.token });
    const during = (await ok(a, START, { d: "during" }, { token: ws.staff.token })).startTimer.id;
    // Without Redis to confirm its stamps, b trusts nothing it cached.
    expect((await gql(b, `{ viewer { role } }`, {}, { token: pat.secret })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();
    const recoverMs = await traffic.recovered();
    expect(await closed).toBe(4401);
    await sub.next((v) => v.liveBoard.sessions.some((s) => s.id === during), 15_000);
    const heard = await changes.next((v) => v.liveBoardChanges.sessions.some((s) => s.id === during), 15_000);
    expect(heard.liveBoardChanges.reason).toBe("CHANGE");
    const after = (await ok(a, START, { d: "after" }, { token: ws.employee2.token })).startTimer.id;
    await sub.next((v) => v.liveBoard.sessions.some((s) => s.id === after));
    await traffic.stop();
    await traffic.resendRefused();
    const figures = await traffic.figures("Redis killed and restarted", recoverMs, stack.databaseUrl!);
    expect(traffic.serverErrors).toEqual([]);
    expect(figures.sent).toBeGreaterThan(5);
    expect(figures).toMatchObject({ lost: 0, doubled: 0, lostIds: [] });
    await board.dispose();
  });

  /** What /healthz answers: its status and report. */
  const healthOf = (url: string) => fetch(`${url}/healthz`).then(async (r) => [r.status, await r.json()] as const);
  /** One analytics event, as an SDK sends it: it gives up after 5 s. */
  const sendOneEvent = (url: string, eventId: string, userId: string) =>
    fetch(`${url}/api/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${writeKey}`, "content-type": "application/json" },
      body: JSON.stringify({ events: [{ eventId, userId, name: "page_view", timestamp: new Date().toISOString() }] }),
      signal: AbortSignal.timeout(5_000),
    });
  /** The stored events of each session of `userId`. */
  /** The ids of the time entries stored with this description, read from the database itself. */
  const entriesDescribed = async (description: string): Promise<string[]> => {
    const sql = new pg.Client({ connectionString: stack.databaseUrl! });
    await sql.connect();
    const { rows } = await sql.query(`SELECT id FROM "TimeEntry" WHERE description = $1`, [description]);
    await sql.end();
    return rows.map((r) => r.id);
  };
  const rawEventCounts = (url: string, userId: string) =>
    ok(url, `query($u: String!) { userSessions(first: 5, filter: { userIdSearch: $u }) { nodes { rawEventCount } } }`, { u: userId }, { token: ws.owner.token }).then((d) =>
      d.userSessions.nodes.map((n: { rawEventCount: number }) => n.rawEventCount),
    );

  it("Redis stops answering with its connections open: /healthz says so within a second, requests go on without it, and what they announced arrives once it answers", async () => {
    const [a, b] = stack.urls;
    type Shown = { liveBoard: { sessions: { id: string; kind: string; person: string }[] } };
    const board = wsClient(b, { token: ws.manager.token });
    const sub = subscribe<Shown>(board, `subscription { liveBoard { sessions { id kind person } } }`);
    await sub.next();
    const VIEWER = `{ viewer { role } }`;
    const window = { id: "frozen-window", type: "window", timestamp: new Date().toISOString(), duration: 1, pulsetime: 0, data: { app: "Code", title: "frozen" } };
    for (const _ of [1, 2]) await ok(b, VIEWER, {}, { token: ws.staff.token }); // b caches the credential
    redis.freeze();
    try {
      // Connected is not up: a balancer stops sending traffic here.
      const frozen = Date.now();
      for (const url of [a, b]) expect(await until(() => healthOf(url), ([status]) => status === 503, 3_000)).toMatchObject([503, { ok: false, database: "up", redis: "down" }]);
      // Within 750 ms by design; the margin is for a loaded machine.
      expect(Date.now() - frozen).toBeLessThan(2_500);
      // Each would need Redis on its way: its rate-limit count, its credential's stamps, its
      // announcement, its batch queued or its auto-close scheduled. The rest goes on without: an event
      // batch is refused (the SDK sends it again), and a desktop batch that opens a work session is
      // stored but refused too, as its auto-close can't be confirmed scheduled (a second's wait).
      const asked = Date.now();
      const [started, viewer, cached, event, work] = await Promise.all([
        ok(a, START, { d: "frozen" }, { token: ws.manager.token }),
        ok(a, VIEWER, {}, { token: ws.employee.token }),
        ok(b, VIEWER, {}, { token: ws.staff.token }),
        sendOneEvent(a, "while-frozen", "u-frozen"),
        fetch(`${a}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${ws.staff.token}`, "content-type": "application/json" }, body: JSON.stringify({ events: [window] }) }),
      ]);
      // The desktop batch waits a second for its enqueue; the rest answer at once. Before the watch,
      // these took five seconds.
      expect(Date.now() - asked).toBeLessThan(3_000);
      expect([viewer.viewer.role, cached.viewer.role]).toEqual(["EMPLOYEE", "STAFF"]);
      for (const refused of [event, work]) expect([refused.status, refused.headers.get("retry-after"), (await refused.json()).code]).toEqual([503, "2", "UNAVAILABLE"]);
      redis.thaw();
      // The announcements waited in the connection, not in the requests: the board hears of them now,
      // the work session's too, though its batch was refused after it was stored.
      const shown = (v: Shown) => [
        v.liveBoard.sessions.some((s) => s.id === started.startTimer.id),
        v.liveBoard.sessions.some((s) => s.kind === "WORK" && s.person === "Sam Staff"),
      ];
      await sub.next((v) => shown(v).every(Boolean), 15_000);
      // Sent again (as often as it takes: the watch sees Redis answer within a quarter second), the
      // event is stored once, though the refused batch may have reached Redis all the same.
      expect(await until(async () => (await sendOneEvent(a, "while-frozen", "u-frozen")).status, (status) => status === 202)).toBe(202);
      expect(await until(() => rawEventCounts(a, "u-frozen"), (c) => c.length > 0)).toEqual([1]);
    } finally {
      redis.thaw();
    }
    await board.dispose();
  });

  /** `n` wrong passwords for `email`, one after another, sent to `url`: how each was answered. */
  const guesses = async (url: string, email: string, n: number) => {
    const answers: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: SIGN_IN, variables: { e: email, p: "wrong" } }) });
      const body = await res.json();
      answers.push(body.data?.signIn?.__typename ?? body.errors?.[0]?.extensions?.code);
    }
    return answers;
  };

  it("Redis stalled: the sign-in failures an API process counted meanwhile still count once Redis answers", async () => {
    const [a] = stack.urls;
    const email = "guessed@test.example";
    redis.freeze();
    try {
      await until(() => healthOf(a), ([, report]) => report.redis === "down", 3_000);
      expect(await guesses(a, email, 6)).toEqual(Array(6).fill("ValidationError"));
    } finally {
      redis.thaw();
    }
    await until(() => healthOf(a), ([, report]) => report.redis === "up");
    // Redis has none of the six: the account's budget of ten has four left, not ten.
    expect(await guesses(a, email, 5)).toEqual([...Array(4).fill("ValidationError"), "RATE_LIMITED"]);
  });

  it("Redis stalled: sign-in failures sent to two API processes meanwhile spend one budget", async () => {
    const [a, b] = stack.urls;
    const email = "guessed-on-both@test.example";
    redis.freeze();
    try {
      await until(() => Promise.all([healthOf(a), healthOf(b)]), (reports) => reports.every(([, report]) => report.redis === "down"), 3_000);
      expect(await guesses(a, email, 6)).toEqual(Array(6).fill("ValidationError"));
      // Counted per process, b would have allowed ten more.
      expect(await guesses(b, email, 5)).toEqual([...Array(4).fill("ValidationError"), "RATE_LIMITED"]);
    } finally {
      redis.thaw();
    }
    await until(() => healthOf(b), ([, report]) => report.redis === "up");
    expect(await guesses(b, email, 1)).toEqual(["RATE_LIMITED"]);
  });

  it("Redis dies with a request's commands unanswered: the request is answered while Redis is away", async () => {
    const [a] = stack.urls;
    redis.freeze();
    const asked = Date.now();
    const answer = ok(a, `{ viewer { role } }`, {}, { token: ws.employee.token });
    await new Promise((r) => setTimeout(r, 200)); // its rate-limit count and stamps read are sent, unanswered
    await redis.kill();
    try {
      expect((await answer).viewer.role).toBe("EMPLOYEE");
      expect(Date.now() - asked).toBeLessThan(5_000);
    } finally {
      await redis.start();
    }
    await until(() => healthOf(a), ([, report]) => report.redis === "up");
  });

  it("Redis away longer than a command's retries: the API keeps serving, and boards catch up when it is back", async () => {
    const [a, b] = stack.urls;
    const board = wsClient(b, { token: ws.manager.token });
    const sub = subscribe<Board>(board, BOARD);
    await sub.next();
    const doomed = await stack.startApi({ SEED_DEMO: "false" });
    await redis.kill();
    // Its announcement can't reach Redis; ioredis gives up on it after about 10 s.
    const during = (await ok(a, START, { d: "long outage" }, { token: ws.manager.token })).startTimer.id;
    // A batch can't be queued: the SDK is told to retry at once, not held past its own timeout.
    const send = () => sendOneEvent(a, "during-outage", "u-outage");
    const refused = await send();
    expect([refused.status, refused.headers.get("retry-after"), (await refused.json()).code]).toEqual([503, "2", "UNAVAILABLE"]);
    // A desktop batch that opens a session is stored, but refused: its auto-close can't be scheduled.
    // The process it went to dies before Redis is back, with the enqueue it still held for Redis.
    const opening = { id: "opened-in-outage", type: "window", timestamp: new Date().toISOString(), duration: 1, pulsetime: 0, data: { app: "Code", title: "outage" } };
    const sendWork = (url: string) =>
      fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${ws.manager.token}`, "content-type": "application/json" }, body: JSON.stringify({ events: [opening] }) });
    expect((await sendWork(doomed.url)).status).toBe(503);
    await doomed.stop("SIGKILL");
    // A board opened meanwhile: its process asks Redis for a channel it didn't listen to yet, which
    // waits for Redis rather than failing after ioredis's retries (that ended the process).
    const lateBoard = wsClient(a, { token: ws.manager.token });
    const late = subscribe<Board>(lateBoard, BOARD);
    await late.next();
    await new Promise((r) => setTimeout(r, 12_000));
    expect(stack.apis.slice(0, 2).map((api) => api.child.exitCode)).toEqual([null, null]);
    expect((await ok(a, `{ viewer { role } }`, {}, { token: ws.employee.token })).viewer.role).toBe("EMPLOYEE");
    await redis.start();
    await sub.next((v) => v.liveBoard.sessions.some((s) => s.id === during), 15_000);
    const after = (await ok(b, START, { d: "after the long outage" }, { token: ws.employee.token })).startTimer.id;
    await late.next((v) => v.liveBoard.sessions.some((s) => s.id === after), 15_000);
    // Sent again once Redis is back (as often as it takes), the event is stored once.
    expect(await until(async () => (await send()).status, (status) => status === 202)).toBe(202);
    expect(await until(() => rawEventCounts(a, "u-outage"), (c) => c.length > 0)).toEqual([1]);
    // Sent again, the desktop batch is all seen before, and schedules its session's auto-close all the
    // same: the first attempt's never reached Redis.
    const again = await until(async () => (await sendWork(a)).json(), (answer) => answer.accepted === 1);
    expect(again).toMatchObject({ accepted: 1, duplicates: 1 });
    const sql = new pg.Client({ connectionString: stack.databaseUrl! });
    await sql.connect();
    const { rows: [open] } = await sql.query(`SELECT id FROM "WorkSession" WHERE "userId" = $1 AND "endedAt" IS NULL`, [rowId(ws.manager.id)]);
    await sql.end();
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE, { connection });
    const closes = (await queue.getDelayed()).filter((job) => job.name === AUTO_CLOSE && job.data.sessionId === open.id);
    await queue.close();
    connection.disconnect();
    expect(closes).toHaveLength(1);
    await Promise.all([board.dispose(), lateBoard.dispose()]);
  }, 60_000);

  it("PostgreSQL restarts: requests fail with 503 / UNAVAILABLE, /healthz says so, ingestion refuses, service resumes", async () => {
    const [a] = stack.urls;
    const MEMBERS = `{ viewer { workspace { members { nodes { id } } } } }`;
    for (const _ of [1, 2]) await ok(a, MEMBERS, {}, { token: ws.owner.token }); // a caches the owner's credential
    const traffic = new Traffic(a, ws.employee.token, writeKey);
    traffic.start();
    await new Promise((r) => setTimeout(r, 500));
    postgres.stop("immediate");
    try {
      // /healthz keeps a ping's answer for half a second, so one taken just before the stop may still
      // say "up" for that long: it must say "down" once that has passed.
      const health = await until(() => healthOf(a), ([status]) => status === 503, 3_000);
      expect(health).toMatchObject([503, { ok: false, database: "down", redis: "up" }]);
      // A read beyond the cached credential: the workspace's members come from the database.
      const requestId = `members-while-down-${Date.now()}`;
      const read = await fetch(`${a}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ws.owner.token}`, "x-request-id": requestId },
        body: JSON.stringify({ query: MEMBERS }),
      });
      expect(read.status).toBe(503);
      expect((await read.json()).errors?.[0].extensions?.code).toBe("UNAVAILABLE");
      // The failure is logged with the request's id, so it can be found from the answer's header.
      const logged = () => stack.apis[0].output.join("").split("\n").filter((line) => line.includes(requestId)).map((line) => JSON.parse(line).msg);
      await expect.poll(logged, { timeout: 5000 }).toContain("backing store unavailable");
      const events = await fetch(`${a}/api/events`, { method: "POST", headers: { authorization: `Bearer ${writeKey}`, "content-type": "application/json" }, body: JSON.stringify({ events: [] }) });
      expect([events.status, events.headers.get("retry-after")]).toEqual([503, "2"]);
    } finally {
      // Started again whatever failed above, so the tests after this one have their database.
      postgres.start();
    }
    const recoverMs = await traffic.recovered();
    expect((await until(() => fetch(`${a}/healthz`).then((r) => r.status), (s) => s === 200, 5000))).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    await traffic.stop();
    await traffic.resendRefused();
    const figures = await traffic.figures("PostgreSQL stopped (immediate) and restarted", recoverMs, stack.databaseUrl!);
    expect(traffic.serverErrors).toEqual([]);
    expect(figures.sent).toBeGreaterThan(5);
    expect(figures.failedCleanly).toBeGreaterThan(0);
    expect(figures).toMatchObject({ lost: 0, doubled: 0, lostIds: [] });
  });

  it("PostgreSQL stops answering with its connections open: /healthz says so, new requests are refused at once, one already sent finishes when it answers", async () => {
    const [a] = stack.urls;
    const MEMBERS = `{ viewer { workspace { members { nodes { id } } } } }`;
    const window = { id: "stalled-window", type: "window", timestamp: new Date().toISOString(), duration: 1, pulsetime: 0, data: { app: "Code", title: "stalled" } };
    for (const _ of [1, 2]) await ok(a, MEMBERS, {}, { token: ws.owner.token }); // a caches the owner's credential
    const traffic = new Traffic(a, ws.employee.token, writeKey);
    traffic.start();
    await new Promise((r) => setTimeout(r, 500));
    postgres.freeze();
    let sentBefore: Promise<{ startTimer: { id: string } }> | null = null;
    try {
      const frozen = Date.now();
      // Sent before the stall is noticed: its statements reach the server, so it waits for their
      // answer rather than being told to retry what may yet be committed.
      sentBefore = ok(a, START, { d: "sent before the stall was noticed" }, { token: ws.manager.token });
      const health = await until(() => healthOf(a), ([status]) => status === 503, 5_000);
      expect(health).toMatchObject([503, { ok: false, database: "down", redis: "up" }]);
      // Within three seconds by design; the margin is for a loaded machine.
      expect(Date.now() - frozen).toBeLessThan(4_500);
      const asked = Date.now();
      const [read, work] = await Promise.all([
        fetch(`${a}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ws.owner.token}` }, body: JSON.stringify({ query: MEMBERS }) }),
        fetch(`${a}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${ws.staff.token}`, "content-type": "application/json" }, body: JSON.stringify({ events: [window] }) }),
      ]);
      // Before the watch, both waited for as long as the server stalled.
      expect(Date.now() - asked).toBeLessThan(1_000);
      expect([read.status, read.headers.get("retry-after"), (await read.json()).errors?.[0].extensions?.code]).toEqual([503, "2", "UNAVAILABLE"]);
      expect([work.status, work.headers.get("retry-after"), (await work.json()).code]).toEqual([503, "2", "UNAVAILABLE"]);
    } finally {
      postgres.thaw();
    }
    const started = await sentBefore!;
    const recoverMs = await traffic.recovered();
    await traffic.stop();
    await traffic.resendRefused();
    expect(await entriesDescribed("sent before the stall was noticed")).toEqual([rowId(started.startTimer.id)]);
    const figures = await traffic.figures("PostgreSQL stalled (SIGSTOP) and answering again", recoverMs, stack.databaseUrl!);
    // The traffic's own requests were sent before the stall was noticed: they waited, none failed.
    expect(traffic.serverErrors).toEqual([]);
    expect(figures).toMatchObject({ lost: 0, doubled: 0, lostIds: [] });
  });

  it("PostgreSQL stalled for longer than a transaction may wait or last: its requests answer 503 and write nothing, and the pool serves on", async () => {
    const [a] = stack.urls;
    const ASKED = "asked during a long stall";
    await ok(a, `{ viewer { role } }`, {}, { token: ws.manager.token }); // a caches the credential
    postgres.freeze();
    let answers: { status: number; code?: string; ms: number }[];
    try {
      // More than the pool's 20 connections, sent before the stall is noticed. Those with a connection
      // wait for their BEGIN's answer longer than a transaction may wait to start (15 s); the others
      // wait for a connection until the stall is noticed.
      const sent = Date.now();
      const asked = Array.from({ length: 25 }, () =>
        fetch(`${a}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ws.manager.token}` }, body: JSON.stringify({ query: START, variables: { d: ASKED } }) }).then(
          async (r) => ({ status: r.status, code: (await r.json()).errors?.[0]?.extensions?.code, ms: Date.now() - sent }),
        ),
      );
      await new Promise((r) => setTimeout(r, 21_000));
      postgres.thaw();
      answers = await Promise.all(asked);
    } finally {
      postgres.thaw();
    }
    expect(answers.filter((answer) => answer.status !== 503 || answer.code !== "UNAVAILABLE")).toEqual([]);
    // Waiting for a connection, a request has sent nothing: refused once the stall is noticed (3 s),
    // not kept for the transaction's 15 s.
    expect(answers.filter((answer) => answer.ms < 10_000).length).toBeGreaterThanOrEqual(5);
    expect(await entriesDescribed(ASKED)).toEqual([]);
    // No connection was kept by a transaction given up on: more requests at once than the pool holds
    // connections all run (a pool short of connections would keep some waiting past their 15 s).
    const after = await Promise.all(Array.from({ length: 25 }, (_, i) => ok(a, START, { d: `after the long stall ${i}` }, { token: ws.manager.token })));
    expect(after).toHaveLength(25);
  }, 60_000);

  it("an API process SIGKILLed mid-request leaves nothing of it written, and the batch sent again is stored once", async () => {
    const api = await stack.startApi({ SEED_DEMO: "false" });
    const member = [rowId(ws.id), rowId(ws.employee2.id)];
    const start = Date.now() - 3_600_000;
    const events = Array.from({ length: 300 }, (_, i) => ({ id: `half-${i}`, type: "window", timestamp: new Date(start + i * 10_000).toISOString(), duration: 10, pulsetime: 0, data: { app: "Code", title: `file ${i}` } }));
    const send = (url: string) =>
      fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${ws.employee2.token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    const db = new pg.Client({ connectionString: stack.databaseUrl! });
    await db.connect();
    const stored = async () => (await db.query(`SELECT count(*)::int AS n FROM "IngestedWorkEvent" WHERE "workspaceId" = $1 AND "userId" = $2`, member)).rows[0].n as number;
    // Another transaction holds the batch's last event id, uncommitted: the batch's insert writes the
    // others and waits on that one, inside its transaction, when the process is killed.
    const holder = new pg.Client({ connectionString: stack.databaseUrl! });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query(`INSERT INTO "IngestedWorkEvent" ("workspaceId", "userId", "clientEventId") VALUES ($1, $2, 'half-299')`, member);
    const answer = send(api.url).catch((e: Error) => e.message);
    const waiting = await until(async () => (await db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`)).rows[0].n as number, (n) => n > 0);
    expect(waiting).toBe(1);
    await api.stop("SIGKILL");
    await holder.query("ROLLBACK");
    await holder.end();
    expect(await answer).toBe("fetch failed");
    // Once PostgreSQL has seen the connection go, the transaction is gone with everything it wrote.
    await until(async () => (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE '%transaction%' OR wait_event_type = 'Lock'`)).rows[0].n as number, (n) => n === 0);
    expect(await stored()).toBe(0);
    expect((await db.query(`SELECT count(*)::int AS n FROM "WorkSession" WHERE "workspaceId" = $1 AND "userId" = $2`, member)).rows[0].n).toBe(0);

    const again = await send(stack.urls[0]);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ accepted: 300, duplicates: 0 });
    expect(await stored()).toBe(300);
    await db.end();
  });

  it("an API process SIGKILLed: its WebSocket clients reconnect to another and get the whole board", async () => {
    const [a, b] = stack.urls;
    const running = await Promise.all([ws.employee, ws.employee2].map(async (m, i) => (await ok(b, START, { d: `kept ${i}` }, { token: m.token })).startTimer.id as string));
    let connects = 0;
    // As a balancer would: each (re)connection goes to the next instance.
    const client = createClient({
      url: () => [a, b][connects++ % 2].replace(/^http/, "ws") + "/graphql",
      webSocketImpl: WebSocket,
      connectionParams: { token: ws.manager.token },
      retryAttempts: 5,
      retryWait: () => new Promise((r) => setTimeout(r, 200)),
      shouldRetry: () => true,
    });
    const sub = subscribe<Board>(client, BOARD);
    const has = (ids: string[]) => (v: Board) => ids.every((id) => v.liveBoard.sessions.some((s) => s.id === id));
    await sub.next(has(running));
    await stack.apis[0].stop("SIGKILL");
    const later = (await ok(b, START, { d: "after the crash" }, { token: ws.staff.token })).startTimer.id as string;
    await sub.next(has([...running, later]), 15_000);
    expect(connects).toBe(2);
    await client.dispose();
  });
});
