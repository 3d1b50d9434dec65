// Platform figures: Live board fan-out over graphql-ws with distinct viewers, and GraphQL round trips against baselines in their own processes.
import { fork, spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { ok, tokenFor } from "../support/client.js";
import { ownedChild, startProcess, type Proc } from "../support/process.js";
import type { Board } from "./fanout-client.js";
import { heapGrowthByKind } from "./heap.js";
import { cpuSeconds, percentile, quick, sleep, type BenchEnv, type Row } from "./support.js";

const CLIENT = new URL("./fanout-client.ts", import.meta.url).pathname;

/** A load-client process; `ask` sends a message and waits for the answer that has `key`. */
function loadClient() {
  const child = ownedChild(fork(CLIENT, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  const ask = <T>(message: object, key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (answer: Record<string, T>) => key in answer && (child.off("message", onMessage), resolve(answer[key]));
      child.on("message", onMessage);
      child.once("exit", (code) => reject(new Error(`load client exited with ${code}`)));
      child.send(message);
    });
  return { child, ask };
}

/**
 * `count` members of the workspace with a personal token each, as set-based SQL (signing a thousand
 * people in through scrypt would time the password hash): one in ten a manager, who sees every
 * session, the others employees, who see their own.
 */
async function viewers(databaseUrl: string, count: number): Promise<{ tokens: string[]; workspaceId: string }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query(`SELECT m."workspaceId" FROM "Membership" m JOIN "User" u ON u.id = m."userId" WHERE u.email = 'owner@demo.test' LIMIT 1`);
  const workspaceId = rows[0].workspaceId as string;
  const tokens = Array.from({ length: count }, () => `sp_pat_${randomBytes(24).toString("base64url")}`);
  await client.query(
    `WITH people AS (SELECT gen_random_uuid() AS id, i FROM generate_series(0, $1::int - 1) i),
     users AS (INSERT INTO "User" (id, email, name, "passwordHash") SELECT id, 'viewer' || i || '@bench.test', 'Viewer ' || i, 'none' FROM people),
     members AS (
       INSERT INTO "Membership" (id, "workspaceId", "userId", role)
       SELECT gen_random_uuid(), $2::uuid, id, CASE WHEN i % 10 = 0 THEN 'manager'::"Role" ELSE 'employee'::"Role" END FROM people)
     INSERT INTO "AccessToken" (id, kind, "workspaceId", "userId", name, "secretHash")
     SELECT gen_random_uuid(), 'personal', $2::uuid, p.id, 'bench', h.hash FROM people p JOIN unnest($3::text[]) WITH ORDINALITY h(hash, n) ON h.n = p.i + 1`,
    [count, workspaceId, tokens.map((t) => createHash("sha256").update(t).digest("hex"))],
  );
  await client.end();
  return { tokens, workspaceId };
}

/** A change the bench makes through a real write path, and the state boards then show for it. */
type Change = { id: string; make: (round: number) => { state: string; write: () => Promise<unknown> } };

/**
 * A realistic board of 200 open sessions of the viewers': 100 agent sessions (their beats flip),
 * 40 work sessions (their person goes AFK and back) and 40 running timers, each an employee's, and
 * 20 appointments in progress with managers (as SQL: the calendar's own bench times their writes).
 * Returns the sessions that change, with how to change each.
 */
async function openSessions(url: string, databaseUrl: string, workspaceId: string, tokens: string[]): Promise<Change[]> {
  const owner = await tokenFor(url, "owner@demo.test");
  const project = (await ok(url, `{ projects(search: "Acme") { nodes { id } } }`, {}, { token: owner })).projects.nodes[0].id;
  const employees = tokens.filter((_, i) => i % 10 !== 0);
  const [agents, workers, timers] = [employees.slice(0, 100), employees.slice(100, 140), employees.slice(140, 180)];
  const start = `mutation($p: ID!) { startAgentSession(input: { projectId: $p, description: "bench" }) { ... on AgentSession { id } } }`;
  const flip = `mutation($s: ID!, $k: BeatKind!) { setBeat(input: { sessionId: $s, kind: $k }) { __typename } }`;
  const beats = ["ACTIVE", "AGENT", "IDLE"];
  const agentChanges = await Promise.all(
    agents.map(async (token): Promise<Change> => {
      const id = (await ok(url, start, { p: project }, { token })).startAgentSession.id as string;
      return { id, make: (round) => ({ state: beats[round % 3], write: () => ok(url, flip, { s: id, k: beats[round % 3] }, { token }) }) };
    }),
  );
  const afk = (token: string, key: string, status: "afk" | "not-afk") =>
    fetch(`${url}/api/work/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ events: [{ id: key, type: "afk", timestamp: new Date().toISOString(), duration: 0, data: { status } }] }),
    }).then((res) => res.ok || Promise.reject(new Error(`work events answered ${res.status}`)));
  const workChanges = await Promise.all(
    workers.map(async (token, w): Promise<Change> => {
      await afk(token, `bench-${w}-open`, "not-afk");
      const me = (await ok(url, `{ liveBoard { sessions { id kind } } }`, {}, { token })).liveBoard.sessions as { id: string; kind: string }[];
      const id = me.find((s) => s.kind === "WORK")!.id;
      return { id, make: (round) => ({ state: round % 2 ? "AFK" : "WORKING", write: () => afk(token, `bench-${w}-${round}`, round % 2 ? "afk" : "not-afk") }) };
    }),
  );
  await Promise.all(timers.map((token) => ok(url, `mutation { startTimer(input: { description: "bench" }) { __typename } }`, {}, { token })));
  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  await sql.query(
    `WITH client AS (INSERT INTO "Client" (id, "workspaceId", name) VALUES (gen_random_uuid(), $1, 'Bench client') RETURNING id)
     INSERT INTO "Appointment" (id, "workspaceId", "clientId", "staffId", name, "startsAt", "durationMinutes", "endsAt", status, "fieldValues", "updatedAt")
     SELECT gen_random_uuid(), $1, client.id, m."userId", 'Bench session', now() - make_interval(mins => i::int), 50, now() + make_interval(mins => 50 - i::int), 'in_progress', '{}', now()
     FROM client, (SELECT "userId", row_number() OVER (ORDER BY "userId") AS i FROM "Membership" WHERE "workspaceId" = $1 AND role = 'manager' LIMIT 20) m`,
    [workspaceId],
  );
  await sql.end();
  return [...agentChanges, ...workChanges];
}

/** The API's heap (V8 heap + buffers outside it) and RSS after a full collection, from its own log. */
type Memory = { heap: number; rss: number; snapshot: string | null };
async function memoryOf(api: Proc): Promise<Memory> {
  const from = api.output.length;
  api.child.kill("SIGUSR2");
  for (const deadline = Date.now() + 180_000; ; ) {
    if (Date.now() > deadline) throw new Error("the API logged no memory reading within 3 minutes of SIGUSR2");
    await sleep(200);
    const line = api.output.slice(from).join("").split("\n").find((l) => l.includes("memory after a full collection"));
    if (line) {
      const { memory, snapshot } = JSON.parse(line) as { memory: NodeJS.MemoryUsage; snapshot: string | null };
      return { heap: memory.heapUsed + memory.external, rss: memory.rss, snapshot };
    }
  }
}

/**
 * Live board fan-out (`board`: liveBoard, or liveBoardChanges): `viewerCount` distinct members watch a board of 200 open sessions of mixed
 * kinds (a tenth of them changing each second through the API), from sockets held by load clients
 * in processes of their own. One or two API processes (behind one Redis: changes are made on the
 * first); steps of subscribers (e.g. 1,000 then 10,000) are split evenly across them. Lag is from
 * the change being made (or the tick's instant) to the payload arriving; memory is each API's heap
 * and RSS after a full collection, per subscriber above the same API before anyone watched.
 */
export async function fanOut(env: BenchEnv, board: Board, steps: number[], viewerCount: number, processes = 1): Promise<{ figures: Row[]; heap: Row[] | null }> {
  // One process's heap is snapshotted too, to show where its bytes per subscriber go; only at the
  // --quick sizes, as with tens of thousands of sockets writing the snapshot stalls the API for
  // minutes and the file outgrows the longest string V8 can read it into.
  const snapshots = processes === 1 && quick ? mkdtempSync(join(tmpdir(), "bench-heap-")) : null;
  const first = await env.startApi({ BENCH_MEMORY: "1", ...(snapshots ? { BENCH_HEAP_SNAPSHOTS: snapshots } : { REDIS_URL: env.infra!.redisUrl }) });
  const apis = [first];
  while (apis.length < processes)
    apis.push(await env.startApi({ BENCH_MEMORY: "1", REDIS_URL: env.infra!.redisUrl, DATABASE_URL: first.databaseUrl!, SEED_DEMO: "false" }));
  const { tokens, workspaceId } = await viewers(first.databaseUrl!, viewerCount);
  const changing = await openSessions(first.url, first.databaseUrl!, workspaceId, tokens);
  const clients = Array.from({ length: Math.max(LOAD_CLIENTS, Math.ceil(steps.at(-1)! / SOCKETS_PER_CLIENT)) }, loadClient);
  let running = true;
  let changes = 0;
  let failedWrites = 0;
  /** How long each change's write took to be answered by the API, of the step being measured. */
  let writeLags: number[] = [];
  // A tenth of the board (20 of its 140 changing sessions) changes each second, spread over the
  // second, through the real write paths; load clients hear what to look for just before each write.
  const changer = (async () => {
    for (let round = 1; running; round++) {
      const due = Date.now() + 1000;
      const writes: Promise<unknown>[] = [];
      for (const [i, session] of changing.entries()) {
        if ((i + round) % 7 !== 0) continue;
        const { state, write } = session.make(round);
        const watch = { id: session.id, state, at: Date.now() };
        for (const c of clients) c.child.send({ watch });
        // A failed write is counted and shown, not fatal: on a loaded machine the run still gives its figures.
        const began = Date.now();
        writes.push(write().then(() => (changes++, writeLags.push(Date.now() - began)), (error: Error) => (failedWrites++, console.error(`a change failed: ${error.message}`))));
        await sleep(45);
      }
      await Promise.all(writes);
      await sleep(Math.max(0, due - Date.now()));
    }
  })();

  // The reading with no subscribers is taken with the changes already flowing, so that what they
  // bring along (compiled code, pools, the boards) isn't counted against the subscribers.
  await sleep(quick ? 1500 : 3000);
  const idle = await Promise.all(apis.map(memoryOf));
  const rows: Row[] = [];
  let previous = idle;
  let opened = 0;
  let lastSnapshot: string | null = null;
  for (const count of steps) {
    // Each load client opens its share, on each API in turn.
    const share = Math.ceil((count - opened) / clients.length);
    const handshakes = await Promise.all(
      clients.map((c, k) => {
        const api = apis[k % apis.length];
        const open = { wsUrl: api.url.replace("http", "ws") + "/graphql", board, tokens, count: share, first: opened + k * share, sampleEvery: 50 };
        return c.ask<{ retries: number }>({ open }, "opened");
      }),
    );
    opened += share * clients.length;
    await sleep(quick ? 1000 : 3000); // settle: let the connection burst and its garbage pass before measuring
    for (const c of clients) c.child.send({ reset: true });
    writeLags = [];
    const changesBefore = changes;
    const cpuOf = (procs: { child: ChildProcess }[]) => procs.map((p) => cpuSeconds(p.child.pid!));
    const [apisBefore, clientsBefore] = [cpuOf(apis), cpuOf(clients)];
    const seconds = quick ? 2 : 10;
    await sleep(seconds * 1000);
    /** Of a core, what the processes used between `before` and now, together. */
    const percentOfCore = (procs: { child: ChildProcess }[], before: number[]) => (100 * cpuOf(procs).reduce((sum, s, i) => sum + s - before[i], 0)) / seconds;
    // Per API process: near 100 the API itself is the bottleneck, well under it the machine is.
    const cpu = Math.round(percentOfCore(apis, apisBefore) / apis.length);
    // The load clients' too: they share the two cores, and a busy one reads its sockets late.
    const clientCpu = Math.round(percentOfCore(clients, clientsBefore));
    type Report = { tickLags: number[]; sendLags: number[]; changeLags: { whole: number[]; own: number[] }; tickingSockets: number };
    const reports = await Promise.all(clients.map((c) => c.ask<Report>({ report: true }, "report")));
    const ticks = reports.flatMap((r) => r.tickLags).sort((a, b) => a - b);
    const sends = reports.flatMap((r) => r.sendLags).sort((a, b) => a - b);
    const lags = (board: "whole" | "own") => reports.flatMap((r) => r.changeLags[board]).sort((a, b) => a - b);
    const [whole, own] = [lags("whole"), lags("own")];
    const tickingSockets = reports.reduce((sum, r) => sum + r.tickingSockets, 0);
    const memory = await Promise.all(apis.map(memoryOf));
    lastSnapshot = memory[0].snapshot;
    const growth = (key: "heap" | "rss", from: Memory[], subscribers: number) =>
      Number((memory.reduce((sum, m, i) => sum + m[key] - from[i][key], 0) / subscribers / 1024).toFixed(1));
    const added = opened - (previous === idle ? 0 : (rows.at(-1)!.subscribers as number));
    rows.push({
      "API processes": apis.length,
      subscribers: opened,
      "distinct viewers": Math.min(opened, viewerCount),
      "changes/s": Math.round((changes - changesBefore) / seconds),
      "changes failed": failedWrites,
      "handshakes retried": handshakes.reduce((sum, h) => sum + h.retries, 0),
      "API CPU % of a core": cpu,
      "load clients' CPU % of a core (all)": clientCpu,
      // Ticks go only to boards showing a ticking session (most employees' show none).
      "ticking boards": tickingSockets,
      "tick payloads delivered/expected": Number((ticks.length / (tickingSockets * seconds)).toFixed(2)),
      "tick p50 ms": percentile(ticks, 50),
      "tick p99 ms (goal < 250)": percentile(ticks, 99),
      "change p50/p99 ms, whole board (managers)": `${percentile(whole, 50)} / ${percentile(whole, 99)}`,
      "change p50/p99 ms, own rows (employees)": `${percentile(own, 50)} / ${percentile(own, 99)}`,
      "change p99 ms, all (goal < 250)": percentile([...whole, ...own].sort((a, b) => a - b), 99),
      // A change's lag counts its write through the API (the next column); the one after is only the payload's way out.
      "change write p50/p99 ms, until the API answered": `${percentile(writeLags.sort((a, b) => a - b), 50)} / ${percentile(writeLags, 99)}`,
      "change payload p50/p99 ms, from the server's serverTime": `${percentile(sends, 50)} / ${percentile(sends, 99)}`,
      "heap KB/subscriber (goal ≤ 8)": growth("heap", idle, opened),
      "RSS KB/subscriber": growth("rss", idle, opened),
      // What each further subscriber costs, without what the first ones brought along (code, pools, buffers).
      "heap / RSS KB per added subscriber": previous === idle ? "" : `${growth("heap", previous, added)} / ${growth("rss", previous, added)}`,
    });
    previous = memory;
  }
  running = false;
  await changer;
  for (const c of clients) c.child.kill();
  for (const api of apis) await api.stop();
  let heap: Row[] | null = null;
  // A snapshot over V8's longest string (~512 MB) can't be read whole: the figures above still stand.
  try {
    if (lastSnapshot && idle[0].snapshot) heap = heapGrowthByKind(idle[0].snapshot, lastSnapshot, opened);
  } catch (error) {
    heap = [{ "not read": (error as Error).message }];
  }
  if (snapshots) rmSync(snapshots, { recursive: true, force: true });
  return { figures: rows, heap };
}

/** Processes holding the subscribers' sockets: enough to spread their parsing over both cores. */
const LOAD_CLIENTS = 2;
/** A process may hold 20,000 descriptors here (`ulimit -Hn`): more clients for larger steps. */
const SOCKETS_PER_CLIENT = 10_000;

const AUTOCANNON = new URL("../../node_modules/.bin/autocannon", import.meta.url).pathname;

interface Target {
  name: string;
  proc: Proc;
  query: string;
  token: string;
}

/**
 * POSTs the query to one server for `seconds` from autocannon, a process of its own; the server's
 * CPU is read from /proc around the run, so CPU per request counts every thread of it (GC included).
 */
async function load({ proc, query, token }: Target, connections: number, seconds: number): Promise<Row> {
  const cpuBefore = cpuSeconds(proc.child.pid!);
  // Asynchronously: the servers' logs are piped to this process, which must keep reading them.
  const stdout = await new Promise<string>((resolve, reject) => {
    const run = spawn(AUTOCANNON, [
      "--json", "--connections", String(connections), "--duration", String(seconds), "--method", "POST",
      "--headers", "content-type:application/json", "--headers", `authorization:Bearer ${token}`,
      "--body", JSON.stringify({ query }), `${proc.url}/graphql`,
    ], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    run.stdout.on("data", (chunk) => (out += chunk));
    run.on("error", reject);
    run.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`autocannon exited with ${code}`))));
  });
  const cpu = cpuSeconds(proc.child.pid!) - cpuBefore;
  const result = JSON.parse(stdout) as { requests: { total: number }; duration: number; latency: { p50: number; p99: number }; non2xx: number; errors: number };
  return {
    "requests/s": Math.round(result.requests.total / result.duration),
    "server CPU µs/request": Math.round((cpu * 1e6) / result.requests.total),
    "p50 ms": result.latency.p50,
    "p99 ms": result.latency.p99,
    failed: result.non2xx + result.errors,
  };
}

/**
 * `{ viewer { role user { name } } }` with a personal token on the API, against two baselines each
 * in its own process: (a) yoga + Pothos with the API's plugins answering `{ hello }`, (b) bare
 * node:http doing the same lookup as one SELECT through `pg`. The API runs as one process and as
 * it runs scaled out; each of its rows shows its ratio to each baseline, headed by the goal.
 */
export async function roundTrip(env: BenchEnv, connections = 50): Promise<Row[]> {
  const seconds = quick ? 1 : 10;
  const api = await env.startApi();
  const token = await tokenFor(api.url, "tom@demo.test");
  const query = `{ viewer { role user { name } } }`;
  await ok(api.url, query, {}, { token });
  // A baseline's `ratio` names the column where each API row's requests/s divided by its own is shown.
  // The other servers start side by side: nothing is measured until all are up.
  const [hello, bare, scaled] = await Promise.all([
    startProcess("test/bench/baselines/hello-world.ts", {}, READY),
    api.databaseUrl ? startProcess("test/bench/baselines/bare-select.ts", { DATABASE_URL: api.databaseUrl }, READY) : null,
    // Scaled out (Redis set), a cached credential serves a request only once Redis confirms its stamps.
    env.infra ? env.startApi({ REDIS_URL: env.infra.redisUrl }) : null,
  ]);
  const targets: (Target & { ratio?: string })[] = [{ name: "yoga + Pothos hello world, same plugins", proc: hello, query: "{ hello }", token, ratio: "÷ hello world (goal ≥ 0.8)" }];
  if (bare) targets.push({ name: "bare node:http + the same SELECT (pg)", proc: bare, query, token, ratio: "÷ bare + SELECT (goal ≥ 0.5)" });
  targets.push({ name: "the API, one process (credentials cached)", proc: api, query, token });
  if (scaled) targets.push({ name: "the API with REDIS_URL (cache checked in Redis)", proc: scaled, query, token: await tokenFor(scaled.url, "tom@demo.test") });

  const rows: Row[] = [];
  for (const target of targets) {
    await load(target, connections, quick ? 1 : 3); // warm-up: JIT, pools, caches
    rows.push({ server: target.name, ...(await load(target, connections, seconds)) });
  }
  const rate = (row: Row) => row["requests/s"] as number;
  for (const [i, row] of rows.entries()) {
    if (targets[i].ratio) continue;
    targets.forEach((baseline, b) => baseline.ratio && (row[baseline.ratio] = Number((rate(row) / rate(rows[b])).toFixed(2))));
  }
  for (const target of targets) await target.proc.stop();
  return rows;
}

const READY = /ready on (http:\/\/\S+) /;
