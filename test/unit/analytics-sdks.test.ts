// The translation of Segment-spec and PostHog messages into events, without a server.
import { describe, expect, it } from "vitest";
import { correctedTimestamp, fromPostHog, fromSegment, instant, POSTHOG_FIELDS, postHogKey, SEGMENT_FIELDS, validateTranslated } from "../../schema/analytics/sdks.js";

const now = new Date();
const ago = (minutes: number) => new Date(+now - minutes * 60_000);

describe("clock-skew correction", () => {
  it("moves the device's time by receive time minus the device's send time", () => {
    // The device runs 7 minutes slow: it sent 'just now' by its clock, 7 minutes ago by ours.
    expect(correctedTimestamp(ago(17).toISOString(), ago(7).toISOString(), now)).toBe(ago(10).toISOString());
  });

  it("keeps the time without a send time, takes the receive time without either, and passes a malformed time on to be refused", () => {
    expect(correctedTimestamp(ago(3).toISOString(), undefined, now)).toBe(ago(3).toISOString());
    expect(correctedTimestamp(ago(3).toISOString(), "not a time", now)).toBe(ago(3).toISOString());
    expect(correctedTimestamp(undefined, ago(1).toISOString(), now)).toBe(now.toISOString());
    expect(correctedTimestamp("yesterday", ago(1).toISOString(), now)).toBe("yesterday");
  });
});

describe("Segment-spec messages", () => {
  it("takes messageId as the event id and names calls in PostHog's words, with the page and library from the context", () => {
    const t = fromSegment(
      {
        batch: [
          { type: "page", messageId: "m-1", anonymousId: "a-1", name: "Pricing", properties: { plan: "pro" }, timestamp: ago(2).toISOString() },
          { type: "identify", messageId: "m-2", userId: 42, anonymousId: "a-1", traits: { email: "x@y.test" }, timestamp: ago(1).toISOString() },
        ],
        context: { page: { path: "/pricing", url: "https://shop.test/pricing" }, library: { name: "analytics.js", version: "2.0" }, userAgent: "UA" },
      },
      null,
      now,
    )!;
    const { events, rejected } = validateTranslated(t, SEGMENT_FIELDS, now);
    expect(rejected).toEqual([]);
    expect(events.map((e) => [e.eventId, e.name, e.userKey, e.identified, e.userAgent])).toEqual([
      ["m-1", "$pageview", "a-1", false, "UA"],
      ["m-2", "$identify", "42", true, "UA"],
    ]);
    expect(events[0].properties).toEqual({ plan: "pro", name: "Pricing", $pathname: "/pricing", $current_url: "https://shop.test/pricing", $lib: "analytics.js", $lib_version: "2.0" });
    expect(events[1].properties).toMatchObject({ $set: { email: "x@y.test" }, $anon_distinct_id: "a-1" });
  });

  it("gives a message without an id one from its content, the same for a resend with another send time", () => {
    const message = { userId: "u", event: "clicked", timestamp: ago(1).toISOString() };
    const id = (sentAt: string) => validateTranslated(fromSegment({ ...message, sentAt }, "track", now)!, SEGMENT_FIELDS, now).events[0].eventId;
    expect(id(ago(1).toISOString())).toBe(id(now.toISOString()));
    expect(id(now.toISOString())).toMatch(/^h-[0-9a-f]{64}$/);
  });
});

describe("PostHog events", () => {
  it("finds the key and the distinct id where posthog-js puts them, and an anonymous visitor as such", () => {
    const body = [{ event: "$pageview", uuid: "u-1", timestamp: ago(1).toISOString(), properties: { token: "key-1", distinct_id: "d-1", $is_identified: false, $session_id: "s-1" } }];
    expect(postHogKey(body)).toBe("key-1");
    const { events } = validateTranslated(fromPostHog(body, undefined, now)!, POSTHOG_FIELDS, now);
    expect(events[0]).toMatchObject({ eventId: "u-1", userKey: "d-1", identified: false, clientSessionId: "s-1", properties: { $is_identified: false, $session_id: "s-1" } });
    expect(events[0].properties).not.toHaveProperty("token");
  });

  it("reads `offset` as milliseconds before receipt", () => {
    const { events } = validateTranslated(fromPostHog({ event: "e", distinct_id: "d", offset: 90_000 }, undefined, now)!, POSTHOG_FIELDS, now);
    expect(events[0].timestamp).toEqual(new Date(+now - 90_000));
  });

  it("refuses each bad event by its position in the body, in PostHog's field names", () => {
    const t = fromPostHog(
      { batch: [{ event: "ok", distinct_id: "d" }, 7, { distinct_id: "d", uuid: "x" }, { event: "e", distinct_id: "d", properties: { $session_id: "" } }, { event: "e", distinct_id: "d", properties: "x" }] },
      undefined,
      now,
    )!;
    const { events, rejected } = validateTranslated(t, POSTHOG_FIELDS, now);
    expect(events).toHaveLength(1);
    expect(rejected.map((r) => [r.index, r.reason])).toEqual([
      [1, "must be an object"],
      [2, "event must be a string of 1 to 200 characters"],
      [3, "properties.$session_id must be a string of 1 to 200 characters"],
      [4, "properties must be an object"],
    ]);
  });
});

describe("times that are no times", () => {
  it("refuses an offset or send time out of any calendar instead of failing the batch", () => {
    const t = fromPostHog([{ event: "e", distinct_id: "d", offset: 1e300 }, { event: "e", distinct_id: "d", offset: "soon" }], instant(1e300), now)!;
    const { rejected } = validateTranslated(t, POSTHOG_FIELDS, now);
    expect(rejected.map((r) => r.reason)).toEqual(["timestamp must be ISO-8601 with an offset", "timestamp must be ISO-8601 with an offset"]);
  });
});
