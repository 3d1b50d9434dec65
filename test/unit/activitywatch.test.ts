// The pure side of ActivityWatch imports: flooding, and the events an export turns into.
import { describe, expect, it } from "vitest";
import { eventsFromExport, flood, union } from "../../schema/work/activitywatch.js";

const key = (d: { v: string }) => d.v;
const TIMEOUT = 15 * 60_000;
const T0 = Date.parse("2026-06-01T09:00:00Z");
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const ev = (minutes: number, seconds: number, data: Record<string, unknown>) => ({ timestamp: iso(minutes), duration: seconds, data });

function exportOf(windows: unknown[], afk: unknown[], extra: Record<string, unknown> = {}) {
  return {
    buckets: {
      "aw-watcher-window_pc": { id: "aw-watcher-window_pc", type: "currentwindow", hostname: "pc", events: windows },
      "aw-watcher-afk_pc": { id: "aw-watcher-afk_pc", type: "afkstatus", hostname: "pc", events: afk },
      ...extra,
    },
  };
}

/** Active seconds, AFK seconds and session count of what an export turns into. */
function summary(exported: unknown) {
  const { events } = eventsFromExport(exported, TIMEOUT)!;
  const windows = events.filter((e) => e.type === "window");
  const away = events.filter((e) => e.type === "afk" && e.status === "afk");
  return {
    active: windows.reduce((s, e) => s + e.duration, 0),
    afk: away.reduce((s, e) => s + ("duration" in e ? e.duration : 0), 0),
    windows,
  };
}

describe("flood", () => {
  it("gives a short gap to the longer neighbour and merges equal data", () => {
    const out = flood(
      [
        { start: 0, end: 10_000, data: { v: "a" } },
        { start: 13_000, end: 15_000, data: { v: "b" } },
        { start: 16_000, end: 30_000, data: { v: "b" } },
      ],
      key,
    );
    expect(out).toEqual([
      { start: 0, end: 13_000, data: { v: "a" } },
      { start: 13_000, end: 30_000, data: { v: "b" } },
    ]);
  });
  it("leaves gaps over five seconds, and merges overlapping events with equal data", () => {
    expect(flood([{ start: 0, end: 1000, data: { v: "a" } }, { start: 7000, end: 8000, data: { v: "b" } }], key)).toHaveLength(2);
    expect(flood([{ start: 0, end: 60_000, data: { v: "afk" } }, { start: 0, end: 5000, data: { v: "afk" } }], key)).toEqual([{ start: 0, end: 60_000, data: { v: "afk" } }]);
  });
  it("union merges overlapping and touching spans", () => {
    expect(union([{ start: 5, end: 8 }, { start: 0, end: 5 }, { start: 10, end: 12 }])).toEqual([{ start: 0, end: 8 }, { start: 10, end: 12 }]);
  });
});

describe("an export as the desktop app's events", () => {
  const code = { app: "Code", title: "main.ts" };

  it("AFK events sharing a timestamp keep the longest, and one inside a longer one doesn't cut it short", () => {
    const s = summary(
      exportOf(
        [ev(0, 7200, code)],
        [ev(0, 600, { status: "not-afk" }), ev(10, 1800, { status: "afk" }), ev(10, 60, { status: "afk" }), ev(20, 120, { status: "afk" }), ev(40, 4800, { status: "not-afk" })],
      ),
    );
    expect(s.active).toBe(7200 - 1800);
    expect(s.afk).toBe(1800);
  });

  it("not-AFK time with no window event isn't worked; a gap with no watcher splits only past the timeout", () => {
    const s = summary(exportOf([ev(0, 1800, code), ev(40, 1200, code)], [ev(0, 3600, { status: "not-afk" })]));
    expect([s.active, s.afk]).toEqual([3000, 600]);
    // 8 minutes with no watcher at all: one session, the gap as AFK; 60 minutes: two sessions, no AFK between.
    const short = summary(exportOf([ev(0, 600, code), ev(18, 600, code)], [ev(0, 600, { status: "not-afk" }), ev(18, 600, { status: "not-afk" })]));
    expect([short.active, short.afk]).toEqual([1200, 480]);
    const long = summary(exportOf([ev(0, 600, code), ev(70, 600, code)], [ev(0, 600, { status: "not-afk" }), ev(70, 600, { status: "not-afk" })]));
    expect([long.active, long.afk]).toEqual([1200, 0]);
  });

  it("browser windows take their browser's tab URL, long ones cut to 2,000 characters and kept", () => {
    const url = `https://example.org/?q=${"x".repeat(3000)}`;
    const tabs = { "aw-watcher-web-firefox": { id: "aw-watcher-web-firefox", type: "web.tab.current", hostname: "unknown", events: [ev(0, 300, { url, title: "Search" })] } };
    const s = summary(exportOf([ev(0, 600, { app: "Firefox", title: "Search" })], [ev(0, 600, { status: "not-afk" })], tabs));
    expect(s.windows.map((w) => [w.duration, w.type === "window" && w.data.url?.length])).toEqual([
      [300, 2000],
      [300, undefined],
    ]);
  });

  it("two hosts at once count once, the first by name winning", () => {
    const desk = {
      "aw-watcher-window_desk": { id: "aw-watcher-window_desk", type: "currentwindow", hostname: "desk", events: [ev(5, 600, { app: "Slack", title: "#general" })] },
      "aw-watcher-afk_desk": { id: "aw-watcher-afk_desk", type: "afkstatus", hostname: "desk", events: [ev(5, 600, { status: "not-afk" })] },
    };
    const s = summary(exportOf([ev(0, 600, code)], [ev(0, 600, { status: "not-afk" })], desk));
    // "desk" sorts before "pc": Code keeps only the five minutes before Slack.
    expect(s.windows.map((w) => w.type === "window" && [w.data.app, w.duration])).toEqual([
      ["Code", 300],
      ["Slack", 600],
    ]);
  });

  it("gives the same ids for the same export (importing again is a no-op) and rejects bad events by bucket", () => {
    const exported = exportOf([ev(0, 600, code), { timestamp: "noon", duration: 1, data: code }], [ev(0, 600, { status: "maybe" })]);
    const first = eventsFromExport(exported, TIMEOUT)!;
    expect(first.events.map((e) => e.id)).toEqual(eventsFromExport(JSON.parse(JSON.stringify(exported)), TIMEOUT)!.events.map((e) => e.id));
    expect(first.rejected).toEqual([
      { bucket: "aw-watcher-window_pc", index: 1, reason: "timestamp must be ISO-8601 with an offset" },
      { bucket: "aw-watcher-afk_pc", index: 0, reason: 'data.status must be "afk" or "not-afk"' },
    ]);
    expect(eventsFromExport({ events: [] }, TIMEOUT)).toBeNull();
  });
});
