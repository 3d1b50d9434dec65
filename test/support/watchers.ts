// ActivityWatch's window and AFK watchers replayed over a scripted stretch of time through the
// official aw-client, posting exactly what aw-watcher-window and aw-watcher-afk post: bucket
// creation, then window heartbeats every second (pulsetime 2 s) and AFK pings every 5 s
// (timeout 180 s, pulsetime 185 s, the +1 ms second ping on each change of state); with `tabs`,
// also the browser extension's (aw-watcher-web) active-tab heartbeats every second.
import { AWClient } from "aw-client";

export interface Script {
  /** Epoch milliseconds; the watchers poll from `start` to `end` inclusive. */
  start: number;
  end: number;
  /** The focused window, from second `from` to second `to` after `start` inclusive. */
  windows: { from: number; to: number; app: string; title: string }[];
  /** Seconds after `start` during which the user types (inclusive). */
  input: { from: number; to: number }[];
  /** The browser's active tab, from second `from` to second `to` inclusive (aw-watcher-web-chrome). */
  tabs?: { from: number; to: number; url: string; title: string }[];
}

const WINDOW_POLL_S = 1;
const AFK_POLL_S = 5;
const AFK_TIMEOUT_S = 180;

export const bucketIds = (host: string) => ({ window: `aw-watcher-window_${host}`, afk: `aw-watcher-afk_${host}`, web: "aw-watcher-web-chrome" });
const TAB_PULSETIME_S = 60;

/** aw-watcher-afk's "seconds since last input" at second `t`, as the time of that last input. */
function lastInput(script: Script, t: number): number {
  let last = 0;
  for (const p of script.input) if (p.from <= t) last = Math.max(last, Math.min(t, p.to));
  return last;
}

export async function runWatchers(baseURL: string, host: string, script: Script) {
  const ids = bucketIds(host);
  const windowClient = new AWClient("aw-watcher-window", { baseURL });
  const afkClient = new AWClient("aw-watcher-afk", { baseURL });
  await windowClient.ensureBucket(ids.window, "currentwindow", host);
  await afkClient.ensureBucket(ids.afk, "afkstatus", host);
  const webClient = new AWClient("aw-client-web", { baseURL });
  if (script.tabs) await webClient.ensureBucket(ids.web, "web.tab.current", host);
  const at = (seconds: number) => new Date(script.start + seconds * 1000);
  const ping = (afk: boolean, seconds: number, duration = 0) =>
    afkClient.heartbeat(ids.afk, AFK_TIMEOUT_S + AFK_POLL_S, { timestamp: at(seconds), duration, data: { status: afk ? "afk" : "not-afk" } });
  let afk = false;
  const lastSecond = (script.end - script.start) / 1000;
  // The extension reports the tab before the window watcher reports its window, as it does second by second.
  const tabBeats: Promise<unknown>[] = [];
  for (let t = 0; t <= lastSecond; t += WINDOW_POLL_S) {
    const tab = script.tabs?.find((w) => w.from <= t && t <= w.to);
    if (tab) tabBeats.push(webClient.heartbeat(ids.web, TAB_PULSETIME_S, { timestamp: at(t), duration: 0, data: { url: tab.url, title: tab.title, tabCount: 3 } }));
  }
  await Promise.all(tabBeats);
  // aw-client sends each bucket's heartbeats one after another, in the order given.
  const sends: Promise<unknown>[] = [];
  for (let t = 0; t <= lastSecond; t += WINDOW_POLL_S) {
    const window = script.windows.find((w) => w.from <= t && t <= w.to);
    if (window) sends.push(windowClient.heartbeat(ids.window, WINDOW_POLL_S + 1, { timestamp: at(t), duration: 0, data: { app: window.app, title: window.title } }));
    if (t % AFK_POLL_S === 0) {
      const input = lastInput(script, t);
      const since = t - input;
      if (afk && since < AFK_TIMEOUT_S) {
        sends.push(ping(true, input), ping(false, input + 0.001));
        afk = false;
      } else if (!afk && since >= AFK_TIMEOUT_S) {
        sends.push(ping(false, input), ping(true, input + 0.001, since));
        afk = true;
      } else sends.push(afk ? ping(true, input + 0.001, since) : ping(false, input));
    }
  }
  await Promise.all(sends);
}
