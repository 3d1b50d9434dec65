// `npm run tracker` as its own process between ActivityWatch's official client and a real stack:
// what the watchers send arrives as sessions, AFK and app time, also after the platform was away.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/client.js";
import { calendar, instant, isoDate } from "../support/dates.js";
import { startProcess, type Proc } from "../support/process.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { startAwServer } from "../support/aw-server.js";
import { runWatchers, type Script } from "../support/watchers.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let ws: TestWorkspace;
const dirs: string[] = [];
const trackers: Proc[] = [];
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  ws = await newWorkspace(url, "Europe/Berlin");
});
afterAll(async () => {
  await Promise.all(trackers.filter((t) => t.child.exitCode === null && t.child.signalCode === null).map((t) => t.stop("SIGKILL")));
  await stack?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// A Wednesday of last month, in the past whatever today is.
const D = calendar("Europe/Berlin").firstMondayOf(-1).plus({ days: 9 });
const SESSIONS = `query($f: LocalDate!, $t: LocalDate!) { workSessions(from: $f, to: $t) { nodes { startedAt endedAt endReason netSeconds afkSeconds afkPeriods { startedAt endedAt } apps { name seconds } } } }`;
const URLS = `query($f: LocalDate!, $t: LocalDate!) { workSessions(from: $f, to: $t) { nodes { netSeconds apps { name seconds } urls { name seconds } } } }`;

function startTracker(token: string, dataDir: string, platformUrl = url, idleSeconds = "2", batchMs = "200", env: Record<string, string> = {}): Promise<Proc> {
  return startProcess(
    "tracker/main.ts",
    { SESSIONS_URL: platformUrl, SESSIONS_TOKEN: token, TRACKER_PORT: "0", TRACKER_DATA_DIR: dataDir, TRACKER_IDLE_SECONDS: idleSeconds, TRACKER_BATCH_MS: batchMs, TRACKER_RETRY_MAX_SECONDS: "0.5", ...env },
    /tracker listening on (http:\/\/\S+),/,
  ).then((proc) => (trackers.push(proc), proc));
}

const newDataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "tracker-"));
  dirs.push(dir);
  return dir;
};
/** An address where nothing listens: a port that was just free. */
async function refusedUrl(): Promise<string> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}
const log = (proc: Proc) => proc.output.join("");
const sessionsOnWithReasons = async (token: string, offset: number) =>
  (await ok(url, `query($f: LocalDate!) { workSessions(from: $f, to: $f) { nodes { afkPeriods { reason } } } }`, { f: isoDate(D.plus({ days: offset })) }, { token })).workSessions.nodes;
const sessionsOn = async (token: string, offset: number) => (await ok(url, SESSIONS, { f: isoDate(D.plus({ days: offset })), t: isoDate(D.plus({ days: offset })) }, { token })).workSessions.nodes;

describe("the desktop tracker", () => {
  it("turns the watchers' heartbeats into the session, AFK and app time aw-server would store, and closes it when they stop", async () => {
    const tracker = await startTracker(ws.employee.token, newDataDir());
    const start = Date.parse(instant(D, "09:00"));
    // Code for 2.5 minutes, then the browser; typing until 09:01, away until 09:04:30.
    const script: Script = {
      start,
      end: start + 300_000,
      windows: [
        { from: 0, to: 149, app: "Code", title: "main.ts" },
        { from: 150, to: 300, app: "Chromium", title: "Docs" },
      ],
      input: [{ from: 0, to: 60 }, { from: 270, to: 300 }],
    };
    await runWatchers(tracker.url, "desktop", script);
    await until(async () => log(tracker), (l) => l.includes("session closed at"), 10_000);
    await until(() => sessionsOn(ws.employee.token, 0), (nodes) => nodes[0]?.endReason === "APP_CLOSED", 10_000);

    const [session, ...others] = await sessionsOn(ws.employee.token, 0);
    expect(others).toEqual([]);
    // aw-server: not-afk until 09:01, afk from 09:01:00.001 (reported at 09:04) to 09:04:30, not-afk from 09:04:30.001.
    expect(session).toMatchObject({ startedAt: instant(D, "09:00"), endedAt: instant(D, "09:05"), endReason: "APP_CLOSED", afkSeconds: 210, netSeconds: 90 });
    expect(session.afkPeriods).toEqual([{ startedAt: new Date(start + 60_001).toISOString(), endedAt: new Date(start + 270_001).toISOString() }]);
    // aw-server: Code from the first heartbeat to the last at 09:02:29, Chromium from 09:02:30 to 09:05.
    expect(session.apps).toEqual([{ name: "Chromium", seconds: 150 }, { name: "Code", seconds: 149 }]);
    expect(log(tracker)).toMatch(/sent \d+ events: \d+ new, 0 already there, 0 rejected/);
  });

  it("keeps what the watchers send while the platform can't be reached, through a crash, and delivers each heartbeat once", async () => {
    const dataDir = newDataDir();
    const first = await startTracker(ws.employee2.token, dataDir, await refusedUrl());
    const start = Date.parse(instant(D.plus({ days: 1 }), "14:00"));
    const script: Script = {
      start,
      end: start + 120_000,
      windows: [
        { from: 0, to: 40, app: "Terminal", title: "npm test" },
        { from: 41, to: 120, app: "Slack", title: "#support" },
      ],
      input: [{ from: 0, to: 120 }],
    };
    await runWatchers(first.url, "laptop", script);
    await until(async () => log(first), (l) => l.includes("session closed at"), 10_000);
    expect(log(first)).toMatch(/platform unreachable \(ECONNREFUSED\)/);
    // The laptop crashes before the network is back: only the queue on disk survives.
    await first.stop("SIGKILL");
    const queued = readFileSync(join(dataDir, "queue.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line));

    const second = await startTracker(ws.employee2.token, dataDir);
    await until(async () => log(second), (l) => /; 0 queued/.test(l), 10_000);
    expect(log(second)).toContain(`${queued.length} events queued from before: sending`);
    expect(log(second)).toContain(`sent ${queued.length} events: ${queued.length} new, 0 already there, 0 rejected; 0 queued`);
    const expected = { startedAt: instant(D.plus({ days: 1 }), "14:00"), endedAt: instant(D.plus({ days: 1 }), "14:02"), endReason: "APP_CLOSED", afkSeconds: 0, netSeconds: 120, afkPeriods: [], apps: [{ name: "Slack", seconds: 79 }, { name: "Terminal", seconds: 40 }] };
    expect(await sessionsOn(ws.employee2.token, 1)).toEqual([expected]);

    // The same queue delivered again (as after an answer lost on the way): nothing is counted twice.
    const again = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${ws.employee2.token}`, "content-type": "application/json" }, body: JSON.stringify({ events: queued }) });
    expect(await again.json()).toMatchObject({ accepted: queued.length, duplicates: queued.length, rejected: [] });
    expect(await sessionsOn(ws.employee2.token, 1)).toEqual([expected]);
  });

  it("loses none of the heartbeats it answered when it crashes before sending them", async () => {
    const dataDir = newDataDir();
    // Batches at most every ten minutes, and the platform out of reach: what it was told sits in memory and on disk.
    const first = await startTracker(ws.manager.token, dataDir, await refusedUrl(), "2", "600000");
    const start = Date.parse(instant(D.plus({ days: 3 }), "16:00"));
    await runWatchers(first.url, "desk", { start, end: start + 90_000, windows: [{ from: 0, to: 90, app: "Terminal", title: "deploy" }], input: [{ from: 0, to: 90 }] });
    await first.stop("SIGKILL");
    const queued = readFileSync(join(dataDir, "queue.jsonl"), "utf8").trim().split("\n");
    expect(queued.length).toBeLessThan(3);

    // Restarted later: the session it had open is closed at its last activity, and all of it arrives.
    const second = await startTracker(ws.manager.token, dataDir);
    await until(async () => log(second), (l) => l.includes(`session closed at ${new Date(start + 90_000).toISOString()}`) && /; 0 queued/.test(l), 15_000);
    expect(await sessionsOn(ws.manager.token, 3)).toEqual([
      { startedAt: new Date(start).toISOString(), endedAt: new Date(start + 90_000).toISOString(), endReason: "APP_CLOSED", afkSeconds: 0, netSeconds: 90, afkPeriods: [], apps: [{ name: "Terminal", seconds: 90 }] },
    ]);
  });

  it("gives a browser window the URL of the tab the browser extension reports, as an import does", async () => {
    const tracker = await startTracker(ws.owner.token, newDataDir());
    const start = Date.parse(instant(D.plus({ days: 4 }), "10:00"));
    const long = `https://example.org/search?q=${"x".repeat(2500)}`;
    await runWatchers(tracker.url, "desk", {
      start,
      end: start + 150_000,
      windows: [
        { from: 0, to: 119, app: "Chromium", title: "Chromium" },
        { from: 120, to: 150, app: "Code", title: "main.ts" },
      ],
      input: [{ from: 0, to: 150 }],
      tabs: [
        { from: 0, to: 58, url: "https://example.org/docs", title: "Docs" },
        { from: 61, to: 150, url: long, title: "Search" },
      ],
    });
    await until(async () => log(tracker), (l) => l.includes("session closed at"), 10_000);
    const f = isoDate(D.plus({ days: 4 }));
    await until(async () => (await ok(url, URLS, { f, t: f }, { token: ws.owner.token })).workSessions.nodes, (nodes) => nodes[0]?.netSeconds === 150, 10_000);
    const [session] = (await ok(url, URLS, { f, t: f }, { token: ws.owner.token })).workSessions.nodes;
    // The browser's window ends at its last heartbeat (09:01:59 + 0): the seconds between the tabs go to the
    // first (ActivityWatch's flood), the long URL is cut, not lost; Code's window takes no URL though the tab stays reported.
    expect(session.apps).toEqual([{ name: "Chromium", seconds: 119 }, { name: "Code", seconds: 30 }]);
    expect(session.urls).toEqual([{ name: "https://example.org/docs", seconds: 61 }, { name: long.slice(0, 2000), seconds: 58 }]);
  });

  it("asks, once back from a long AFK period, what the time was, and files the answer from its own page", async () => {
    // Its own workspace: the page lists every unanswered period of the member.
    const own = await newWorkspace(url, "Europe/Berlin");
    const tracker = await startTracker(own.employee.token, newDataDir(), url, "600");
    const start = Date.parse(instant(D.plus({ days: 5 }), "09:00"));
    // Typing until 09:01, away until 09:04:30 (longer than the workspace's three minutes), back until 09:05.
    await runWatchers(tracker.url, "desk", { start, end: start + 300_000, windows: [{ from: 0, to: 300, app: "Code", title: "main.ts" }], input: [{ from: 0, to: 60 }, { from: 270, to: 300 }] });
    await until(async () => log(tracker), (l) => l.includes("what was it?"), 10_000);
    expect(log(tracker)).toMatch(new RegExp(`away \\d\\d:\\d\\d–\\d\\d:\\d\\d \\(0:03:30\\): what was it\\? Answer at ${tracker.url}/ or in the web app`));
    expect(log(tracker).match(/what was it\?/g)).toHaveLength(1);

    const page = await fetch(`${tracker.url}/`);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain("<title>AFK periods – Sessions tracker</title>");
    expect(html).toContain("(0:03:30)");
    const action = html.match(/action="([^"]+)"/)![1];
    for (const reason of ["BREAK", "MEETING", "LUNCH", "CALL", "WORK"]) expect(html).toContain(`value="${reason}"`);

    const answer = (reason: string, headers: Record<string, string> = {}) =>
      fetch(`${tracker.url}${action}`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: `reason=${reason}` });
    const reasons = async () => (await sessionsOnWithReasons(own.employee.token, 5)).flatMap((s: { afkPeriods: { reason: string | null }[] }) => s.afkPeriods.map((a) => a.reason));
    // Another site's page can't answer for the employee; a made-up answer changes nothing either.
    expect((await answer("LUNCH", { origin: "https://elsewhere.example" })).status).toBe(403);
    expect((await answer("LUNCH", { "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await answer("NAP")).status).toBe(422);
    expect(await reasons()).toEqual([null]);

    const saved = await answer("LUNCH", { origin: tracker.url, "sec-fetch-site": "same-origin" });
    expect([saved.status, saved.headers.get("location")]).toEqual([303, "/?answered"]);
    expect(await reasons()).toEqual(["LUNCH"]);
    const after = await (await fetch(`${tracker.url}/?answered`)).text();
    expect(after).toContain("Saved.");
    expect(after).toContain("Nothing to answer");
  });

  it("follows a running aw-server instead (sync mode): what its watchers store arrives once, also as its newest event grows and across a restart", async () => {
    const aw = await startAwServer();
    try {
      const start = Date.parse(instant(D.plus({ days: 6 }), "13:00"));
      // The watchers post to aw-server (aw-qt's, say) for 100 s before the tracker starts.
      await runWatchers(aw.url, "followed", { start, end: start + 100_000, windows: [{ from: 0, to: 100, app: "Code", title: "follow.ts" }], input: [{ from: 0, to: 100 }] });
      const dataDir = newDataDir();
      const follow = { TRACKER_FOLLOW: aw.url, TRACKER_FOLLOW_SINCE: new Date(start - 60_000).toISOString(), TRACKER_FOLLOW_SECONDS: "0.3" };
      const first = await startTracker(ws.employee2.token, dataDir, url, "600", "200", follow);
      expect(log(first)).toContain(`following aw-server at ${aw.url} every 0.3 s`);
      const net = async () => (await sessionsOn(ws.employee2.token, 6)).map((s: { netSeconds: number }) => s.netSeconds);
      await until(net, (n) => n[0] === 100, 10_000);
      // Another 100 s: aw-server grows the same events (within their pulsetime), and the tracker sends the growth.
      await runWatchers(aw.url, "followed", { start: start + 101_000, end: start + 200_000, windows: [{ from: 0, to: 99, app: "Code", title: "follow.ts" }], input: [{ from: 0, to: 99 }] });
      await until(net, (n) => n[0] === 200, 10_000);
      expect(await first.stop("SIGTERM")).toBe(0);
      expect(log(first)).toContain(`stopping: session closed at ${new Date(start + 200_000).toISOString()}`);

      // Started again on the same folder: aw-server holds nothing new, and nothing is sent again.
      const second = await startTracker(ws.employee2.token, dataDir, url, "600", "200", follow);
      await new Promise((r) => setTimeout(r, 1500));
      expect(log(second)).not.toMatch(/sent \d+ events/);
      expect(await sessionsOn(ws.employee2.token, 6)).toEqual([
        { startedAt: new Date(start).toISOString(), endedAt: new Date(start + 200_000).toISOString(), endReason: "APP_CLOSED", afkSeconds: 0, netSeconds: 200, afkPeriods: [], apps: [{ name: "Code", seconds: 200 }] },
      ]);
    } finally {
      await aw.close();
    }
  });

  it("closes the session at the last activity when it is stopped (SIGTERM) while the watchers still report", async () => {
    const tracker = await startTracker(ws.staff.token, newDataDir(), url, "600");
    const start = Date.parse(instant(D.plus({ days: 2 }), "11:00"));
    await runWatchers(tracker.url, "desktop", { start, end: start + 30_000, windows: [{ from: 0, to: 30, app: "Code", title: "rules.ts" }], input: [{ from: 0, to: 30 }] });
    expect(await tracker.stop("SIGTERM")).toBe(0);
    expect(log(tracker)).toContain(`stopping: session closed at ${new Date(start + 30_000).toISOString()}`);
    expect(await sessionsOn(ws.staff.token, 2)).toEqual([
      { startedAt: instant(D.plus({ days: 2 }), "11:00"), endedAt: new Date(start + 30_000).toISOString(), endReason: "APP_CLOSED", afkSeconds: 0, netSeconds: 30, afkPeriods: [], apps: [{ name: "Code", seconds: 30 }] },
    ]);
  });
});
