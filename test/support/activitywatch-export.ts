// ActivityWatch exports (aw-buckets-export.json) shaped like real ones, for the import tests and the
// bench: window, AFK and browser-tab buckets of two hosts, with what real data holds and naive
// imports get wrong (AFK events sharing a timestamp, one AFK inside a longer one, gaps with no
// watcher, not-AFK time with no window event, URLs of thousands of characters, fractional seconds,
// newest events first). Deterministic for a seed.
import { DateTime } from "luxon";

export interface AwEvent {
  timestamp: string;
  duration: number;
  data: Record<string, unknown>;
}

export interface AwBucket {
  id: string;
  type: string;
  client: string;
  hostname: string;
  created: string;
  events: AwEvent[];
}

export interface AwExport {
  buckets: Record<string, AwBucket>;
}

export interface ExportOptions {
  /** The first day (its zone is the employee's). */
  from: DateTime;
  days: number;
  seed?: number;
  /** Minutes without any watcher at midday: longer than the inactivity timeout splits the day. */
  middayGapMinutes?: (day: number) => number;
}

/** mulberry32: a tiny seeded generator, so a failing fixture can be built again. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** As aw-server writes them: microseconds and a numeric offset. */
const stamp = (ms: number) => new Date(ms).toISOString().replace("Z", "000+00:00");

const APPS: Record<string, string[]> = {
  Code: ["main.ts — sessions", "rules.ts — sessions", "README.md — sessions"],
  Terminal: ["npm test", "git log"],
  Slack: ["#general", "#support"],
};
const BROWSER_OF_HOST: Record<string, { app: string; bucket: string }> = {
  desktop: { app: "Google-chrome", bucket: "aw-watcher-web-chrome" },
  laptop: { app: "Firefox", bucket: "aw-watcher-web-firefox" },
};

class Builder {
  buckets: Record<string, AwBucket> = {};
  tabsUntil: Record<string, number> = {};
  constructor(readonly rand: () => number) {}

  between(min: number, max: number) {
    return min + this.rand() * (max - min);
  }

  add(id: string, type: string, hostname: string, start: number, durationMs: number, data: Record<string, unknown>) {
    this.buckets[id] ??= { id, type, client: id.replace(/_.*/, ""), hostname, created: stamp(start), events: [] };
    this.buckets[id].events.push({ timestamp: stamp(start), duration: durationMs / 1000, data });
  }

  /** A machine awake over [from, to): alternating not-AFK and AFK, window events, and browser tabs. */
  machine(host: string, from: number, to: number) {
    this.afk(host, from, to);
    this.windows(host, from, to);
  }

  private afk(host: string, from: number, to: number) {
    const id = `aw-watcher-afk_${host}`;
    let t = from;
    let away = false;
    while (t < to) {
      const length = Math.min(to - t, away ? this.between(2, this.rand() < 0.1 ? 45 : 15) * 60_000 : this.between(8, 50) * 60_000);
      const status = away ? "afk" : "not-afk";
      this.add(id, "afkstatus", host, t, length, { status });
      // The watcher's own shorter copy with the same timestamp (real exports hold dozens a day).
      if (this.rand() < 0.4) this.add(id, "afkstatus", host, t, this.between(0, length / 2), { status });
      // One AFK event inside a longer one.
      if (away && length > 6 * 60_000 && this.rand() < 0.5) this.add(id, "afkstatus", host, t + 60_000, 2 * 60_000, { status: "afk" });
      t += length + this.between(0, 1500);
      away = !away;
    }
  }

  private windows(host: string, from: number, to: number) {
    const browser = BROWSER_OF_HOST[host];
    const names = [...Object.keys(APPS), browser.app];
    let t = from;
    while (t < to) {
      const app = names[Math.floor(this.rand() * names.length)];
      const length = Math.min(to - t, (this.rand() < 0.9 ? this.between(1, 10) : this.between(10, 240)) * 1000);
      if (app === browser.app) this.browserWindow(host, t, length);
      else this.add(`aw-watcher-window_${host}`, "currentwindow", host, t, length, { app, title: APPS[app][Math.floor(this.rand() * APPS[app].length)] });
      // Mostly back to back or nearly (flooded); now and then not AFK yet no window (a locked screen).
      const r = this.rand();
      t += length + (r < 0.9 ? this.between(0, 2000) : r < 0.97 ? this.between(10_000, 90_000) : this.between(120_000, 400_000));
    }
  }

  private browserWindow(host: string, start: number, length: number) {
    const browser = BROWSER_OF_HOST[host];
    this.add(`aw-watcher-window_${host}`, "currentwindow", host, start, length, { app: browser.app, title: "Browser" });
    // Tabs start a little before the window is focused (the extension reports regardless) and,
    // now and then, only some seconds after it (no tab known yet); one tab at a time.
    let t = Math.max(this.tabsUntil[browser.bucket] ?? 0, start - (this.rand() < 0.85 ? this.between(0, 20_000) : -this.between(1000, 8000)));
    while (t < start + length) {
      const tab = this.between(3, 120) * 1000;
      const page = Math.floor(this.rand() * 12);
      const long = this.rand() < 0.05;
      const url = long ? `https://search.example.org/?q=${"x".repeat(2500)}&page=${page}` : `https://docs.example.org/page/${page}`;
      this.add(browser.bucket, "web.tab.current", "unknown", t, tab, { url, title: `Page ${page}`, audible: false, incognito: false, tabCount: 3 });
      t += tab + this.between(0, 1000);
    }
    this.tabsUntil[browser.bucket] = t;
  }

  done(): AwExport {
    // aw-server exports each bucket newest first.
    for (const b of Object.values(this.buckets)) b.events.reverse();
    return { buckets: this.buckets };
  }
}

/**
 * Weekdays of work: the laptop in the morning, the desktop after a midday gap with no watcher, the
 * two awake together for a while on some days (the laptop's time counts there).
 */
export function activityWatchExport({ from, days, seed = 1, middayGapMinutes = (d) => (d % 2 ? 8 : 60) }: ExportOptions): AwExport {
  const b = new Builder(random(seed));
  for (let d = 0; d < days; d++) {
    const day = from.plus({ days: d });
    if (day.weekday > 5) continue;
    const start = day.set({ hour: 8, minute: 30 }).toMillis() + b.between(0, 30) * 60_000;
    const morningEnd = start + b.between(3, 3.5) * 3600_000;
    const afternoon = morningEnd + middayGapMinutes(d) * 60_000;
    b.machine("laptop", start, morningEnd);
    if (d % 3 === 0) b.machine("desktop", morningEnd - 10 * 60_000, morningEnd);
    b.machine("desktop", afternoon, afternoon + b.between(3.5, 4.5) * 3600_000);
  }
  return b.done();
}

export const eventCount = (exported: AwExport) => Object.values(exported.buckets).reduce((n, b) => n + b.events.length, 0);
