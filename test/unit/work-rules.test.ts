import { describe, expect, it } from "vitest";
import { dateRange } from "../../schema/common/time.js";
import { coalesce, mergeHeartbeat, overlapGroups, unionOf, sessionFor, sessionTotals, splitByDay, localDays, timeline, type SessionBounds } from "../../schema/work/rules.js";

const t = (iso: string) => new Date(iso);

describe("heartbeats (ActivityWatch semantics)", () => {
  const data = { app: "Code", title: "main.ts" };
  it("extend the last event when the data is equal and within pulsetime", () => {
    const first = mergeHeartbeat(null, { timestamp: t("2026-11-20T09:00:00Z"), duration: 0, data }, 60);
    expect(first.merged).toBe(false);
    const second = mergeHeartbeat(first.span, { timestamp: t("2026-11-20T09:00:50Z"), duration: 0, data }, 60);
    expect(second).toMatchObject({ merged: true, span: { start: t("2026-11-20T09:00:00Z"), end: t("2026-11-20T09:00:50Z") } });
  });
  it("start a new event after a gap longer than pulsetime, or for other data", () => {
    const last = { start: t("2026-11-20T09:00:00Z"), end: t("2026-11-20T09:01:00Z"), data };
    expect(mergeHeartbeat(last, { timestamp: t("2026-11-20T09:02:01Z"), duration: 0, data }, 60).merged).toBe(false);
    expect(mergeHeartbeat(last, { timestamp: t("2026-11-20T09:01:10Z"), duration: 0, data: { ...data, title: "other.ts" } }, 60).merged).toBe(false);
  });
});

describe("session assignment", () => {
  const timeout = 15 * 60_000;
  const morning: SessionBounds = { startedAt: t("2026-11-20T08:00:00Z"), endedAt: t("2026-11-20T12:00:00Z"), lastActivityAt: t("2026-11-20T12:00:00Z"), closedByApp: false };
  const afternoon: SessionBounds = { startedAt: t("2026-11-20T13:00:00Z"), endedAt: null, lastActivityAt: t("2026-11-20T15:00:00Z"), closedByApp: false };
  it("puts a late event in the session it falls in or continues", () => {
    expect(sessionFor([morning, afternoon], t("2026-11-20T10:00:00Z"), timeout)).toBe(morning);
    expect(sessionFor([morning, afternoon], t("2026-11-20T12:10:00Z"), timeout)).toBe(morning);
    expect(sessionFor([morning, afternoon], t("2026-11-20T12:50:00Z"), timeout)).toBe(afternoon);
    expect(sessionFor([morning, afternoon], t("2026-11-20T12:30:00Z"), timeout)).toBeNull();
  });
  it("never continues a session the app closed", () => {
    expect(sessionFor([{ ...morning, closedByApp: true }], t("2026-11-20T12:05:00Z"), timeout)).toBeNull();
  });
});

describe("durations", () => {
  const session = { start: t("2026-11-20T09:00:00Z"), end: t("2026-11-20T17:00:00Z") };
  it("net time excludes AFK, split by reason, clipped to the session and never negative", () => {
    const totals = sessionTotals(session, [
      { startedAt: t("2026-11-20T12:00:00Z"), endedAt: t("2026-11-20T12:45:00Z"), reason: "lunch" },
      { startedAt: t("2026-11-20T12:30:00Z"), endedAt: t("2026-11-20T13:00:00Z"), reason: null }, // overlaps lunch
      { startedAt: t("2026-11-20T16:50:00Z"), endedAt: t("2026-11-20T18:00:00Z"), reason: "call" }, // past the end
    ]);
    expect(totals).toEqual({ totalSeconds: 28800, netSeconds: 28800 - 3600 - 600, afkSeconds: 4200, breakSeconds: 0, meetingSeconds: 0, lunchSeconds: 2700, callSeconds: 600, countedAsWorkSeconds: 0 });
    expect(sessionTotals({ start: session.end, end: session.start }, []).netSeconds).toBe(0);
  });

  it("AFK answered as work is net time, counted apart; what another AFK period already covers stays AFK", () => {
    const totals = sessionTotals(session, [
      { startedAt: t("2026-11-20T10:00:00Z"), endedAt: t("2026-11-20T10:30:00Z"), reason: "break" },
      { startedAt: t("2026-11-20T10:20:00Z"), endedAt: t("2026-11-20T11:00:00Z"), reason: "work" }, // 10 minutes under the break
    ]);
    expect(totals).toMatchObject({ afkSeconds: 1800, breakSeconds: 1800, countedAsWorkSeconds: 1800, netSeconds: 28800 - 1800 });
  });
});

describe("calendar days in the workspace time zone", () => {
  it("a session across midnight counts on both days", () => {
    const parts = splitByDay({ start: t("2026-11-20T22:00:00Z"), end: t("2026-11-21T01:00:00Z") }, localDays(dateRange("2026-11-19", "2026-11-22", "Europe/Berlin"), "Europe/Berlin"));
    expect(parts.map((p) => [p.date, (p.span.end.getTime() - p.span.start.getTime()) / 3600_000])).toEqual([["2026-11-20", 1], ["2026-11-21", 2]]);
  });
  it("DST days have 23 and 25 hours", () => {
    const spring = dateRange("2026-03-29", "2026-03-29", "Europe/Berlin");
    const autumn = dateRange("2026-10-25", "2026-10-25", "Europe/Berlin");
    expect((spring.end.getTime() - spring.start.getTime()) / 3600_000).toBe(23);
    expect((autumn.end.getTime() - autumn.start.getTime()) / 3600_000).toBe(25);
    expect(localDays(autumn, "Europe/Berlin")).toEqual([{ date: "2026-10-25", start: autumn.start, end: autumn.end }]);
    expect(splitByDay(autumn, localDays(autumn, "Europe/Berlin"))).toHaveLength(1);
  });
});

import { dailyTotals, hundredthsAddingUp, reportCsv } from "../../schema/work/reports.js";

describe("reports", () => {
  const tz = "Europe/Berlin";
  const month = dateRange("2026-10-01", "2026-10-31", tz);
  const sessions = [
    // Across midnight on the night the clocks go back (25-hour day).
    { userId: "u", startedAt: t("2026-10-24T20:00:00Z"), endedAt: t("2026-10-25T02:00:00Z"), manual: false, afkPeriods: [{ startedAt: t("2026-10-24T21:00:00Z"), endedAt: t("2026-10-24T21:30:00Z"), reason: "break" as const }] },
    { userId: "u", startedAt: t("2026-10-26T08:00:00Z"), endedAt: t("2026-10-26T09:30:00Z"), manual: true, afkPeriods: [] },
    // Starts in September: only its October part counts.
    { userId: "v", startedAt: t("2026-09-30T21:00:00Z"), endedAt: t("2026-09-30T23:00:00Z"), manual: false, afkPeriods: [] },
  ];
  it("splits at local midnights, and the days add up exactly to the month", () => {
    const report = dailyTotals(sessions.filter((s) => s.userId === "u"), month, tz, t("2026-11-21T00:00:00Z"));
    expect(report.days.map((d) => [d.date, d.netSeconds / 60])).toEqual([["2026-10-24", 90], ["2026-10-25", 240], ["2026-10-26", 90]]);
    expect(report.total.netSeconds).toBe(report.days.reduce((s, d) => s + d.netSeconds, 0));
    expect([report.total.breakSeconds, report.total.manualSeconds, report.daysWorked]).toEqual([1800, 5400, 3]);
    expect(reportCsv("Tom", report).split("\n")[4]).toBe("Tom,total,7.00,0.50,0.50,0.00,0.00,0.00,1.50,0.00");
  });
  it("rounds each column's days so that they add up to its total, each within 0.01 of its exact hours", () => {
    // 20 minutes three times; 10, 20 and 50 minutes (remainders .67, .33, .33 of a hundredth); 18 seconds (half a hundredth).
    expect(hundredthsAddingUp([1200, 1200, 1200])).toEqual([34, 33, 33]);
    expect(hundredthsAddingUp([600, 1200, 3000])).toEqual([17, 33, 83]);
    expect(hundredthsAddingUp([18])).toEqual([1]);
    expect(hundredthsAddingUp([])).toEqual([]);
  });
  it("keeps a name a spreadsheet would run as a formula as text", () => {
    const report = dailyTotals(sessions.filter((s) => s.userId === "u"), month, tz, t("2026-11-21T00:00:00Z"));
    expect(reportCsv('=HYPERLINK("x")', report).split("\n")[1]).toMatch(/^"'=HYPERLINK\(""x""\)",2026-10-24,/);
  });
});

describe("duplicate sessions", () => {
  const span = (id: string, start: string, end: string | null) => ({ id, startedAt: t(`2026-11-20T${start}Z`), endedAt: end ? t(`2026-11-20T${end}Z`) : null });
  const ids = (groups: { id: string }[][]) => groups.map((g) => g.map((s) => s.id));

  it("chains overlapping sessions into groups, leaving back-to-back and lone ones alone", () => {
    const sessions = [
      span("c", "10:30:00", "12:00:00"),
      span("a", "09:00:00", "10:00:00"),
      span("b", "09:30:00", "11:00:00"), // overlaps a, and c through its end
      span("d", "12:00:00", "13:00:00"), // touches c: not a duplicate
      span("e", "14:00:00", null),
      span("f", "15:00:00", "15:30:00"), // inside the open one
    ];
    expect(ids(overlapGroups(sessions))).toEqual([["a", "b", "c"], ["e", "f"]]);
    expect(overlapGroups([span("x", "09:00:00", "10:00:00"), span("y", "10:00:00", "11:00:00")])).toEqual([]);
  });

  it("a chain's union spans all of it, open if any member is", () => {
    expect(unionOf([span("a", "09:00:00", "10:00:00"), span("b", "09:30:00", "11:00:00")])).toEqual({ startedAt: t("2026-11-20T09:00:00Z"), endedAt: t("2026-11-20T11:00:00Z") });
    expect(unionOf([span("a", "09:00:00", "10:00:00"), span("b", "09:30:00", null)]).endedAt).toBeNull();
  });

  it("coalesces overlapping copies with the same key only", () => {
    const afk = [
      { ...span("a1", "09:10:00", "09:20:00"), key: "x" },
      { ...span("b1", "09:15:00", "09:25:00"), key: "x" },
      { ...span("b2", "09:15:00", "09:25:00"), key: "y" },
    ];
    expect(coalesce(afk, (a) => a.key).map((c) => [c.keep.id, c.others.map((o) => o.id), c.endedAt])).toEqual([["a1", ["b1"], t("2026-11-20T09:25:00Z")]]);
  });
});

describe("app timeline", () => {
  const span = (app: string | null, from: string, to: string) => ({ app, start: t(`2026-11-20T${from}Z`), end: t(`2026-11-20T${to}Z`) });
  const session = { start: t("2026-11-20T09:00:00Z"), end: t("2026-11-20T11:00:00Z") };
  it("joins an app's windows less than a minute apart, keeps other apps' stretches apart, clips to the session", () => {
    const spans = timeline(
      [
        span("Code", "09:05:00", "09:20:00"),
        span("Code", "08:50:00", "09:02:00"),
        span("Code", "09:20:30", "09:40:00"), // 30 s after: the same stretch
        span("Firefox", "09:40:00", "09:50:00"),
        span("Code", "09:51:00", "11:30:00"), // a minute after: a new stretch, cut at the session's end
        span(null, "09:00:00", "10:00:00"), // no URL: not on the URL timeline
      ],
      session,
      (a) => a.app,
    );
    expect(spans.map((s) => [s.name, s.start.toISOString().slice(11, 19), s.end.toISOString().slice(11, 19)])).toEqual([
      ["Code", "09:00:00", "09:02:00"],
      ["Code", "09:05:00", "09:40:00"],
      ["Firefox", "09:40:00", "09:50:00"],
      ["Code", "09:51:00", "11:00:00"],
    ]);
  });
});
