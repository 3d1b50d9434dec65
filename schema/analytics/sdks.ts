// Product teams already run Segment-spec SDKs (Segment, RudderStack) or PostHog's: their messages are
// translated here into the events of POST /api/events, so one validation and one ingestion path serve
// all three. Pure: the HTTP side (auth, decoding, answers) lives in server/analytics-sdks.ts.
import { createHash } from "node:crypto";
import { parseTimestamp } from "../common/time.js";
import { jsonProblem, validateBatch, type AnalyticsEvent, type Rejection } from "./rules.js";

/**
 * Calls that are not tracked events get PostHog's event names, for Segment too: one vocabulary, so
 * a business-event definition (or, later, identity stitching) works whichever SDK sent the call.
 */
export const CALL_EVENT_NAMES = {
  page: "$pageview",
  screen: "$screen",
  identify: "$identify",
  alias: "$create_alias",
  group: "$groupidentify",
} as const;

export type SegmentCall = "track" | keyof typeof CALL_EVENT_NAMES;
export const SEGMENT_CALLS: readonly SegmentCall[] = ["track", "page", "screen", "identify", "alias", "group"];

/** An event as POST /api/events takes it, for the shared validation to check. */
type EventInput = Record<string, unknown>;

/** A message refused before translation (there is no event to validate). */
class Refused {
  constructor(readonly reason: string, readonly eventId: unknown = null) {}
}

/** The translated events and, by each one's position among them, its message's position in the body. */
export interface Translated {
  events: EventInput[];
  indexes: number[];
  refused: Rejection[];
}

/**
 * Each message is checked before it is translated: a message without an id is hashed whole, fields
 * the translation ignores included, and the hash (JSON.stringify) must not meet JSON nested too deep.
 */
function translate<T>(list: T[], one: (item: T) => EventInput | Refused): Translated {
  const out: Translated = { events: [], indexes: [], refused: [] };
  list.forEach((item, index) => {
    const problem = isObject(item) ? jsonProblem(item) : null;
    // The message's id under either SDK's name, for the sender to know which one it was.
    const result = problem ? new Refused(problem, (item as Json).messageId ?? (item as Json).uuid) : one(item);
    if (result instanceof Refused) out.refused.push({ index, eventId: typeof result.eventId === "string" ? result.eventId : null, reason: result.reason });
    else (out.events.push(result), out.indexes.push(index));
  });
  return out;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const object = (v: unknown): Json => (isObject(v) ? v : {});
/** SDKs (and the services they talk to) take numeric ids too; the event model keeps ids as text. */
const id = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? String(v) : v);
const present = (entries: Record<string, unknown>) => Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined && v !== null));

/** Properties merge with what the context says: anything but an object (or none) would be lost silently. */
const propertiesFine = (message: Json) => message.properties == null || isObject(message.properties);

/** Retries resend the same message: without an id of its own, its content stands in for one (the send time aside). */
function contentId(message: Json): string {
  const { sentAt: _sentAt, sent_at: _sent_at, ...content } = message;
  return "h-" + createHash("sha256").update(JSON.stringify(content)).digest("hex");
}

/** Epoch milliseconds as ISO-8601, if they are a time at all (a Date holds ±8.64e15 ms). */
export function instant(ms: number): string | null {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null;
}

/**
 * When the event happened by the server's clock: the device's time of the event moved by how far the
 * device's clock is off, measured as receive time minus the device's send time (Segment's
 * `timestamp + (receivedAt − sentAt)`). A malformed time is passed on for validation to refuse.
 */
export function correctedTimestamp(happened: unknown, sentAt: unknown, receivedAt: Date): unknown {
  if (happened == null) return receivedAt.toISOString();
  const at = parseTimestamp(happened);
  if (!at) return happened;
  const sent = typeof sentAt === "string" ? parseTimestamp(sentAt) : null;
  return new Date(+at + (sent ? +receivedAt - +sent : 0)).toISOString();
}

/** What a page's context says, under PostHog's property names (the same vocabulary as the event names). */
function pageProperties(page: Json) {
  return { $current_url: page.url, $pathname: page.path, $referrer: page.referrer, $title: page.title };
}

function segmentProperties(call: SegmentCall, m: Json): Json {
  const properties = object(m.properties);
  switch (call) {
    case "track":
      return properties;
    case "page":
    case "screen":
      return { ...properties, ...present({ name: m.name, category: m.category }) };
    case "identify":
      return present({ $set: m.traits ?? object(m.context).traits, $anon_distinct_id: m.userId != null ? m.anonymousId : undefined });
    case "alias":
      return present({ alias: m.previousId });
    case "group":
      return present({ $group_key: m.groupId, $group_set: m.traits });
  }
}

/** One Segment-spec message; `call` comes from the path, or from the message's `type` in a batch. */
function fromSegmentMessage(raw: unknown, call: SegmentCall | null, batch: { sentAt: unknown; context: Json }, receivedAt: Date): EventInput | Refused {
  if (!isObject(raw)) return new Refused("must be an object");
  const type = call ?? raw.type;
  if (!SEGMENT_CALLS.includes(type as SegmentCall)) return new Refused(`type must be one of ${SEGMENT_CALLS.join(", ")}`, raw.messageId);
  if (!propertiesFine(raw)) return new Refused("properties must be an object", raw.messageId);
  const context = { ...batch.context, ...object(raw.context) };
  const library = object(context.library);
  const properties = {
    ...segmentProperties(type as SegmentCall, { ...raw, context }),
    ...present({ ...pageProperties(object(context.page)), $lib: library.name, $lib_version: library.version }),
  };
  return {
    eventId: raw.messageId ?? contentId(raw),
    userId: id(raw.userId),
    anonymousId: id(raw.anonymousId),
    // RudderStack's browser SDK keeps its own session id in the context.
    sessionId: id(context.sessionId),
    name: type === "track" ? raw.event : CALL_EVENT_NAMES[type as keyof typeof CALL_EVENT_NAMES],
    timestamp: correctedTimestamp(raw.originalTimestamp ?? raw.timestamp, raw.sentAt ?? batch.sentAt, receivedAt),
    properties,
    userAgent: context.userAgent,
  };
}

/** The events of a Segment-spec body: one message (`call` from the path) or `{batch: [...]}` (call null). */
export function fromSegment(body: unknown, call: SegmentCall | null, receivedAt: Date): Translated | null {
  if (!isObject(body)) return null;
  if (call) return translate([body], (m) => fromSegmentMessage(m, call, { sentAt: body.sentAt, context: {} }, receivedAt));
  if (!Array.isArray(body.batch)) return null;
  const batch = { sentAt: body.sentAt, context: object(body.context) };
  return translate(body.batch, (m) => fromSegmentMessage(m, null, batch, receivedAt));
}

/** The write key a Segment-spec body may carry (the Basic user is the usual place). */
export const segmentWriteKey = (body: unknown) => (isObject(body) && typeof body.writeKey === "string" ? body.writeKey : null);

// Properties that only carry transport (the project key, the id already taken as the user's).
const POSTHOG_TRANSPORT = ["token", "distinct_id", "$distinct_id"];

function fromPostHogEvent(raw: unknown, sentAt: unknown, receivedAt: Date): EventInput | Refused {
  if (!isObject(raw)) return new Refused("must be an object");
  if (!propertiesFine(raw)) return new Refused("properties must be an object", raw.uuid);
  const p = object(raw.properties);
  const distinctId = id(raw.distinct_id ?? p.distinct_id ?? p.$distinct_id);
  // posthog-js says when its distinct id is still the anonymous device id; server SDKs send user ids.
  const anonymous = p.$is_identified === false;
  // `offset` (ms before sending) is what older browser SDKs send instead of a timestamp.
  const timestamp =
    raw.offset != null && raw.timestamp == null ? (instant(+receivedAt - Number(raw.offset)) ?? raw.offset) : correctedTimestamp(raw.timestamp, raw.sent_at ?? sentAt, receivedAt);
  return {
    eventId: raw.uuid ?? contentId(raw),
    userId: anonymous ? null : distinctId,
    anonymousId: anonymous ? distinctId : null,
    sessionId: id(p.$session_id),
    name: raw.event,
    timestamp,
    properties: Object.fromEntries(Object.entries(p).filter(([k]) => !POSTHOG_TRANSPORT.includes(k))),
    userAgent: p.$raw_user_agent ?? p.$user_agent,
  };
}

const postHogList = (body: unknown): unknown[] | null =>
  Array.isArray(body) ? body : isObject(body) && Array.isArray(body.batch) ? body.batch : isObject(body) && "event" in body ? [body] : null;

/** PostHog capture bodies: `{batch: [...]}`, a bare array of events, or one event. */
export function fromPostHog(body: unknown, sentAt: unknown, receivedAt: Date): Translated | null {
  const list = postHogList(body);
  const batchSentAt = object(body).sent_at ?? sentAt;
  return list && translate(list, (e) => fromPostHogEvent(e, batchSentAt, receivedAt));
}

/** The project key of a PostHog body: `api_key` (or `token`) beside the batch, or in its first event (posthog-js: `properties.token`). */
export function postHogKey(body: unknown): string | null {
  const first = object(postHogList(body)?.[0]);
  const key = object(body).api_key ?? object(body).token ?? first.api_key ?? first.token ?? object(first.properties).token;
  return typeof key === "string" ? key : null;
}

/** Each SDK's own name for a field the shared validation names, so its rejections speak the sender's language. */
export const SEGMENT_FIELDS: Record<string, string> = {
  eventId: "messageId",
  name: "event",
  sessionId: "context.sessionId",
  userAgent: "context.userAgent",
  "properties.alias": "previousId",
  "properties.$anon_distinct_id": "anonymousId",
};
export const POSTHOG_FIELDS: Record<string, string> = {
  eventId: "uuid",
  "userId or anonymousId": "distinct_id",
  userId: "distinct_id",
  anonymousId: "distinct_id",
  name: "event",
  sessionId: "properties.$session_id",
  userAgent: "properties.$raw_user_agent",
};

function renameFields(rejected: Rejection[], fields: Record<string, string>): Rejection[] {
  const names = Object.keys(fields).sort((a, b) => b.length - a.length);
  return rejected.map((r) => {
    const field = names.find((n) => r.reason.startsWith(n + " "));
    return field ? { ...r, reason: fields[field] + r.reason.slice(field.length) } : r;
  });
}

/** The shared validation of POST /api/events over translated messages; rejections by position in the SDK's body and in its field names. */
export function validateTranslated(translated: Translated, fields: Record<string, string>, now = new Date()): { events: AnalyticsEvent[]; rejected: Rejection[] } {
  const { events, rejected } = validateBatch({ events: translated.events }, now);
  const placed = rejected.map((r) => (r.index >= 0 ? { ...r, index: translated.indexes[r.index] } : r));
  // Refusals already name the message's own fields.
  return { events, rejected: [...translated.refused, ...renameFields(placed, fields)].sort((a, b) => a.index - b.index) };
}
