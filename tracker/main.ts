// `npm run tracker`: the desktop tracker. ActivityWatch's watchers post to it as to aw-server on
// 127.0.0.1:5600; it sends their activity to the platform with a personal access token. With
// TRACKER_FOLLOW it follows a running aw-server instead (and serves its own page on 5601).
import { join } from "node:path";
import { awApi } from "./aw-api.js";
import { Follower } from "./follow.js";
import { Tracker } from "./tracker.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required (see README, "Desktop tracking")`);
    process.exit(2);
  }
  return value;
}

const seconds = (name: string, fallback: number) => Number(process.env[name] ?? fallback) * 1000;
const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

const dataDir = process.env.TRACKER_DATA_DIR ?? ".data/tracker";
const followUrl = process.env.TRACKER_FOLLOW?.replace(/\/+$/, "");
const tracker = new Tracker({
  dataDir,
  platform: { url: required("SESSIONS_URL").replace(/\/+$/, ""), token: required("SESSIONS_TOKEN") },
  idleMs: seconds("TRACKER_IDLE_SECONDS", 60),
  batchMs: Number(process.env.TRACKER_BATCH_MS ?? 1000),
  retryMaxMs: seconds("TRACKER_RETRY_MAX_SECONDS", 30),
  log,
});
const server = awApi(tracker);
server.listen(Number(process.env.TRACKER_PORT ?? (followUrl ? 5601 : 5600)), process.env.TRACKER_HOST ?? "127.0.0.1", () => {
  const address = server.address() as { address: string; port: number };
  tracker.pageUrl = `http://${address.address}:${address.port}/`;
  log(`tracker listening on http://${address.address}:${address.port}, sending to ${process.env.SESSIONS_URL}`);
});

let stopping = false;
let polling: NodeJS.Timeout | undefined;
if (followUrl) {
  const since = process.env.TRACKER_FOLLOW_SINCE ? Date.parse(process.env.TRACKER_FOLLOW_SINCE) : Date.now();
  if (Number.isNaN(since)) (console.error("TRACKER_FOLLOW_SINCE must be an ISO-8601 date-time"), process.exit(2));
  const follower = new Follower(tracker, { awUrl: followUrl, stateFile: join(dataDir, "follow.json"), since, log });
  const every = seconds("TRACKER_FOLLOW_SECONDS", 5);
  const poll = async () => {
    await follower.poll();
    if (!stopping) polling = setTimeout(poll, every);
  };
  log(`following aw-server at ${followUrl} every ${every / 1000} s`);
  void poll();
}

for (const signal of ["SIGTERM", "SIGINT"] as const)
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(polling);
    server.close();
    await tracker.stop(5000);
    process.exit(0);
  });
