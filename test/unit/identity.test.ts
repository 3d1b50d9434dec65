import { describe, expect, it } from "vitest";
import { Problems } from "../../schema/common/errors.js";
import { parseWorkingHours } from "../../schema/identity/working-hours.js";
import { hashPassword, hashSecret, newSecret, verifyPassword } from "../../schema/identity/secrets.js";

describe("secrets", () => {
  it("hashes passwords with a salt and verifies them", async () => {
    const a = await hashPassword("correct horse");
    const b = await hashPassword("correct horse");
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$/);
    expect(await verifyPassword("correct horse", a)).toBe(true);
    expect(await verifyPassword("wrong", a)).toBe(false);
  });
  it("prefixes token secrets by kind and hashes them deterministically", () => {
    const secret = newSecret("personal");
    expect(secret).toMatch(/^sp_pat_[\w-]{32}$/);
    expect(hashSecret(secret)).toBe(hashSecret(secret));
    expect(hashSecret(secret)).not.toContain(secret);
  });
});

describe("working hours", () => {
  const day = (weekday: number, start = "09:00", end = "17:00") => ({ weekday, start, end });
  it("accepts HH:mm hours per ISO weekday, Monday first", () => {
    expect(parseWorkingHours([day(5, "08:00", "12:00"), day(1, "08:30")], new Problems())).toEqual([day(1, "08:30"), day(5, "08:00", "12:00")]);
    expect(parseWorkingHours([], new Problems())).toEqual([]);
  });
  it("reports every problem with its entry's path", () => {
    const problems = new Problems();
    parseWorkingHours([day(0), day(8, "9:00"), day(2, "10:00", "10:00"), day(3, "08:00", "25:00"), { weekday: 3, start: "08:00", end: "09:00" }], problems);
    expect(problems.list.map((p) => p.path.join("."))).toEqual([
      "workingHours.0.weekday",
      "workingHours.1.weekday",
      "workingHours.1.start",
      "workingHours.2.end",
      "workingHours.3.end",
      "workingHours.4.weekday",
    ]);
  });
  it("falls back to office hours for a stored value that went bad", () => {
    const officeHours = [1, 2, 3, 4, 5].map((weekday) => day(weekday));
    expect(parseWorkingHours(null)).toEqual(officeHours);
    expect(parseWorkingHours({ days: [1], start: "09:00", end: "17:00" })).toEqual(officeHours);
  });
});
