import { describe, expect, it } from "vitest";
import { Problems } from "../../schema/common/errors.js";
import { narrowToScopes, permissionsFor } from "../../schema/common/permissions.js";
import { parseWorkingHours } from "../../schema/identity/working-hours.js";
import { hashPassword, hashSecret, newSecret, verifyPassword } from "../../schema/identity/secrets.js";

describe("permissions", () => {
  it("owners hold everything; employees see only their own sessions", () => {
    expect(permissionsFor("owner", null).has("billing.manage")).toBe(true);
    expect(permissionsFor("employee", null).has("team.read")).toBe(false);
    expect(permissionsFor("manager", null).has("time.manage")).toBe(true);
  });
  it("a custom staff set replaces the default and ignores unknown strings", () => {
    expect([...permissionsFor("staff", ["session.read", "bogus"])]).toEqual(["session.read"]);
    expect([...permissionsFor("manager", ["session.read"])]).toContain("time.manage");
  });
  it("an API key never exceeds its creator", () => {
    expect([...narrowToScopes(permissionsFor("employee", null), ["session.read", "billing.manage"])]).toEqual(["session.read"]);
  });
});

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
