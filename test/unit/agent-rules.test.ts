import { describe, expect, it } from "vitest";
import { checkEntry, checkEntryChange, isBillable, sessionTotals, totals, weeklyTotals, type BeatSpan } from "../../schema/agent/rules.js";
import { Problems } from "../../schema/common/errors.js";

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

  it("running totals of the ended beats plus the open beat give the same totals as summing every beat", () => {
    const ended = totals(beats.slice(0, -1), false, at(50));
    const closed = { closedActiveSeconds: ended.activeSeconds, closedAgentSeconds: ended.agentSeconds, closedIdleSeconds: ended.idleSeconds };
    for (const bills of [false, true]) {
      expect(sessionTotals(closed, beats[3], bills, at(50))).toEqual(totals(beats, bills, at(50)));
      expect(sessionTotals(closed, null, bills, at(50))).toEqual(totals(beats.slice(0, -1), bills, at(50)));
    }
    // Each beat is counted in whole seconds on its own, as the database adds them up.
    const odd = { startedAt: new Date(Date.UTC(2026, 10, 21, 9, 0, 0, 900)), endedAt: null, kind: "active" as const };
    expect(sessionTotals({ closedActiveSeconds: 1, closedAgentSeconds: 0, closedIdleSeconds: 0 }, odd, false, at(1)).activeSeconds).toBe(1 + 59);
  });
});

describe("time entry rules", () => {
  const problemsOf = (check: (problems: Problems) => void) => {
    const problems = new Problems();
    check(problems);
    return problems.list.map((p) => `${p.path.join(".")}: ${p.message}`);
  };
  const now = at(600);

  it("takes an entry that ends after it starts, within 24 hours, not in the future", () => {
    expect(problemsOf((p) => checkEntry(p, { description: "ok", startedAt: at(0), endedAt: at(60) }, now))).toEqual([]);
    expect(problemsOf((p) => checkEntry(p, { description: "x".repeat(501), startedAt: at(60), endedAt: at(60) }, now))).toEqual([
      "endedAt: Must be after the start",
      "description: At most 500 characters",
    ]);
    expect(problemsOf((p) => checkEntry(p, { description: "", startedAt: at(0), endedAt: at(602) }, now))).toEqual(["endedAt: Can't be in the future"]);
    expect(problemsOf((p) => checkEntry(p, { description: "", startedAt: at(-1000), endedAt: at(500) }, now))).toEqual(["endedAt: At most 24 hours per entry"]);
  });

  it("lets an entry already longer than a day be edited and shortened, not lengthened", () => {
    const weekend = { startedAt: at(-3000), endedAt: at(0) };
    expect(problemsOf((p) => checkEntry(p, { description: "renamed", ...weekend }, now, weekend))).toEqual([]);
    expect(problemsOf((p) => checkEntry(p, { description: "", startedAt: at(-2000), endedAt: at(0) }, now, weekend))).toEqual([]);
    expect(problemsOf((p) => checkEntry(p, { description: "", startedAt: at(-3001), endedAt: at(0) }, now, weekend))).toEqual(["endedAt: At most 24 hours per entry"]);
  });

  it("changes timer and manual entries by their times, an agent session's entry by its seconds within the session", () => {
    const span = { startedAt: at(0), endedAt: at(60) };
    expect(problemsOf((p) => checkEntryChange(p, "manual", { startedAt: at(5), endedAt: at(50) }, span))).toEqual([]);
    expect(problemsOf((p) => checkEntryChange(p, "timer", { durationSeconds: 60 }, span))).toEqual(["durationSeconds: Change the start or end instead"]);
    expect(problemsOf((p) => checkEntryChange(p, "session", { durationSeconds: 3600 }, span))).toEqual([]);
    expect(problemsOf((p) => checkEntryChange(p, "session", { durationSeconds: 3601, startedAt: at(1) }, span))).toEqual([
      "startedAt: An agent session's entry keeps the session's times",
      "durationSeconds: Between one second and the session's length",
    ]);
    expect(problemsOf((p) => checkEntryChange(p, "session", { durationSeconds: 0 }, span))).toHaveLength(1);
  });
});

describe("entries per week", () => {
  // Sunday 2026-03-29, the day Berlin moves its clocks forward: 21:30 UTC is 23:30 there.
  const entry = (iso: string, projectId: string | null, durationSeconds: number) => ({ startedAt: new Date(iso), projectId, durationSeconds });
  const entries = [
    entry("2026-03-23T08:00:00Z", "a", 3600), // Monday
    entry("2026-03-29T21:30:00Z", "a", 1800), // Sunday 23:30 local: still that week
    entry("2026-03-29T22:30:00Z", "a", 600), // Monday 00:30 local: the next week
    entry("2026-03-24T08:00:00Z", null, 900),
  ];
  it("sums per project and week by each entry's local start, weeks from the workspace's first day", () => {
    expect(weeklyTotals(entries, "Europe/Berlin", 1)).toEqual([
      { week: "2026-03-23", projectId: "a", seconds: 5400 },
      { week: "2026-03-23", projectId: null, seconds: 900 },
      { week: "2026-03-30", projectId: "a", seconds: 600 },
    ]);
    // Weeks from Sunday: that Sunday starts a week of its own.
    expect(weeklyTotals(entries, "Europe/Berlin", 7)).toEqual([
      { week: "2026-03-22", projectId: "a", seconds: 3600 },
      { week: "2026-03-22", projectId: null, seconds: 900 },
      { week: "2026-03-29", projectId: "a", seconds: 2400 },
    ]);
  });
});
