import { describe, expect, it } from "vitest";
import { clip, dateRange, HH_MM, ISO_WITH_OFFSET, overlaps, parseTimestamp, seconds } from "../../schema/common/time.js";

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

  it("an instant is read as the platform's ISO parser reads it, on calendar dates only", () => {
    const ms = (v: string) => parseTimestamp(v)?.getTime() ?? null;
    expect(ms("2026-11-21T09:30:00.123456789-05:00")).toBe(Date.UTC(2026, 10, 21, 14, 30, 0, 123));
    expect(ms("2026-11-21T09:30+14:00")).toBe(Date.UTC(2026, 10, 20, 19, 30));
    expect(ms("2026-12-31T24:00Z")).toBe(Date.UTC(2027, 0, 1));
    expect(ms("0000-02-29T00:00Z")).toBe(Date.parse("0000-02-29T00:00Z"));
    for (const notAnInstant of ["2026-02-29T10:00Z", "1900-02-29T10:00Z", "2026-04-31T10:00Z", "2026-11-21T24:00:00.0001Z", "2026-11-21T09:30+24:00", "2026-11-21T09:30:00.Z", "2026-11-21T09:30", "２026-11-21T09:30Z"]) {
      expect(parseTimestamp(notAnInstant), notAnInstant).toBeNull();
    }
    // Every shape the pattern allows, with digits near each field's limits: read as Date.parse reads them.
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    const field = (width: number, near: number[]) => String(random(2) ? near[random(near.length)] : random(10 ** width)).padStart(width, "0");
    for (let i = 0; i < 20_000; i++) {
      const seconds = random(3) ? `:${field(2, [0, 59, 60])}${random(2) ? "." + field(1 + random(9), [0, 1, 999]) : ""}` : "";
      const zone = ["Z", "z", `+${field(2, [0, 23, 24])}:${field(2, [0, 59, 60])}`, `-${field(2, [0, 23])}:${field(2, [0, 59])}`][random(4)];
      const value = `${field(4, [0, 1900, 2000, 2024, 2026, 9999])}-${field(2, [0, 2, 12, 13])}-${field(2, [0, 28, 29, 30, 31, 32])}T${field(2, [0, 23, 24, 25])}:${field(2, [0, 59, 60])}${seconds}${zone}`;
      const date = value.slice(0, 10);
      const midnight = Date.parse(`${date}T00:00Z`);
      const onCalendar = !Number.isNaN(midnight) && new Date(midnight).toISOString().slice(0, 10) === date;
      const expected = onCalendar && !Number.isNaN(Date.parse(value)) ? Date.parse(value) : null;
      expect(ms(value), value).toBe(expected);
    }
  });
});
