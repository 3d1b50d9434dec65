import { describe, expect, it } from "vitest";
import { readConfig } from "../../platform/config.js";

describe("configuration", () => {
  it("uses the documented intervals when none are set, and takes whole milliseconds", () => {
    expect(readConfig({})).toMatchObject({ wsPingMs: 12_000, liveTickMs: 1000, jobLockMs: 30_000 });
    expect(readConfig({ WS_PING_MS: "500", LIVE_TICK_MS: "250", JOB_LOCK_MS: "5000" })).toMatchObject({ wsPingMs: 500, liveTickMs: 250, jobLockMs: 5000 });
  });

  it("refuses an interval that isn't whole milliseconds above 0, naming the variable", () => {
    for (const [name, value] of [["WS_PING_MS", "12s"], ["WS_PING_MS", "0"], ["LIVE_TICK_MS", "-5"], ["JOB_LOCK_MS", "1.5"]]) {
      expect(() => readConfig({ [name]: value })).toThrow(`${name} must be a whole number of milliseconds above 0, not "${value}"`);
    }
  });
});
