// A load client for the beat-flip bench, run as its own process so that making requests and reading
// answers is neither the API's CPU nor the bench's: its users flip beats through the API, each over
// its own kept-alive connection, one request at a time, for a while. With `viewer` they ask the
// small authenticated query of the round-trip bench instead, the same-run yardstick for a flip.
// Arguments: one JSON object { url, seconds, viewer?, users: [{ token, sessions: [a, b] }] }.
// Prints { latencies, failed } (ms, sorted) as JSON.
import { Agent, request } from "node:http";
import { loadLoop } from "./support.js";

interface User {
  token: string;
  sessions: [string, string];
}

const { url, seconds, viewer, users } = JSON.parse(process.argv[2]) as { url: string; seconds: number; viewer?: boolean; users: User[] };
const agent = new Agent({ keepAlive: true, maxSockets: users.length });
const FLIP = `mutation($s: ID!, $k: BeatKind!) { setBeat(input: { sessionId: $s, kind: $k }) { __typename } }`;
const KINDS = ["ACTIVE", "AGENT", "IDLE"];
const VIEWER = JSON.stringify({ query: `{ viewer { role user { name } } }` });
let failed = 0;

/** One POST; a flip answered with anything but the session itself counts as failed. */
function send(user: User, i: number): Promise<void> {
  const body = viewer ? VIEWER : JSON.stringify({ query: FLIP, variables: { s: user.sessions[i % 2], k: KINDS[i % 3] } });
  return new Promise((resolve, reject) => {
    const req = request(`${url}/graphql`, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${user.token}` },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => {
        if (res.statusCode !== 200 || !text.includes(viewer ? `"role"` : `"__typename":"AgentSession"`)) failed++;
        resolve();
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const latencies = await loadLoop(users, seconds, send);
agent.destroy();
console.log(JSON.stringify({ latencies, failed }));
