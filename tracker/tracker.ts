// The tracker's state: the watchers' buckets, each bucket's newest event (merged as aw-server
// merges heartbeats), and what of it goes to the platform. Closes the session when the watchers
// fall quiet (stopped, or the machine went to sleep) and when the tracker stops. The newest events
// are on disk before a heartbeat is answered, so a crash loses none of what the watchers were told
// was stored.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { disjoint, overlay, type Piece } from "../schema/work/activitywatch.js";
import { browserOfApp, browserOfBucket } from "../schema/work/browsers.js";
import { WINDOW_LIMITS } from "../schema/work/events.js";
import { AfkPrompts } from "./afk-prompts.js";
import { writeDurably } from "./files.js";
import { Forwarder, type Platform } from "./forwarder.js";
import { heartbeat, insertedId, unsentPiece, type AwEvent, type Newest } from "./heartbeats.js";
import { DurableQueue, type PlatformEvent } from "./queue.js";

export interface Bucket {
  id: string;
  type: string;
  client: string;
  hostname: string;
  created: string;
  data: Record<string, unknown>;
}

export interface TrackerOptions {
  dataDir: string;
  platform: Platform;
  /** No heartbeat for this long closes the session at its last activity. */
  idleMs: number;
  /** At most one batch per this interval while heartbeats keep coming. */
  batchMs: number;
  retryMaxMs: number;
  log: (line: string) => void;
}

/** The bucket types whose events the platform records; browser tabs lend their URL to browser windows. */
const FORWARDED: Record<string, "window" | "afk"> = { currentwindow: "window", afkstatus: "afk" };
const isTabs = (bucket: Bucket) => bucket.type.startsWith("web.tab");
/** ActivityWatch's default pulsetime for `flood`. */
const TAB_FLOOD_MS = 5_000;

/** What survives a crash besides the queue: each bucket's newest event and whether a session is open. */
type Tab = Piece<{ url: string }>;

interface SavedState {
  newest: [string, Newest][];
  tabs: [string, Tab[]][];
  latestEnd: number | null;
  lastBeatAt: number;
  active: boolean;
}


export class TrackerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export class Tracker {
  readonly queue: DurableQueue;
  private readonly forwarder: Forwarder;
  private readonly buckets: Map<string, Bucket>;
  private readonly newest: Map<string, Newest>;
  /** Each tab bucket's events since the oldest browser-window stretch not yet sent, oldest first. */
  private readonly tabs: Map<string, Tab[]>;
  private readonly bucketsFile: string;
  private readonly stateFile: string;
  private lastBeatAt = 0;
  private latestEnd = -Infinity;
  private active = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private lastFlushAt = 0;
  private readonly idleTimer: NodeJS.Timeout;
  /** The AFK dialog this tracker serves; asked once a return from AFK has reached the platform. */
  readonly prompts: AfkPrompts;
  /** Where the watchers and the employee find this tracker (set once it listens). */
  pageUrl = "";
  /**
   * An AFK bucket whose return from AFK (its not-afk event) isn't queued yet: the platform ends the
   * AFK period only when that event reaches it, so asking before would find nothing to ask about.
   */
  private returning: string | null = null;
  private backFromAfk = false;

  constructor(private readonly options: TrackerOptions) {
    this.queue = new DurableQueue(join(options.dataDir, "queue.jsonl"));
    this.prompts = new AfkPrompts(options.platform, options.log, () => this.pageUrl);
    this.forwarder = new Forwarder(this.queue, options.platform, options.log, options.retryMaxMs, () => this.askIfBack());
    this.bucketsFile = join(options.dataDir, "buckets.json");
    const saved = existsSync(this.bucketsFile) ? (JSON.parse(readFileSync(this.bucketsFile, "utf8")) as Bucket[]) : [];
    this.buckets = new Map(saved.map((b) => [b.id, b]));
    this.stateFile = join(options.dataDir, "state.json");
    const state = existsSync(this.stateFile) ? (JSON.parse(readFileSync(this.stateFile, "utf8")) as SavedState) : null;
    this.newest = new Map(state?.newest ?? []);
    this.tabs = new Map(state?.tabs ?? []);
    // A session open at a crash goes on, or is closed at its last activity by the first idle check.
    if (state?.active) Object.assign(this, { active: true, lastBeatAt: state.lastBeatAt, latestEnd: state.latestEnd ?? -Infinity });
    this.idleTimer = setInterval(() => this.closeIfIdle(), Math.min(options.idleMs / 4, 5000));
    if (this.queue.size) options.log(`${this.queue.size} events queued from before: sending`);
    this.forwarder.kick();
  }

  listBuckets(): Bucket[] {
    return [...this.buckets.values()];
  }

  bucket(id: string): Bucket {
    const found = this.buckets.get(id);
    if (!found) throw new TrackerError(404, `There's no bucket named ${id}`);
    return found;
  }

  /** False when it already exists (aw-server then answers 304). */
  createBucket(id: string, meta: Partial<Bucket>): boolean {
    if (this.buckets.has(id)) return false;
    const bucket: Bucket = { id, type: String(meta.type ?? "unknown"), client: String(meta.client ?? "unknown"), hostname: String(meta.hostname ?? "unknown"), created: new Date().toISOString(), data: {} };
    this.buckets.set(id, bucket);
    writeDurably(this.bucketsFile, JSON.stringify(this.listBuckets()));
    this.options.log(`bucket ${id} (${bucket.type}, ${bucket.hostname}) created${FORWARDED[bucket.type] ? "" : ": kept here, not sent to the platform"}`);
    return true;
  }

  /** POST /api/0/buckets/<id>/heartbeat: returns the bucket's newest event, as aw-server does. */
  heartbeat(bucketId: string, raw: unknown, pulsetime: number): AwEvent {
    const bucket = this.bucket(bucketId);
    const beat = readEvent(raw);
    // Back from sleep before the idle check ran: the time asleep must not join the session.
    this.closeIfIdle();
    const before = this.newest.get(bucketId) ?? null;
    const { newest, started } = heartbeat(before, beat, pulsetime);
    // The event it replaces as the newest is final: what of it isn't sent yet goes first.
    if (started) this.queuePiece(bucket);
    if (started && FORWARDED[bucket.type] === "afk" && before?.data.status === "afk" && newest.data.status === "not-afk") this.returning = bucketId;
    this.newest.set(bucketId, newest);
    if (isTabs(bucket)) this.noteTab(bucketId, newest, started);
    this.noteActivity(bucket, newest.end);
    this.save();
    return { timestamp: iso(newest.start), duration: (newest.end - newest.start) / 1000, data: newest.data };
  }

  /** POST /api/0/buckets/<id>/events: whole events, sent on as they are. */
  insert(bucketId: string, raw: unknown) {
    const bucket = this.bucket(bucketId);
    const list = Array.isArray(raw) ? raw : [raw];
    const events = list.map((item) => ({ raw: item as AwEvent, ...readEvent(item) }));
    this.closeIfIdle();
    const type = FORWARDED[bucket.type];
    if (type) this.queue.append(events.map((e) => toPlatform(type, insertedId(bucketId, e.raw), e.start, e.end, e.data, 0)));
    for (const e of events) this.noteActivity(bucket, e.end);
    this.save();
    this.forwarder.kick();
  }

  private noteTab(bucketId: string, e: Newest, started: boolean) {
    if (typeof e.data.url !== "string") return;
    const list = this.tabs.get(bucketId) ?? [];
    const last = list.at(-1);
    // As ActivityWatch's flood: a gap of a few seconds between two tabs goes to the one before.
    if (started && last && e.start > last.end && e.start - last.end <= TAB_FLOOD_MS) last.end = e.start;
    if (started || !last) list.push({ start: e.start, end: e.end, data: { url: e.data.url } });
    else last.end = e.end;
    this.tabs.set(bucketId, list);
  }

  private save() {
    const state: SavedState = { newest: [...this.newest], tabs: [...this.tabs], latestEnd: Number.isFinite(this.latestEnd) ? this.latestEnd : null, lastBeatAt: this.lastBeatAt, active: this.active };
    writeDurably(this.stateFile, JSON.stringify(state));
  }

  /** Once everything up to a return from AFK is delivered, the platform knows what to ask. */
  private askIfBack() {
    if (!this.backFromAfk || this.queue.size) return;
    this.backFromAfk = false;
    void this.prompts.announce();
  }

  private noteActivity(bucket: Bucket, end: number) {
    if (!FORWARDED[bucket.type]) return;
    this.lastBeatAt = Date.now();
    this.latestEnd = Math.max(this.latestEnd, end);
    if (!this.active) this.options.log("watchers reporting: tracking");
    this.active = true;
    this.flushSoon();
  }

  private flushSoon() {
    if (this.flushTimer) return;
    const delay = Math.max(0, this.lastFlushAt + this.options.batchMs - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush();
      this.forwarder.kick();
    }, delay);
  }

  /** Queues the unsent growth of every bucket's newest event. */
  private flush() {
    this.lastFlushAt = Date.now();
    for (const bucket of this.buckets.values()) this.queuePiece(bucket);
    this.forgetSentTabs();
    this.save();
  }

  /** Tab events that ended before every browser-window stretch still to be sent are of no more use. */
  private forgetSentTabs() {
    const windows = this.listBuckets().filter((b) => FORWARDED[b.type] === "window");
    const oldestUnsent = Math.min(...windows.map((b) => this.newest.get(b.id)).map((e) => (e ? (e.sentUntil ?? e.start) : Infinity)));
    for (const [id, list] of this.tabs) this.tabs.set(id, list.filter((t, i) => t.end >= oldestUnsent || i === list.length - 1));
  }

  private queuePiece(bucket: Bucket) {
    const type = FORWARDED[bucket.type];
    const e = this.newest.get(bucket.id);
    const piece = e && type && unsentPiece(bucket.id, e);
    if (!e || !piece) return;
    const parts = type === "window" ? this.withUrls({ ...piece, data: e.data }) : [{ ...piece, data: e.data }];
    this.queue.append(parts.map((p, i) => toPlatform(type, parts.length > 1 ? `${piece.id}/${i}` : piece.id, p.start, p.end, p.data, e.pulsetime)));
    e.sentUntil = piece.end;
    if (bucket.id === this.returning) [this.returning, this.backFromAfk] = [null, true];
  }

  /**
   * A browser window's stretch split by its browser's tab events (aw-watcher-web), each part with
   * the URL of the tab then shown, as an import does; a tab watcher that names no browser serves any.
   */
  private withUrls(stretch: Piece): Piece[] {
    const browser = typeof stretch.data.app === "string" ? browserOfApp(stretch.data.app) : null;
    if (!browser) return [stretch];
    const tabBuckets = this.listBuckets().filter(isTabs);
    const own = tabBuckets.filter((b) => browserOfBucket(b.id) === browser);
    const from = own.length ? own : tabBuckets.filter((b) => browserOfBucket(b.id) === "any");
    const tabs = disjoint(from.flatMap((b) => this.tabs.get(b.id) ?? []));
    // A heartbeat's first instant has no length to split: it takes the tab shown then.
    if (stretch.end === stretch.start) {
      const shown = tabs.find((t) => t.start <= stretch.start && stretch.start <= t.end);
      return [shown ? { ...stretch, data: { ...stretch.data, url: shown.data.url } } : stretch];
    }
    return overlay([stretch], tabs, (window, tab) => ({ ...window, url: tab.url }), true);
  }

  private closeIfIdle() {
    if (this.active && Date.now() - this.lastBeatAt > this.options.idleMs) this.close(`watchers quiet for ${Math.round(this.options.idleMs / 1000)} s`);
  }

  /** Ends the session at its last activity; the next heartbeat starts a new one. */
  private close(why: string) {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flush();
    this.newest.clear();
    this.queue.append([{ id: `close/${this.latestEnd}`, type: "close", timestamp: iso(this.latestEnd) }]);
    this.active = false;
    this.save();
    this.options.log(`${why}: session closed at ${iso(this.latestEnd)}`);
    this.forwarder.kick();
  }

  /** SIGTERM/SIGINT: close the session, then try for a while to deliver what is queued. */
  async stop(graceMs: number) {
    clearInterval(this.idleTimer);
    if (this.active) this.close("stopping");
    else if (this.flushTimer) (clearTimeout(this.flushTimer), this.flush());
    const delivered = await this.forwarder.drain(graceMs);
    if (!delivered) this.options.log(`${this.queue.size} events stay queued for the next start`);
  }
}

function readEvent(raw: unknown): { start: number; end: number; data: Record<string, unknown> } {
  const e = (raw ?? {}) as Partial<AwEvent>;
  const start = typeof e.timestamp === "string" ? Date.parse(e.timestamp) : NaN;
  if (Number.isNaN(start)) throw new TrackerError(400, "timestamp must be an ISO-8601 date-time");
  const duration = e.duration ?? 0;
  if (typeof duration !== "number" || !Number.isFinite(duration) || duration < 0) throw new TrackerError(400, "duration must be a number of seconds, not negative");
  if (typeof e.data !== "object" || e.data === null || Array.isArray(e.data)) throw new TrackerError(400, "data must be an object");
  return { start, end: start + Math.round(duration * 1000), data: e.data };
}

/** The platform's event for a stretch of a window or AFK event; over-long text is cut, not lost. */
function toPlatform(type: "window" | "afk", id: string, start: number, end: number, data: Record<string, unknown>, pulsetime: number): PlatformEvent {
  const base = { id, type, timestamp: iso(start), duration: (end - start) / 1000 };
  if (type === "afk") return { ...base, data: { status: data.status } };
  const cut = (v: unknown, max: number) => (typeof v === "string" ? v.slice(0, max) : undefined);
  const window = { app: cut(data.app, WINDOW_LIMITS.app) || "unknown", title: cut(data.title, WINDOW_LIMITS.title) ?? "", url: cut(data.url, WINDOW_LIMITS.url) };
  return { ...base, pulsetime, data: window };
}
