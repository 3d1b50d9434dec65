// Tracker lag: from an ActivityWatch heartbeat (aw-client, as aw-watcher-afk sends it) to the Live
// board showing the session's new state, through `npm run tracker` in its own process; the
// baseline posts the same event straight to /api/work/events of a baseline API process of its own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AWClient } from "aw-client";
import { ok, subscribe, wsClient } from "../support/client.js";
import { startProcess } from "../support/process.js";
import { memberTokens, percentile, sleep, type BenchEnv, type Row } from "./support.js";

const BOARD = `subscription { liveBoard { sessions { kind personId state } } }`;
type Board = { liveBoard: { sessions: { kind: string; personId: string; state: string }[] } };
/** The tracker sends at most one batch a second; AFK pings come every 5 s, so flips 1.2 s apart never wait for it. */
const SPACING_MS = 1200;

/** Flips the employee's AFK status `flips` times and times each until the board shows it. */
async function flipLags(url: string, token: string, flips: number, send: (i: number, status: "afk" | "not-afk", at: Date) => Promise<unknown>) {
  const personId = (await ok(url, `{ viewer { user { id } } }`, {}, { token })).viewer.user.id as string;
  const client = wsClient(url, { token });
  const board = subscribe<Board>(client, BOARD);
  await board.next();
  const shows = (state: string) => (b: Board) => b.liveBoard.sessions.some((s) => s.kind === "WORK" && s.personId === personId && s.state === state);
  const lags: number[] = [];
  for (let i = 0; i <= flips; i++) {
    const status = i % 2 ? "afk" : "not-afk";
    const t0 = performance.now();
    const seen = board.next(shows(status === "afk" ? "AFK" : "WORKING"));
    await send(i, status, new Date());
    await seen;
    // The first one opens the session: not a flip.
    if (i > 0) lags.push(performance.now() - t0);
    await sleep(SPACING_MS);
  }
  board.dispose();
  await client.dispose();
  return lags.sort((a, b) => a - b);
}

export async function trackerLag(env: BenchEnv, flips = 40): Promise<Row[]> {
  const [measured, base] = await Promise.all([env.startApi(), env.startApi()]);
  const [[viaTracker], [direct]] = [await memberTokens(measured, ["tracked@bench.test"]), await memberTokens(base, ["direct@bench.test"])];
  const dataDir = mkdtempSync(join(tmpdir(), "bench-tracker-"));
  const tracker = await startProcess(
    "tracker/main.ts",
    { SESSIONS_URL: measured.url, SESSIONS_TOKEN: viaTracker, TRACKER_PORT: "0", TRACKER_DATA_DIR: dataDir, TRACKER_IDLE_SECONDS: "600" },
    /tracker listening on (http:\/\/\S+),/,
  );
  try {
    const aw = new AWClient("aw-watcher-afk", { baseURL: tracker.url });
    await aw.ensureBucket("aw-watcher-afk_bench", "afkstatus", "bench");
    // Both paths side by side: a flip every 1.2 s is far from loading either, and each lag is mostly waiting.
    const [tracked, baseline] = await Promise.all([
      flipLags(measured.url, viaTracker, flips, (_i, status, at) => aw.heartbeat("aw-watcher-afk_bench", 185, { timestamp: at, duration: 0, data: { status } })),
      flipLags(base.url, direct, flips, (i, status, at) =>
        fetch(`${base.url}/api/work/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${direct}`, "content-type": "application/json" },
          body: JSON.stringify({ events: [{ id: `direct-${i}`, type: "afk", timestamp: at.toISOString(), duration: 0, data: { status } }] }),
        }),
      ),
    ]);
    return lagRows(tracked, baseline);
  } finally {
    // The tracker first: stopping, it closes the session on the measured API.
    await tracker.stop();
    await Promise.all([measured.stop(), base.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function lagRows(tracked: number[], baseline: number[]): Row[] {
  const row = (path: string, goal: string, sorted: number[]): Row => ({
    path,
    goal,
    flips: sorted.length,
    "p50 ms": Math.round(percentile(sorted, 50)),
    "p99 ms": Math.round(percentile(sorted, 99)),
    "p50 / baseline": percentile(sorted, 50) / percentile(baseline, 50),
  });
  return [
    row("the same event POSTed straight to /api/work/events of its own API process (baseline)", "-", baseline),
    row("aw-client heartbeat -> npm run tracker -> /api/work/events", "p99 under 1,000 ms", tracked),
  ];
}
