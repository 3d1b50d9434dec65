// The HTTP faces of the Segment-spec and PostHog capture APIs, so the SDKs product teams already run
// can send to us unchanged: each request is decoded the way those SDKs encode it, translated
// (schema/analytics/sdks.ts) and taken in exactly as a POST /api/events batch.
import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import { fromPostHog, fromSegment, instant, POSTHOG_FIELDS, postHogKey, SEGMENT_CALLS, SEGMENT_FIELDS, segmentWriteKey, validateTranslated, type SegmentCall, type Translated } from "../schema/analytics/sdks.js";
import { MAX_EVENTS_BODY_BYTES, type AnalyticsIntake } from "./analytics-events.js";
import { json } from "./http.js";
import { BadRequestError, endpoint, readBody, UnauthenticatedError } from "./rest.js";

/** The body, unzipped when the SDK gzipped it (by header, by PostHog's `compression` parameter, or by its magic bytes). */
async function readSdkBody(req: IncomingMessage, compression: string | null): Promise<Buffer> {
  const body = await readBody(req, MAX_EVENTS_BODY_BYTES);
  const gzipped = req.headers["content-encoding"] === "gzip" || compression?.startsWith("gzip") || (body[0] === 0x1f && body[1] === 0x8b);
  if (!gzipped) return body;
  try {
    // Bounded: a small compressed body must not unpack into gigabytes.
    return gunzipSync(body, { maxOutputLength: MAX_EVENTS_BODY_BYTES });
  } catch {
    throw new BadRequestError("Body is not valid gzip, or unpacks to over the size limit");
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError("Malformed JSON");
  }
}

/** posthog-js may post `data=<JSON>` as a form, the JSON base64-encoded (UTF-8) when `compression=base64`. */
function postHogJson(body: Buffer, req: IncomingMessage, compression: string | null): unknown {
  const text = body.toString("utf8");
  const form = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded") || text.startsWith("data=");
  if (!form) return parseJson(text);
  const data = new URLSearchParams(text).get("data") ?? "";
  const base64 = compression === "base64" || !/^\s*[[{]/.test(data);
  return parseJson(base64 ? Buffer.from(data, "base64").toString("utf8") : data);
}

/** Browser SDKs post from the app's own origin; the write key, not a cookie, is the credential, so any origin may. */
function allowBrowsers(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader("access-control-allow-origin", "*");
  if (req.method !== "OPTIONS") return false;
  res.writeHead(204, {
    "access-control-allow-methods": "POST, OPTIONS",
    "access-control-allow-headers": "authorization, content-type, content-encoding",
    "access-control-max-age": "86400",
  });
  res.end();
  return true;
}

interface SdkRequest {
  /** The app's write key as this SDK sends it, and the body's events translated. */
  parse(req: IncomingMessage, url: URL, receivedAt: Date): Promise<{ writeKey: string | null; translated: Translated | null }>;
  fields: Record<string, string>;
  /** What the SDK expects in a success answer, besides our counts. */
  success: Record<string, unknown>;
  /** The bodies it takes, for the answer to one it can't read. */
  shape: string;
  /** Where this SDK's users put the write key, for the answer to a request without a known one. */
  keyHint: string;
}

function sdkRoute(intake: AnalyticsIntake, sdk: SdkRequest) {
  return endpoint(async (req, res) => {
    if (allowBrowsers(req, res)) return;
    if (req.method !== "POST") return json(res, 405, { error: "POST events", code: "VALIDATION" });
    const parsed = await sdk.parse(req, new URL(req.url ?? "/", "http://x"), new Date());
    const app = parsed.writeKey ? await intake.findApp(parsed.writeKey) : null;
    if (!app) throw new UnauthenticatedError(sdk.keyHint);
    if (!parsed.translated) throw new BadRequestError(`Expected ${sdk.shape}`);
    const { events, rejected } = validateTranslated(parsed.translated, sdk.fields);
    const { status, ...answer } = await intake.accept(app, events, rejected.length);
    json(res, status, { ...sdk.success, ...answer, rejected });
  });
}

/** The HTTP Basic user, where Segment-spec SDKs put the write key. */
function basicUser(authorization: string | undefined): string | null {
  const encoded = /^Basic (.+)$/i.exec(authorization ?? "")?.[1];
  const user = encoded ? Buffer.from(encoded, "base64").toString("utf8").split(":")[0] : "";
  return user || null;
}

/**
 * POST /v1/batch, /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/alias, /v1/group: the Segment
 * HTTP tracking API (what Segment's and RudderStack's SDKs send), write key as the Basic user.
 */
export function segmentRoute(intake: AnalyticsIntake) {
  const callOf = (path: string) => path.slice("/v1/".length).replace(/\/$/, "");
  const route = sdkRoute(intake, {
    async parse(req, url, receivedAt) {
      const call = callOf(url.pathname);
      const body = parseJson((await readSdkBody(req, null)).toString("utf8"));
      const translated = fromSegment(body, call === "batch" ? null : (call as SegmentCall), receivedAt);
      return { writeKey: basicUser(req.headers.authorization) ?? segmentWriteKey(body), translated };
    },
    fields: SEGMENT_FIELDS,
    success: { success: true },
    shape: 'a message object, or {"batch": [...]} on /v1/batch',
    keyHint: "Send the app's write key as the HTTP Basic user",
  });
  return async (req: IncomingMessage, res: ServerResponse) => {
    const call = callOf((req.url ?? "").split("?")[0]);
    if (call !== "batch" && !SEGMENT_CALLS.includes(call as SegmentCall)) return json(res, 404, { error: `No such call: /v1/${call}`, code: "NOT_FOUND" });
    return route(req, res);
  };
}

/** POST /batch/, /capture/, /e/: PostHog's capture API (JSON, gzip, or the browser SDK's `data=` form), `api_key` in the body. */
export function postHogRoute(intake: AnalyticsIntake) {
  return sdkRoute(intake, {
    async parse(req, url, receivedAt) {
      const compression = url.searchParams.get("compression");
      const body = postHogJson(await readSdkBody(req, compression), req, compression);
      // posthog-js puts its send time in the `_` parameter (epoch milliseconds).
      const sent = url.searchParams.get("_");
      const translated = fromPostHog(body, sent ? instant(Number(sent)) : null, receivedAt);
      return { writeKey: postHogKey(body), translated };
    },
    fields: POSTHOG_FIELDS,
    success: { status: 1 },
    shape: '{"batch": [...]}, an array of events, or one event',
    keyHint: "Send the project's write key as api_key",
  });
}
