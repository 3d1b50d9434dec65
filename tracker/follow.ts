// Sync mode: instead of standing in for aw-server, the tracker follows one already running (aw-qt's,
// say) and sends what its watchers store there. Each poll lists the buckets and reads each window,
// AFK and browser-tab bucket's events from the newest one it has seen (which aw-server keeps
// growing), feeding new and grown events through the same merge as heartbeats; where it is in
// each bucket is kept on disk, so a restart neither skips nor repeats anything.
import { existsSync, readFileSync } from "node:fs";
import type { AwEvent } from "./heartbeats.js";
import { writeDurably } from "./files.js";
import type { Bucket, Tracker } from "./tracker.js";

const FOLLOWED = (type: string) => type === "currentwindow" || type === "afkstatus" || type.startsWith("web.tab");

/** Per bucket: the newest event fed so far, by its start and end (epoch ms). */
type Cursors = Record<string, { start: number; end: number }>;

export interface FollowOptions {
  /** aw-server's address, e.g. http://127.0.0.1:5600. */
  awUrl: string;
  stateFile: string;
  /** Where to begin in a bucket seen for the first time (epoch ms). */
  since: number;
  log: (line: string) => void;
}

export class Follower {
  private readonly cursors: Cursors;
  private reachable: boolean | null = null;

  constructor(
    private readonly tracker: Tracker,
    private readonly options: FollowOptions,
  ) {
    this.cursors = existsSync(options.stateFile) ? (JSON.parse(readFileSync(options.stateFile, "utf8")) as Cursors) : {};
  }

  private async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.options.awUrl}${path}`, { signal: AbortSignal.timeout(15_000) });
    if (res.status !== 200) throw new Error(`aw-server answered ${res.status} for ${path}`);
    return (await res.json()) as T;
  }

  /** One pass over aw-server's buckets; false when aw-server couldn't be read (tried again next time). */
  async poll(): Promise<boolean> {
    try {
      const buckets = await this.get<Record<string, Bucket>>("/api/0/buckets/");
      for (const bucket of Object.values(buckets).filter((b) => FOLLOWED(b.type))) {
        this.tracker.createBucket(bucket.id, bucket);
        await this.follow(bucket.id);
      }
      if (this.reachable === false) this.options.log("aw-server reachable again");
      this.reachable = true;
      return true;
    } catch (error) {
      if (this.reachable !== false) this.options.log(`can't read aw-server at ${this.options.awUrl} (${(error as Error).message}); trying again`);
      this.reachable = false;
      return false;
    }
  }

  private async follow(bucketId: string) {
    const cursor = this.cursors[bucketId] ?? { start: this.options.since, end: this.options.since };
    const start = new Date(cursor.start).toISOString();
    const events = await this.get<AwEvent[]>(`/api/0/buckets/${encodeURIComponent(bucketId)}/events?start=${encodeURIComponent(start)}&limit=-1`);
    const fresh = events
      .map((e) => ({ e, start: Date.parse(e.timestamp), end: Date.parse(e.timestamp) + Math.round(e.duration * 1000) }))
      .filter((x) => x.start > cursor.start || (x.start === cursor.start && x.end > cursor.end))
      .sort((a, b) => a.start - b.start);
    if (!fresh.length) return;
    // aw-server's events are already merged: pulsetime 0 extends only the same event read again.
    for (const { e } of fresh) this.tracker.heartbeat(bucketId, e, 0);
    const newest = fresh.at(-1)!;
    this.cursors[bucketId] = { start: newest.start, end: newest.end };
    writeDurably(this.options.stateFile, JSON.stringify(this.cursors));
  }
}
