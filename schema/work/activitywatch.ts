// ActivityWatch exports (aw-buckets-export.json) read the way ActivityWatch itself counts active
// time, then turned into the desktop app's own events, so an import backfills sessions through
// exactly the same recording rules as live tracking. Pure: no I/O, tested directly.
//
// ActivityWatch's default "active time": window events and AFK status are each flooded (gaps of up
// to five seconds go to a neighbour), and window time counts only where a not-AFK period covers it.
// Hosts don't count twice (where two overlap, the first by name wins), and a browser window takes
// the URL of its own browser's tab events where they overlap it. Time with no watcher reporting
// for longer than the inactivity timeout ends a session; any other time in a session that isn't
// active (AFK, or not AFK yet no window) becomes an AFK period, so net time is exactly active time.
import { browserOfApp, browserOfBucket } from "./browsers.js";
import { WINDOW_LIMITS, type WorkEvent } from "./events.js";

type Data = Record<string, unknown>;

/** A half-open stretch of time in milliseconds, with what an event said about it. */
export interface Piece<T = Data> {
  start: number;
  end: number;
  data: T;
}

type Span = Omit<Piece, "data">;

export interface ImportRejection {
  bucket: string;
  index: number;
  reason: string;
}

/** Neighbouring events closer than this are made to touch (aw-core's default pulsetime). */
const FLOOD_MS = 5_000;
/** Overlaps shorter than this are clock noise and trimmed like gaps. */
const NOISE_MS = 100;

/**
 * ActivityWatch's `flood`: walking neighbours by start, a gap of up to five seconds is filled by the
 * longer of the two, which swallows the other when their data is equal; overlapping neighbours with
 * equal data become one. Later pairs see what earlier ones changed, as in ActivityWatch.
 */
export function flood<T>(events: readonly Piece<T>[], key: (data: T) => string): Piece<T>[] {
  const list = events.map((e) => ({ ...e, key: key(e.data) })).sort((a, b) => a.start - b.start);
  for (let i = 0; i + 1 < list.length; i++) {
    const a = list[i];
    const b = list[i + 1];
    const gap = b.start - a.end;
    const same = a.key === b.key;
    if (gap === 0) continue;
    if (gap < 0 && same) {
      const end = Math.max(a.end, b.end);
      a.start = Math.min(a.start, b.start);
      a.end = end;
      b.start = end;
      b.end = end;
    } else if (gap > -NOISE_MS && gap <= FLOOD_MS) {
      const aLonger = a.end - a.start >= b.end - b.start;
      if (aLonger && same) [a.end, b.start] = [b.end, b.end];
      else if (aLonger) a.end = b.start;
      else if (same) [b.start, a.end] = [a.start, a.start];
      else b.start = a.end;
    }
  }
  return list.filter((e) => e.end > e.start).map(({ key: _key, ...e }) => e);
}

/** Sorted spans merged where they overlap or touch. */
export function union(spans: readonly Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ start: s.start, end: s.end });
  }
  return out;
}

/** By start, each piece cut to begin where the one before ends: the earlier event keeps the overlap. */
export function disjoint<T>(pieces: readonly Piece<T>[]): Piece<T>[] {
  const out: Piece<T>[] = [];
  let reach = -Infinity;
  for (const p of [...pieces].sort((a, b) => a.start - b.start)) {
    const start = Math.max(p.start, reach);
    if (start < p.end) out.push({ ...p, start });
    reach = Math.max(reach, p.end);
  }
  return out;
}

/**
 * Pieces (sorted, disjoint) split against sorted disjoint periods: the parts inside a period, with
 * `inside` deciding their data, and, with `keepOutside`, the parts no period covers. One pass.
 */
export function overlay<T, U>(pieces: readonly Piece<T>[], periods: readonly Piece<U>[], inside: ((p: T, q: U) => T) | null, keepOutside: boolean): Piece<T>[] {
  const out: Piece<T>[] = [];
  let j = 0;
  for (const p of pieces) {
    while (j < periods.length && periods[j].end <= p.start) j++;
    let at = p.start;
    for (let k = j; k < periods.length && periods[k].start < p.end; k++) {
      const q = periods[k];
      if (keepOutside && q.start > at) out.push({ ...p, start: at, end: q.start });
      const start = Math.max(at, q.start);
      const end = Math.min(p.end, q.end);
      if (inside && start < end) out.push({ start, end, data: inside(p.data, q.data) });
      at = Math.max(at, end);
    }
    if (keepOutside && at < p.end) out.push({ ...p, start: at, end: p.end });
  }
  return out;
}

const asPeriods = (spans: readonly Span[]): Piece<null>[] => spans.map((s) => ({ ...s, data: null }));


interface Bucket {
  id: string;
  type: string;
  host: string;
  events: Piece[];
}

const OFFSET = /([zZ]|[+-]\d\d:?\d\d)$/;

function readEvent(raw: unknown, type: string): Piece | string {
  if (typeof raw !== "object" || raw === null) return "not an object";
  const e = raw as { timestamp?: unknown; duration?: unknown; data?: unknown };
  const start = typeof e.timestamp === "string" && OFFSET.test(e.timestamp) ? Date.parse(e.timestamp) : NaN;
  if (!Number.isFinite(start)) return "timestamp must be ISO-8601 with an offset";
  const duration = e.duration ?? 0;
  if (typeof duration !== "number" || !Number.isFinite(duration) || duration < 0) return "duration must be a number of seconds, not negative";
  if (typeof e.data !== "object" || e.data === null) return "data must be an object";
  const data = e.data as Data;
  if (type === "currentwindow" && (typeof data.app !== "string" || !data.app)) return "data.app is required";
  if (type === "afkstatus" && data.status !== "afk" && data.status !== "not-afk") return 'data.status must be "afk" or "not-afk"';
  if (type.startsWith("web.tab") && (typeof data.url !== "string" || !data.url)) return "data.url is required";
  return { start, end: start + duration * 1000, data };
}

const KINDS = ["currentwindow", "afkstatus"];
const isTabs = (type: string) => type.startsWith("web.tab");

/** The window, AFK and browser buckets of an export, each event read or rejected with its reason. */
function readBuckets(exported: unknown): { buckets: Bucket[]; count: number; rejected: ImportRejection[] } | null {
  const raw = (exported as { buckets?: unknown })?.buckets;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const entries = Object.entries(raw as Record<string, { type?: unknown; hostname?: unknown; events?: unknown }>);
  const rejected: ImportRejection[] = [];
  const buckets: Bucket[] = [];
  for (const [id, b] of entries) {
    const type = typeof b?.type === "string" ? b.type : "";
    if (!KINDS.includes(type) && !isTabs(type)) continue;
    const host = typeof b.hostname === "string" && b.hostname ? b.hostname : id.slice(id.lastIndexOf("_") + 1);
    const events: Piece[] = [];
    (Array.isArray(b.events) ? b.events : []).forEach((e, index) => {
      const read = readEvent(e, type);
      if (typeof read === "string") rejected.push({ bucket: id, index, reason: read });
      else events.push(read);
    });
    buckets.push({ id, type, host, events });
  }
  return { buckets, count: entries.length, rejected };
}

const dataKey = (data: Data) => JSON.stringify(data);
const text = (value: unknown, max: number) => (typeof value === "string" ? value.slice(0, max) : "");

interface AppWindow {
  app: string;
  title: string;
  url: string | null;
}

type Activity = AppWindow & Span;

/** One host's active window time: its flooded windows where its flooded not-AFK periods cover them. */
function hostActivity(buckets: readonly Bucket[]): Piece<AppWindow>[] {
  const windows = disjoint(flood(buckets.filter((b) => b.type === "currentwindow").flatMap((b) => b.events), dataKey)).map((p) => ({
    ...p,
    data: { app: text(p.data.app, WINDOW_LIMITS.app), title: text(p.data.title, WINDOW_LIMITS.title), url: null },
  }));
  const afkBuckets = buckets.filter((b) => b.type === "afkstatus");
  // A host without an AFK watcher (a phone, say) counts its window time as ActivityWatch does: all of it.
  if (!afkBuckets.length) return windows;
  const status = flood(afkBuckets.flatMap((b) => b.events), dataKey);
  const notAfk = union(status.filter((e) => e.data.status === "not-afk"));
  return overlay(windows, asPeriods(notAfk), (p) => p, false);
}

/** Browser windows split by their browser's tabs: the covered parts take the tab's URL. */
function withUrls(activity: Piece<AppWindow>[], tabBuckets: readonly Bucket[]): Piece<AppWindow>[] {
  const tabsByBrowser = groupBy(tabBuckets, (b) => browserOfBucket(b.id));
  const byBrowser = groupBy(activity, (p) => browserOfApp(p.data.app) ?? "");
  return [...byBrowser]
    .flatMap(([browser, pieces]) => {
      if (!browser) return pieces;
      const buckets = tabsByBrowser.get(browser) ?? tabsByBrowser.get("any") ?? [];
      const tabs = disjoint(flood(buckets.flatMap((b) => b.events), dataKey));
      return overlay(pieces, tabs, (p, tab) => ({ ...p, url: text(tab.url, WINDOW_LIMITS.url) }), true);
    })
    .sort((a, b) => a.start - b.start);
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

/** Active time of every host, overlaps going to the first host by name. */
function activeTime(buckets: readonly Bucket[]): Piece<AppWindow>[] {
  const hosts = [...new Set(buckets.filter((b) => KINDS.includes(b.type)).map((b) => b.host))].sort();
  let all: Piece<AppWindow>[] = [];
  for (const host of hosts) {
    const own = hostActivity(buckets.filter((b) => b.host === host && KINDS.includes(b.type)));
    const claimed = asPeriods(union(all));
    all = [...all, ...overlay(own, claimed, null, true)].sort((a, b) => a.start - b.start);
  }
  return withUrls(all, buckets.filter((b) => isTabs(b.type)));
}

/** Whole seconds, as the API counts: shared boundaries round alike, so nothing overlaps or is lost. */
function toSeconds(pieces: readonly Piece<AppWindow>[]): Activity[] {
  const out: Activity[] = [];
  for (const p of pieces) {
    const start = Math.round(p.start / 1000) * 1000;
    const end = Math.round(p.end / 1000) * 1000;
    if (start < end) out.push({ ...p.data, start, end });
  }
  return out;
}

/** The longest stretch of [from, to) no span covers; `cursor` moves forward over sorted spans. */
function longestUncovered(from: number, to: number, covered: readonly Span[], cursor: { i: number }): number {
  while (cursor.i < covered.length && covered[cursor.i].end <= from) cursor.i++;
  let longest = 0;
  let at = from;
  for (let k = cursor.i; k < covered.length && covered[k].start < to; k++) {
    longest = Math.max(longest, covered[k].start - at);
    at = Math.max(at, covered[k].end);
  }
  return Math.max(longest, to - at);
}

/**
 * The desktop app's events for an export: one window event per stretch of active time and, between
 * stretches of one session, an AFK period. Ids come from the instants, so importing again (or an
 * export of the same data twice) changes nothing.
 */
export function eventsFromExport(exported: unknown, inactivityMs: number): { events: WorkEvent[]; buckets: number; rejected: ImportRejection[] } | null {
  const read = readBuckets(exported);
  if (!read) return null;
  const activity = toSeconds(activeTime(read.buckets));
  // Any watcher reporting, AFK included, keeps a session going, as in live tracking.
  const covered = union(read.buckets.flatMap((b) => flood(b.events, dataKey)));
  const cursor = { i: 0 };
  const events: WorkEvent[] = [];
  activity.forEach((a, i) => {
    const before = activity[i - 1];
    if (before && before.end < a.start && longestUncovered(before.end, a.start, covered, cursor) <= inactivityMs) {
      events.push({ id: `aw:away:${before.end}`, type: "afk", timestamp: new Date(before.end), duration: (a.start - before.end) / 1000, status: "afk" });
      events.push({ id: `aw:back:${a.start}`, type: "afk", timestamp: new Date(a.start), duration: 0, status: "not-afk" });
    }
    const data = { app: a.app, title: a.title, url: a.url };
    events.push({ id: `aw:window:${a.start}`, type: "window", timestamp: new Date(a.start), duration: (a.end - a.start) / 1000, pulsetime: 0, data });
  });
  return { events, buckets: read.count, rejected: read.rejected };
}
