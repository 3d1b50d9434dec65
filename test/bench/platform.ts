// Platform figures: liveBoard fan-out over graphql-ws, and GraphQL round trips against baselines in their own processes.
import { spawn } from "node:child_process";
import WebSocket from "ws";
import { ok, tokenFor } from "../support/client.js";
import { startProcess, type Proc } from "../support/process.js";
import { cpuSeconds, percentile, quick, rssBytes, sleep, type BenchEnv, type Row } from "./support.js";

const BOARD = `subscription { liveBoard(ticks: true) { serverTime reason sessions { id state accumulatedSeconds } } }`;

/** A minimal graphql-transport-ws subscriber: the load generator must stay lighter than the server. */
function subscriber(wsUrl: string, token: string, onTick: (lagMs: number) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, "graphql-transport-ws", { perMessageDeflate: false });
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { token } })));
    socket.on("error", reject);
    let subscribed = false;
    socket.on("message", (data) => {
      const received = Date.now();
      const message = JSON.parse(data.toString());
      if (message.type === "connection_ack") socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: BOARD } }));
      else if (message.type === "next") {
        const board = message.payload.data.liveBoard;
        if (!subscribed) {
          subscribed = true; // the first payload, whatever its reason, is the whole board
          resolve(socket);
        } else if (board.reason === "TICK") onTick(received - Date.parse(board.serverTime));
      } else if (message.type === "error") reject(new Error(JSON.stringify(message.payload)));
    });
  });
}

/**
 * One API process; subscribers are added step by step (e.g. 1,000 then up to 10,000). Memory per
 * subscriber is the marginal RSS between steps, so start-up and warm-up costs don't count.
 */
export async function fanOut(env: BenchEnv, steps: number[]): Promise<Row[]> {
  const api = await env.startApi();
  const wsUrl = api.url.replace("http", "ws") + "/graphql";
  const viewer = await tokenFor(api.url, "lisa@demo.test");
  const worker = await tokenFor(api.url, "tom@demo.test");
  await ok(api.url, `mutation { startTimer(input: { description: "bench" }) { __typename } }`, {}, { token: worker });
  let lags: number[] = [];
  const sockets: WebSocket[] = [];
  const rows: Row[] = [];
  let previous = { count: 0, rss: rssBytes(api.child.pid!) };
  for (const count of steps) {
    while (sockets.length < count) {
      const batch = Math.min(250, count - sockets.length);
      sockets.push(...(await Promise.all(Array.from({ length: batch }, () => subscriber(wsUrl, viewer, (lag) => lags.push(lag))))));
    }
    await sleep(3000); // settle: let the connection burst and its garbage pass before measuring
    lags = [];
    const ticks = 10;
    let rss = 0;
    for (let t = 0; t < ticks; t++) {
      await sleep(1000);
      rss = Math.max(rss, rssBytes(api.child.pid!));
    }
    const sorted = [...lags].sort((a, b) => a - b);
    rows.push({
      subscribers: count,
      "tick payloads": sorted.length,
      "delivered/expected": Number((sorted.length / (count * ticks)).toFixed(2)),
      "p50 lag ms": percentile(sorted, 50),
      "p99 lag ms": percentile(sorted, 99),
      "server RSS MB": Math.round(rss / 2 ** 20),
      "KB per added subscriber": Number(((rss - previous.rss) / (count - previous.count) / 1024).toFixed(1)),
    });
    previous = { count, rss };
  }
  for (const s of sockets) s.terminate();
  await api.stop();
  return rows;
}

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
  const seconds = quick ? 3 : 10;
  const api = await env.startApi();
  const token = await tokenFor(api.url, "tom@demo.test");
  const query = `{ viewer { role user { name } } }`;
  await ok(api.url, query, {}, { token });
  // A baseline's `ratio` names the column where each API row's requests/s divided by its own is shown.
  const targets: (Target & { ratio?: string })[] = [
    { name: "yoga + Pothos hello world, same plugins", proc: await startProcess("test/bench/baselines/hello-world.ts", {}, READY), query: "{ hello }", token, ratio: "÷ hello world (goal ≥ 0.8)" },
  ];
  if (api.databaseUrl) {
    const bare = await startProcess("test/bench/baselines/bare-select.ts", { DATABASE_URL: api.databaseUrl }, READY);
    targets.push({ name: "bare node:http + the same SELECT (pg)", proc: bare, query, token, ratio: "÷ bare + SELECT (goal ≥ 0.5)" });
  }
  targets.push({ name: "the API, one process (credentials cached)", proc: api, query, token });
  if (env.infra) {
    // Scaled out (Redis set), a process can't cache credentials: every request reads the database.
    const scaled = await env.startApi({ REDIS_URL: env.infra.redisUrl });
    targets.push({ name: "the API with REDIS_URL (no credential cache)", proc: scaled, query, token: await tokenFor(scaled.url, "tom@demo.test") });
  }

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
