import { describe, expect, it } from "vitest";
import { isBillable, totals, type BeatSpan } from "../../schema/agent/rules.js";

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 21, 9, minutes));
const beat = (kind: BeatSpan["kind"], from: number, to: number | null): BeatSpan => ({
  kind,
  startedAt: at(from),
  endedAt: to === null ? null : at(to),
});

describe("agent session billing", () => {
  it("bills active always, agent only with the flag, idle never", () => {
    expect([isBillable("active", false), isBillable("agent", false), isBillable("idle", true)]).toEqual([true, false, false]);
    expect(isBillable("agent", true)).toBe(true);
  });

  const beats = [beat("active", 0, 10), beat("agent", 10, 40), beat("idle", 40, 45), beat("active", 45, null)];

  it("sums billable seconds with the open beat counted up to now", () => {
    expect(totals(beats, false, at(50))).toEqual({ billableSeconds: 15 * 60, activeSeconds: 15 * 60, agentSeconds: 30 * 60, idleSeconds: 5 * 60 });
    expect(totals(beats, true, at(50)).billableSeconds).toBe(45 * 60);
  });

  it("never counts negative time for a clock that went backwards", () => {
    expect(totals([beat("active", 10, null)], false, at(5)).billableSeconds).toBe(0);
  });
});
