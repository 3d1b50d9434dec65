// ActivityWatch exports (aw-buckets-export.json) turned into the desktop app's own events, so an
// import backfills sessions through exactly the same rules as live recording.

interface AwEvent {
  timestamp: string;
  duration: number;
  data: Record<string, unknown>;
}

interface AwBucket {
  id?: string;
  type?: string;
  events?: AwEvent[];
}

/** Window events of these apps take their URL from the browser watcher's buckets. */
const BROWSER = /firefox|chrom|safari|edge|brave|opera|vivaldi|arc/i;

/** The raw events (as the batch endpoint takes them) for every window, AFK and web bucket. */
export function eventsFromExport(exported: unknown): { events: unknown[]; buckets: number } {
  const buckets = Object.entries(((exported as { buckets?: Record<string, AwBucket> })?.buckets ?? {}) as Record<string, AwBucket>);
  const web = buckets.filter(([, b]) => b.type?.startsWith("web.tab")).flatMap(([, b]) => b.events ?? []);
  // Browser windows get the URL of the tab that was current when they started.
  const urlAt = (timestamp: string) => {
    const at = Date.parse(timestamp);
    const tab = web.find((e) => Date.parse(e.timestamp) <= at && at < Date.parse(e.timestamp) + e.duration * 1000);
    return typeof tab?.data.url === "string" ? tab.data.url : null;
  };
  const events: unknown[] = [];
  for (const [name, bucket] of buckets) {
    for (const e of bucket.events ?? []) {
      const id = `aw:${name}:${e.timestamp}`;
      const duration = Math.round(Number(e.duration) || 0);
      if (bucket.type === "currentwindow") {
        // Exported events are already merged heartbeats: no pulsetime, each stands on its own.
        const url = BROWSER.test(String(e.data.app)) ? urlAt(e.timestamp) : null;
        events.push({ id, type: "window", timestamp: e.timestamp, duration, pulsetime: 0, data: { app: e.data.app, title: e.data.title ?? "", url } });
      } else if (bucket.type === "afkstatus") {
        events.push({ id, type: "afk", timestamp: e.timestamp, duration, data: { status: e.data.status } });
        if (e.data.status === "afk") {
          const back = new Date(Date.parse(e.timestamp) + duration * 1000).toISOString();
          events.push({ id: `${id}:back`, type: "afk", timestamp: back, duration: 0, data: { status: "not-afk" } });
        }
      }
    }
  }
  return { events, buckets: buckets.length };
}
