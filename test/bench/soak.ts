// The soak: minutes of mixed traffic against one API process and a worker (desktop heartbeats,
// analytics batches, GraphQL reads, beat flips) while 2,000 live-board subscribers stay connected.
// Its baseline is the same process in the soak's first minute: errors stay 0, and RSS and
// event-loop delay at the end stay where they were once warm.
import type { Client } from "graphql-ws";
import { ok, wsClient } from "../support/client.js";
import { startStack } from "../support/stack.js";
import { newWorkspace } from "../support/workspace.js";
import { quick, rssBytes, sleep, type BenchEnv, type Row } from "./support.js";

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? (quick ? 15 : 600));
const SUBSCRIBERS = Number(process.env.BENCH_SOAK_SUBSCRIBERS ?? (quick ? 200 : 2000));
const WINDOW_MS = Math.min(60_000, (SECONDS * 1000) / 5);
const METRICS_TOKEN = "soak-metrics";

interface Window {
  requests: number;
  errors: number;
  rssMb: number[];
  lagP99Ms: number[];
}

const newWindow = (): Window => ({ requests: 0, errors: 0, rssMb: [], lagP99Ms: [] });
const at = (ms: number) => new Date(Date.now() - ms).toISOString();

export async function soak(env: BenchEnv): Promise<Row[]> {
  const servers = env.infra ? { databaseUrl: env.infra.databaseUrl, redisUrl: env.infra.redisUrl } : ("embedded" as const);
  const stack = await startStack({
    worker: !!env.infra,
    servers,
    env: { METRICS_TOKEN, RATE_LIMIT_TOKEN: "1000000000/1", RATE_LIMIT_INGESTION: "1000000000/1", MAX_SUBSCRIPTIONS_PER_SOCKET: "20" },
  });
  const url = stack.urls[0];
  const sockets: Client[] = [];
  try {
    const ws = await newWorkspace(url);
    const owner = { token: ws.owner.token };
    const writeKey = (await ok(url, `mutation { createAnalyticsApp(input: { name: "Soak" }) { ... on AnalyticsAppWithKey { writeKey } } }`, {}, owner)).createAnalyticsApp.writeKey;
    const client = (await ok(url, `mutation { createClient(input: { name: "Soak" }) { ... on Client { id } } }`, {}, owner)).createClient.id;
    const project = (await ok(url, `mutation($c: ID!) { createProject(input: { clientId: $c, name: "Soak", hourlyRateCents: 6000 }) { ... on Project { id } } }`, { c: client }, owner)).createProject.id;
    const agentSession = (await ok(url, `mutation($p: ID!) { startAgentSession(input: { projectId: $p, description: "soak" }) { ... on AgentSession { id } } }`, { p: project }, { token: ws.manager.token })).startAgentSession.id;

    // The subscribers: one liveBoard each, 10 per socket, as wall displays and dashboards hold them.
    let subscriberErrors = 0;
    for (let s = 0; s < SUBSCRIBERS / 10; s++) {
      const socket = wsClient(url, { token: ws.manager.token });
      sockets.push(socket);
      for (let i = 0; i < 10; i++) socket.subscribe({ query: `subscription { liveBoard { sessions { id state } } }` }, { next: () => {}, error: () => void subscriberErrors++, complete: () => {} });
    }

    const windows: Window[] = [newWindow()];
    const current = () => windows.at(-1)!;
    const send = async (request: () => Promise<Response>) => {
      current().requests++;
      try {
        const res = await request();
        const text = await res.text();
        if (!res.ok || text.includes('"errors"')) current().errors++;
      } catch {
        current().errors++;
      }
    };
    const post = (path: string, token: string, body: unknown) => () =>
      fetch(`${url}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const graphql = (token: string, query: string, variables: object = {}) => post("/graphql", token, { query, variables });

    const kinds = ["ACTIVE", "AGENT", "IDLE"];
    // The day around now in any time zone: the sessions list the heartbeats are filling.
    const today = { from: at(86_400_000).slice(0, 10), to: at(-86_400_000).slice(0, 10) };
    const steps: ((i: number) => Promise<void>)[] = [
      (i) => send(post("/api/work/events", ws.employee.token, { events: [{ id: `soak-w-${i}`, type: "window", timestamp: at(1000), duration: 1, pulsetime: 30, data: { app: "Code", title: "soak.ts" } }] })),
      (i) => send(post("/api/events", writeKey, { events: Array.from({ length: 20 }, (_, e) => ({ eventId: `soak-a-${i}-${e}`, userId: `visitor-${i % 50}`, name: "page_view", timestamp: at(1000) })) })),
      () => send(graphql(ws.employee.token, `{ viewer { role } }`)),
      () => send(graphql(ws.manager.token, `query($from: LocalDate!, $to: LocalDate!) { workSessions(first: 20, from: $from, to: $to) { nodes { id } } }`, today)),
      (i) => send(graphql(ws.manager.token, `mutation($s: ID!, $k: BeatKind!) { setBeat(input: { sessionId: $s, kind: $k }) { __typename } }`, { s: agentSession, k: kinds[i % 3] })),
    ];
    const end = Date.now() + SECONDS * 1000;
    const loops = steps.map(async (step) => {
      for (let i = 0; Date.now() < end; i++) await step(i);
    });
    const pid = stack.apis[0].child.pid!;
    const sampler = (async () => {
      let windowEnds = Date.now() + WINDOW_MS;
      while (Date.now() < end) {
        await sleep(5000);
        const metrics = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text());
        const lag = Number(/^nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(metrics)?.[1] ?? NaN);
        current().lagP99Ms.push(lag * 1000);
        current().rssMb.push(rssBytes(pid) / 1e6);
        if (Date.now() >= windowEnds && Date.now() < end) {
          windows.push(newWindow());
          windowEnds += WINDOW_MS;
        }
      }
    })();
    await Promise.all([...loops, sampler]);

    const [first, last] = [windows[0], windows.at(-1)!];
    const perSecond = (w: Window) => Math.round(w.requests / (WINDOW_MS / 1000));
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    const worst = (values: number[]) => Math.max(...values);
    const firstMinute = `first ${WINDOW_MS / 1000} s (baseline)`;
    const lastMinute = `last ${WINDOW_MS / 1000} s`;
    return [
      { measure: "requests per second", goal: "steady", [firstMinute]: perSecond(first), [lastMinute]: perSecond(last) },
      { measure: "errors in traffic", goal: "0", [firstMinute]: first.errors, [lastMinute]: last.errors },
      { measure: `errors on ${SUBSCRIBERS} subscriptions (whole soak)`, goal: "0", [firstMinute]: "", [lastMinute]: subscriberErrors },
      { measure: "API RSS, mean (MB)", goal: "end ≤ 1.2 × start", [firstMinute]: mean(first.rssMb), [lastMinute]: mean(last.rssMb) },
      { measure: "event-loop delay p99, worst (ms)", goal: "≤ 100", [firstMinute]: worst(first.lagP99Ms), [lastMinute]: worst(last.lagP99Ms) },
      { measure: "soak length (s)", goal: "", [firstMinute]: "", [lastMinute]: SECONDS },
    ];
  } finally {
    await Promise.all(sockets.map((s) => s.dispose()));
    await stack.stop();
  }
}
