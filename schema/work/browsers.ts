// Which browser a window belongs to, and which browser a tab watcher's bucket reports for: how a
// browser window finds its URL in the browser extension's tab events (imports and the tracker).
/** Browsers by the names their watcher buckets carry, and how their window's app is named. */
const BROWSERS: [string, RegExp][] = [
  ["chrome", /^(google[-_ ]?chrome|chrome|chromium)/i],
  ["firefox", /firefox|librewolf|waterfox|nightly/i],
  ["edge", /^(microsoft[-_ ]?edge|msedge)/i],
  ["brave", /brave/i],
  ["opera", /opera/i],
  ["vivaldi", /vivaldi/i],
  ["arc", /^arc(\.exe)?$/i],
  ["safari", /safari/i],
];
export const browserOfApp = (app: string) => BROWSERS.find(([, pattern]) => pattern.test(app))?.[0] ?? null;
export const browserOfBucket = (id: string) => BROWSERS.find(([name]) => id.toLowerCase().includes(name))?.[0] ?? "any";
