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
  it("accepts HH:mm ranges on ISO weekdays", () => {
    expect(parseWorkingHours({ days: [5, 1, 1], start: "08:30", end: "17:00" }, new Problems())).toEqual({ days: [1, 5], start: "08:30", end: "17:00" });
  });
  it("reports every problem with its path", () => {
    const problems = new Problems();
    parseWorkingHours({ days: [0, 8], start: "9:00", end: "25:00" }, problems);
    expect(problems.list.map((p) => p.path.join("."))).toEqual(["workingHours.days", "workingHours.start", "workingHours.end"]);
  });
  it("falls back to office hours for a stored value that went bad", () => {
    expect(parseWorkingHours(null)).toEqual({ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" });
  });
});
