import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { calendarFeed, transitions, vtimezone } from "../../schema/appointments/ical.js";

const span = { from: new Date("2026-01-01T00:00:00Z"), to: new Date("2027-01-01T00:00:00Z") };

describe("iCalendar feeds", () => {
  it("finds a zone's transitions to the minute", () => {
    expect(transitions("America/New_York", span.from, span.to)).toEqual([
      { at: new Date("2026-03-08T07:00:00Z"), before: -300, after: -240 },
      { at: new Date("2026-11-01T06:00:00Z"), before: -240, after: -300 },
    ]);
    expect(transitions("Asia/Kathmandu", span.from, span.to)).toEqual([]);
    expect(vtimezone("Asia/Kathmandu", span.from, span.to)).toContain("TZOFFSETTO:+0545");
  });

  it("finds transitions exactly whatever second the span starts at, half-hour zones included", () => {
    // A feed's span starts at "now − N days": any second and millisecond.
    const from = new Date("2026-01-01T12:34:37.123Z");
    const to = new Date("2027-01-01T12:34:37.123Z");
    expect(transitions("Europe/Berlin", from, to).map((t) => t.at)).toEqual([new Date("2026-03-29T01:00:00Z"), new Date("2026-10-25T01:00:00Z")]);
    expect(vtimezone("Europe/Berlin", from, to).filter((line) => line.startsWith("DTSTART"))).toEqual(["DTSTART:20260329T020000", "DTSTART:20261025T030000"]);
    // Adelaide moves between +09:30 and +10:30 at 16:30 UTC; Lord Howe by half an hour.
    expect(transitions("Australia/Adelaide", from, to).map((t) => t.at)).toEqual([new Date("2026-04-04T16:30:00Z"), new Date("2026-10-03T16:30:00Z")]);
    expect(vtimezone("Australia/Lord_Howe", from, to).filter((line) => line.startsWith("DTSTART"))).toEqual(["DTSTART:20260405T020000", "DTSTART:20261004T020000"]);
  });

  it("escapes text, folds long lines at 75 octets and round-trips through a parser", () => {
    const name = "Ünïcödé, long; session \\ with a name that certainly needs folding because it is long";
    const text = calendarFeed({
      name: "Feed",
      zone: "America/New_York",
      host: "test",
      span,
      events: [{ id: "a1", name, client: "J. D.", staff: "Sam", status: "scheduled", startsAt: new Date("2026-11-01T05:30:00Z"), endsAt: new Date("2026-11-01T06:30:00Z"), sequence: 4, updatedAt: new Date() }],
    });
    for (const line of text.split("\r\n")) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    const calendar = new ICAL.Component(ICAL.parse(text));
    ICAL.TimezoneService.register(calendar.getFirstSubcomponent("vtimezone")!);
    const event = new ICAL.Event(calendar.getFirstSubcomponent("vevent")!);
    expect(event.summary).toBe(`${name} - J. D.`);
    // 01:30 happens twice the night clocks go back: such times go out in UTC, so no parser can pick the wrong one.
    expect(event.startDate.toJSDate().toISOString()).toBe("2026-11-01T05:30:00.000Z");
    expect(event.endDate.toJSDate().toISOString()).toBe("2026-11-01T06:30:00.000Z");
  });
});
