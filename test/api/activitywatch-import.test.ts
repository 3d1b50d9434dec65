// ActivityWatch imports held to ActivityWatch's own arithmetic: each generated export is worked out
// here by a small reference written from aw-core's transforms over the raw JSON (flood, period
// intersection, merge by keys), and the sessions the API reports must agree within 1%.
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activityWatchExport, eventCount, type AwExport } from "../support/activitywatch-export.js";
import { ok } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
/**
 * The tests' own workspace. Each import goes to an employee whose imported days no other test
 * touches: a person's sessions never overlap, so days imported twice would be one session.
 */
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
});
beforeAll(async () => {
  ws = await newWorkspace(url, ZONE);
});
afterAll(() => stack?.stop());

const ZONE = "Europe/Berlin";
const TIMEOUT_MS = 15 * 60_000;

// ---- The reference: plain, slow, obviously right. -------------------------------------------
type Period = { start: number; end: number };
type Ev = Period & { data: Record<string, unknown> };
const eventsOf = (exported: AwExport, match: (id: string, type: string) => boolean): Ev[] =>
  Object.values(exported.buckets)
    .filter((b) => match(b.id, b.type))
    .flatMap((b) => b.events.map((e) => ({ start: Date.parse(e.timestamp), end: Date.parse(e.timestamp) + e.duration * 1000, data: e.data })));

/** aw-core's flood: a neighbour gap up to 5 s goes to the longer event, equal data merges. */
function flood(input: Ev[]): Ev[] {
  const evs = input.map((e) => ({ ...e })).sort((a, b) => a.start - b.start);
  evs.forEach((e1, i) => {
    const e2 = evs[i + 1];
    if (!e2 || e2.start === e1.end) return;
    const gap = e2.start - e1.end;
    const same = JSON.stringify(e1.data) === JSON.stringify(e2.data);
    if (gap < 0 && same) {
      const end = Math.max(e1.end, e2.end);
      Object.assign(e1, { start: Math.min(e1.start, e2.start), end });
      Object.assign(e2, { start: end, end });
    } else if (gap > -100 && gap <= 5000) {
      const firstLonger = e1.end - e1.start >= e2.end - e2.start;
      if (firstLonger && same) {
        e1.end = e2.end;
        e2.start = e2.end;
      } else if (firstLonger) {
        e1.end = e2.start;
      } else if (same) {
        e2.start = e1.start;
        e1.end = e1.start;
      } else {
        e2.start = e1.end;
      }
    }
  });
  return evs.filter((e) => e.end > e.start);
}

function merged(spans: Period[]) {
  const out: Period[] = [];
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (out.length && s.start <= out[out.length - 1].end) out[out.length - 1].end = Math.max(out[out.length - 1].end, s.end);
    else out.push({ ...s });
  }
  return out;
}

const touching = (e: Period, periods: Period[]) => periods.filter((p) => p.start < e.end && p.end > e.start);

/** filter_period_intersect, pair by pair: the parts of `events` inside `periods`, with the events' data. */
const intersect = (events: Ev[], periods: Period[]) =>
  events.flatMap((e) => touching(e, periods).map((p) => ({ ...e, start: Math.max(e.start, p.start), end: Math.min(e.end, p.end) })));

/** The parts of an event no span covers. */
const minus = (e: Ev, spans: Period[]) =>
  touching(e, spans).reduce<Ev[]>((parts, s) => parts.flatMap((p) => [{ ...p, end: Math.min(p.end, s.start) }, { ...p, start: Math.max(p.start, s.end) }].filter((q) => q.end > q.start)), [e]);

/** merge_events_by_keys on one key, in seconds. */
function byKey(events: Ev[], key: (e: Ev) => string | null) {
  const totals: Record<string, number> = {};
  for (const e of events) {
    const k = key(e);
    if (k !== null) totals[k] = (totals[k] ?? 0) + (e.end - e.start) / 1000;
  }
  return totals;
}

const TAB_BUCKET: Record<string, string> = { Firefox: "aw-watcher-web-firefox", "Google-chrome": "aw-watcher-web-chrome" };

function reference(exported: AwExport) {
  const hosts = [...new Set(Object.values(exported.buckets).filter((b) => b.type !== "web.tab.current").map((b) => b.hostname))].sort();
  let active: Ev[] = [];
  for (const host of hosts) {
    const windows = flood(eventsOf(exported, (id) => id === `aw-watcher-window_${host}`));
    const notAfk = merged(flood(eventsOf(exported, (id) => id === `aw-watcher-afk_${host}`)).filter((e) => e.data.status === "not-afk"));
    // union_no_overlap across hosts: the first host keeps what two hosts both claim.
    const claimed = merged(active);
    active = [...active, ...intersect(windows, notAfk).flatMap((e) => minus(e, claimed))];
  }
  active.sort((a, b) => a.start - b.start);
  const tabs = Object.entries(TAB_BUCKET).flatMap(([app, bucket]) => intersect(flood(eventsOf(exported, (id) => id === bucket)), active.filter((e) => e.data.app === app)));
  // Sessions: split where no watcher at all reported for longer than the timeout.
  const covered = merged(eventsOf(exported, () => true));
  const quietTooLong = (from: number, to: number) => minus({ start: from, end: to, data: {} }, covered).some((g) => g.end - g.start > TIMEOUT_MS);
  const sessions: Period[] = [];
  for (const e of active) {
    const last = sessions[sessions.length - 1];
    if (last && !quietTooLong(last.end, e.start)) last.end = e.end;
    else sessions.push({ start: e.start, end: e.end });
  }
  const net = active.reduce((s, e) => s + (e.end - e.start) / 1000, 0);
  const span = sessions.reduce((s, x) => s + (x.end - x.start) / 1000, 0);
  return {
    sessions: sessions.length,
    net,
    afk: span - net,
    apps: byKey(active, (e) => String(e.data.app)),
    urls: byKey(tabs, (e) => String(e.data.url).slice(0, 2000)),
  };
}

// ---- The API side. ---------------------------------------------------------------------------
const SESSIONS = `query($f: LocalDate!, $t: LocalDate!) { workSessions(from: $f, to: $t, first: 100) { nodes { startedAt endedAt netSeconds afkSeconds apps { name seconds } urls { name seconds } } } }`;

async function importExport(token: string, exported: unknown) {
  const res = await fetch(`${url}/api/work/import`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(exported) });
  return { status: res.status, body: await res.json() };
}

async function reported(token: string, from: DateTime, days: number) {
  const range = { f: from.minus({ days: 1 }).toISODate(), t: from.plus({ days }).toISODate() };
  const nodes: { netSeconds: number; afkSeconds: number; apps: { name: string; seconds: number }[]; urls: { name: string; seconds: number }[] }[] = (
    await ok(url, SESSIONS, range, { token })
  ).workSessions.nodes;
  const sum = (list: { name: string; seconds: number }[][]) =>
    list.flat().reduce<Record<string, number>>((t, u) => ({ ...t, [u.name]: (t[u.name] ?? 0) + u.seconds }), {});
  return {
    sessions: nodes.length,
    net: nodes.reduce((s, n) => s + n.netSeconds, 0),
    afk: nodes.reduce((s, n) => s + n.afkSeconds, 0),
    apps: sum(nodes.map((n) => n.apps)),
    urls: sum(nodes.map((n) => n.urls)),
  };
}

/** Whole seconds within 1% (and a second, for totals of a few seconds). */
function agree(what: string, actual: number, expected: number) {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(Math.max(1, expected * 0.01));
}

function expectAgreement(got: Awaited<ReturnType<typeof reported>>, want: ReturnType<typeof reference>) {
  expect(got.sessions).toBe(want.sessions);
  agree("net", got.net, want.net);
  agree("AFK", got.afk, want.afk);
  expect(Object.keys(got.apps).sort()).toEqual(Object.keys(want.apps).sort());
  for (const [app, s] of Object.entries(want.apps)) agree(app, got.apps[app], s);
  expect(Object.keys(got.urls).sort()).toEqual(Object.keys(want.urls).sort());
  for (const [u, s] of Object.entries(want.urls)) agree(u, got.urls[u], s);
}

describe("ActivityWatch import", () => {
  it("agrees with ActivityWatch's arithmetic on a week of two hosts, and importing again changes nothing", async () => {
    const token = ws.employee.token;
    const from = DateTime.now().setZone(ZONE).minus({ weeks: 2 }).startOf("week");
    const exported = activityWatchExport({ from, days: 7, seed: 7 });
    const first = await importExport(token, exported);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ buckets: 6, rejected: [], duplicates: 0 });
    const want = reference(exported);
    const got = await reported(token, from, 7);
    expectAgreement(got, want);
    // Middays longer than the timeout with no watcher split a day in two; shorter ones don't.
    expect(want.sessions).toBe(5 + 3);
    // Long URLs are kept, cut to 2,000 characters.
    expect(Object.keys(got.urls).some((u) => u.length === 2000)).toBe(true);

    const again = await importExport(token, exported);
    expect(again.body.duplicates).toBe(again.body.accepted);
    expect(await reported(token, from, 7)).toEqual(got);
  });

  it("imports a month in one request and still agrees", async () => {
    const token = ws.employee2.token;
    const from = DateTime.now().setZone(ZONE).minus({ months: 1 }).startOf("month");
    const days = from.daysInMonth!;
    const exported = activityWatchExport({ from, days, seed: 42 });
    expect(eventCount(exported)).toBeGreaterThan(20_000);
    const started = Date.now();
    const res = await importExport(token, exported);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(15_000);
    expectAgreement(await reported(token, from, days), reference(exported));
  });

  it("rejects what isn't an export, and reports bad events while keeping the good ones", async () => {
    const token = ws.employee.token;
    expect((await importExport(token, { events: [] })).status).toBe(400);
    const day = DateTime.now().setZone(ZONE).minus({ days: 3 }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
    const at = (minutes: number) => day.plus({ minutes }).toUTC().toISO()!;
    const res = await importExport(token, {
      buckets: {
        "aw-watcher-window_pc": {
          id: "aw-watcher-window_pc",
          type: "currentwindow",
          hostname: "pc",
          events: [
            { timestamp: at(0), duration: 3600, data: { app: "Code", title: "a.ts" } },
            { timestamp: at(5), duration: -1, data: { app: "Code", title: "b.ts" } },
            { timestamp: "yesterday", duration: 1, data: { app: "Code" } },
          ],
        },
        "aw-watcher-afk_pc": { id: "aw-watcher-afk_pc", type: "afkstatus", hostname: "pc", events: [{ timestamp: at(0), duration: 3600, data: { status: "not-afk" } }] },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([
      { bucket: "aw-watcher-window_pc", index: 1, reason: "duration must be a number of seconds, not negative" },
      { bucket: "aw-watcher-window_pc", index: 2, reason: "timestamp must be ISO-8601 with an offset" },
    ]);
    const got = await reported(token, day.startOf("day"), 1);
    expect(got).toMatchObject({ sessions: 1, net: 3600, afk: 0, apps: { Code: 3600 } });
  });
});
