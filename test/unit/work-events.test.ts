import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { instantInRange } from "../../schema/common/input-limits.js";
import { parseBatch } from "../../schema/work/events.js";

const FAR_FUTURE = new Date("9999-12-31T23:59:59Z");

/** What a desktop batch made of a timestamp before its common form was parsed natively: the full ISO parser, with an offset. */
function fullParser(text: string): number | string {
  const at = DateTime.fromISO(text, { setZone: true });
  if (!at.isValid || !/([zZ]|[+-]\d\d:?\d\d)$/.test(text)) return "timestamp must be ISO-8601 with an offset";
  return instantInRange(at.toJSDate()) ? at.toMillis() : "timestamp must be between the years 1900 and 9999";
}

/** The instant a batch reads from `timestamp`, or why it refuses it. */
function read(timestamp: string): number | string {
  const { events, rejected } = parseBatch({ events: [{ id: "e", type: "close", timestamp }] }, FAR_FUTURE);
  return events.length ? events[0].timestamp.getTime() : rejected[0].reason;
}

const digits = (n: number, max: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(n, "0"));

describe("desktop event timestamps", () => {
  it("are read as the full ISO-8601 parser reads them, in every form and at the edges of each field", () => {
    const date = fc.tuple(digits(4, 9999), digits(2, 13), digits(2, 32)).map(([y, m, d]) => `${y}-${m}-${d}`);
    const time = fc.tuple(digits(2, 25), digits(2, 61), fc.option(digits(2, 61)), fc.option(fc.stringMatching(/^[.,]\d{1,12}$/))).map(
      ([h, m, s, fraction]) => `${h}:${m}${s === null ? "" : `:${s}${fraction ?? ""}`}`,
    );
    const offset = fc.oneof(
      fc.constantFrom("Z", "z", "", "+00", "-00:00"),
      fc.tuple(fc.constantFrom("+", "-"), digits(2, 25), fc.constantFrom(":", ""), digits(2, 61)).map((p) => p.join("")),
    );
    const timestamp = fc.tuple(date, fc.constantFrom("T", "t", " "), time, offset).map((p) => p.join(""));
    fc.assert(
      fc.property(timestamp, (text) => {
        expect(read(text), text).toBe(fullParser(text));
      }),
      { numRuns: 5000 },
    );
  });

  it("take the other ISO-8601 forms a desktop app may send", () => {
    for (const text of ["20261120T093000Z", "2026-11-20T09:30:00+0100", "2026-W47-5T09:30Z", "2026-324T09:30:00.5Z", "2026-11-20T09:30:00.123456+00:00"])
      expect(read(text), text).toBe(fullParser(text));
    expect(read("2026-11-20T09:30:00")).toBe("timestamp must be ISO-8601 with an offset");
    expect(read("2026-02-30T09:30:00Z")).toBe("timestamp must be ISO-8601 with an offset");
  });
});
