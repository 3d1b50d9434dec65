import { describe, expect, it } from "vitest";
import { clip, dateRange, HH_MM, ISO_WITH_OFFSET, overlaps, seconds } from "../../schema/common/time.js";

const t = (iso: string) => new Date(iso);

describe("intervals", () => {
  it("are half-open: back to back is no overlap", () => {
    const lunch = { start: t("2026-11-20T12:30:00Z"), end: t("2026-11-20T14:00:00Z") };
    expect(overlaps(lunch, { start: t("2026-11-20T14:00:00Z"), end: t("2026-11-20T15:00:00Z") })).toBe(false);
    expect(overlaps(lunch, { start: t("2026-11-20T13:59:00Z"), end: t("2026-11-20T15:00:00Z") })).toBe(true);
  });

  it("clip to another interval, and last whole seconds, never negative", () => {
    const day = { start: t("2026-11-20T00:00:00Z"), end: t("2026-11-21T00:00:00Z") };
    expect(clip({ start: t("2026-11-19T23:00:00Z"), end: t("2026-11-20T01:00:00Z") }, day)).toEqual({ start: day.start, end: t("2026-11-20T01:00:00Z") });
    expect(clip({ start: t("2026-11-21T00:00:00Z"), end: t("2026-11-21T01:00:00Z") }, day)).toBeNull();
    expect(seconds({ start: t("2026-11-20T00:00:00Z"), end: t("2026-11-20T00:00:01.999Z") })).toBe(1);
    expect(seconds({ start: day.end, end: day.start })).toBe(0);
  });
});

describe("local dates", () => {
  it("run from local midnight to local midnight, DST days included", () => {
    const week = dateRange("2026-11-16", "2026-11-22", "Europe/Berlin");
    expect(week).toEqual({ start: t("2026-11-15T23:00:00Z"), end: t("2026-11-22T23:00:00Z") });
    const spring = dateRange("2026-03-29", "2026-03-29", "Europe/Berlin");
    expect((spring.end.getTime() - spring.start.getTime()) / 3600_000).toBe(23);
  });
});

describe("formats", () => {
  it("HH:mm is a 24-hour time", () => {
    expect(["00:00", "09:30", "23:59"].every((v) => HH_MM.test(v))).toBe(true);
    expect(["24:00", "9:30", "12:60", "12:30:00"].some((v) => HH_MM.test(v))).toBe(false);
    expect(HH_MM.exec("07:45")?.slice(1)).toEqual(["07", "45"]);
  });

  it("an instant needs its offset", () => {
    expect(["2026-11-21T09:30:00Z", "2026-11-21T09:30+01:00", "2026-11-21T09:30:00.123456789-05:00", "2026-11-21T09:30:00z"].every((v) => ISO_WITH_OFFSET.test(v))).toBe(true);
    expect(["2026-11-21T09:30:00", "2026-11-21"].some((v) => ISO_WITH_OFFSET.test(v))).toBe(false);
  });
});
