// Parsing of the desktop app's event batches: every bad event is reported with its reason.
import { DateTime } from "luxon";
import { instantInRange, stringProblem } from "../common/input-limits.js";
import { parseTimestamp } from "../common/time.js";
import type { WindowData } from "./rules.js";

export type WorkEvent =
  | { id: string; type: "window"; timestamp: Date; duration: number; pulsetime: number; data: WindowData }
  | { id: string; type: "afk"; timestamp: Date; duration: number; status: "afk" | "not-afk" }
  | { id: string; type: "close"; timestamp: Date };

/** The longest app name, window title and URL a window event keeps. */
export const WINDOW_LIMITS = { app: 200, title: 1000, url: 2000 } as const;

export interface Rejection {
  index: number;
  id: string | null;
  reason: string;
}

const FUTURE_SLACK_MS = 60_000;

function text(value: unknown, max: number, optional = false): string | null | undefined {
  if (value == null && optional) return null;
  return typeof value === "string" && value.length <= max && (optional || value.length > 0) && !stringProblem(value, "") ? value : undefined;
}

/**
 * The ISO-8601 forms the common pattern leaves out (basic format, offsets without a colon, week and
 * ordinal dates...), which desktop apps may send: the full parser, too slow for every heartbeat.
 */
function otherIsoForm(text: string): Date | null {
  const at = DateTime.fromISO(text, { setZone: true });
  return at.isValid && /([zZ]|[+-]\d\d:?\d\d)$/.test(text) ? at.toJSDate() : null;
}

/** An instant the desktop app sent: ISO-8601 with an offset, the common form read fast; null otherwise. */
export function desktopInstant(text: string): Date | null {
  return parseTimestamp(text) ?? otherIsoForm(text);
}

function parseOne(raw: unknown, now: Date): WorkEvent | string {
  if (typeof raw !== "object" || raw === null) return "not an object";
  const e = raw as Record<string, unknown>;
  const id = text(e.id, 200);
  if (!id) return "id must be a string of 1 to 200 characters, without NUL characters";
  if (typeof e.timestamp !== "string") return "timestamp is required";
  const timestamp = desktopInstant(e.timestamp);
  if (!timestamp) return "timestamp must be ISO-8601 with an offset";
  if (!instantInRange(timestamp)) return "timestamp must be between the years 1900 and 9999";
  if (timestamp.getTime() > now.getTime() + FUTURE_SLACK_MS) return "timestamp is in the future";
  const duration = e.duration ?? 0;
  if (typeof duration !== "number" || !Number.isFinite(duration) || duration < 0 || duration > 86_400) return "duration must be 0 to 86400 seconds";
  // Time not yet lived: it would keep the session running (and counting) ahead of now.
  if (timestamp.getTime() + duration * 1000 > now.getTime() + FUTURE_SLACK_MS) return "timestamp + duration ends in the future";
  const data = (e.data ?? {}) as Record<string, unknown>;
  switch (e.type) {
    case "window": {
      const app = text(data.app, WINDOW_LIMITS.app);
      const title = text(data.title ?? "", WINDOW_LIMITS.title, true);
      const url = text(data.url, WINDOW_LIMITS.url, true);
      if (!app) return `data.app is required: a string of 1 to ${WINDOW_LIMITS.app} characters, without NUL characters`;
      if (title === undefined) return `data.title must be a string of at most ${WINDOW_LIMITS.title} characters, without NUL characters`;
      if (url === undefined) return `data.url must be a string of at most ${WINDOW_LIMITS.url} characters, without NUL characters`;
      const pulsetime = e.pulsetime ?? 60;
      if (typeof pulsetime !== "number" || pulsetime < 0 || pulsetime > 3600) return "pulsetime must be 0 to 3600 seconds";
      return { id, type: "window", timestamp, duration, pulsetime, data: { app, title: title ?? "", url } };
    }
    case "afk":
      if (data.status !== "afk" && data.status !== "not-afk") return 'data.status must be "afk" or "not-afk"';
      return { id, type: "afk", timestamp, duration, status: data.status };
    case "close":
      return { id, type: "close", timestamp };
    default:
      return 'type must be "window", "afk" or "close"';
  }
}

export function parseBatch(raw: unknown, now = new Date()): { events: WorkEvent[]; rejected: Rejection[] } {
  const list = Array.isArray((raw as { events?: unknown })?.events) ? (raw as { events: unknown[] }).events : null;
  if (!list) return { events: [], rejected: [{ index: -1, id: null, reason: 'body must be {"events": [...]}' }] };
  const events: WorkEvent[] = [];
  const rejected: Rejection[] = [];
  list.forEach((item, index) => {
    const parsed = parseOne(item, now);
    if (typeof parsed === "string") {
      const id = typeof (item as { id?: unknown })?.id === "string" ? (item as { id: string }).id : null;
      rejected.push({ index, id, reason: parsed });
    } else events.push(parsed);
  });
  return { events, rejected };
}
