// Platform figures: liveBoard fan-out over graphql-ws, and GraphQL round trips against bare Node HTTP.
import { createServer, Agent, request } from "node:http";
import WebSocket from "ws";
import { ok, tokenFor } from "../support/client.js";
import { percentile, rssBytes, sleep, type BenchEnv, type Row } from "./support.js";

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

/** Runs `concurrency` request loops for `seconds`; returns latencies in ms. */
async function load(send: () => Promise<void>, concurrency: number, seconds: number) {
  const latencies: number[] = [];
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const start = performance.now();
        await send();
        latencies.push(performance.now() - start);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

function post(agent: Agent, url: URL, body: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.resume();
      res.on("end", () => resolve());
    });
    req.on("error", reject);
    req.end(body);
  });
}

export async function roundTrip(env: BenchEnv, concurrency = 50, seconds = 8): Promise<Row[]> {
  const api = await env.startApi();
  const token = await tokenFor(api.url, "tom@demo.test");
  const query = JSON.stringify({ query: `{ viewer { role user { name } } }` });
  const sample = JSON.stringify(await ok(api.url, `{ viewer { role user { name } } }`, {}, { token }));

  // Baseline: a bare Node HTTP handler in its own process-equivalent (this process) returning the same JSON.
  const bare = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(`{"data":${sample}}`));
  });
  await new Promise<void>((r) => bare.listen(0, "127.0.0.1", r));
  const bareUrl = new URL(`http://127.0.0.1:${(bare.address() as { port: number }).port}/graphql`);

  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const rows: Row[] = [];
  for (const [name, url, headers] of [
    ["bare Node HTTP (baseline)", bareUrl, {}],
    ["GraphQL query, token auth", new URL(`${api.url}/graphql`), { authorization: `Bearer ${token}` }],
  ] as const) {
    await load(() => post(agent, url, query, headers), concurrency, 1); // warm-up
    const latencies = await load(() => post(agent, url, query, headers), concurrency, seconds);
    rows.push({ handler: name, "requests/s": Math.round(latencies.length / seconds), "p50 ms": percentile(latencies, 50), "p99 ms": percentile(latencies, 99) });
  }
  const base = rows[0]["requests/s"] as number;
  for (const row of rows) row["ratio to baseline"] = Number(((row["requests/s"] as number) / base).toFixed(2));
  agent.destroy();
  bare.close();
  await api.stop();
  return rows;
}
