import { describe, expect, it } from "vitest";
import { monthToInvoice } from "../../schema/billing/jobs.js";
import { billingSettings, datesPeriod, decimalOf, invoiceTotals, lineAmount, monthPeriod, previousMonth, roundSeconds, sessionPrice } from "../../schema/billing/rules.js";

describe("rounding", () => {
  it("leaves seconds alone, or rounds each line up or to the nearest 1, 6 or 15 minutes", () => {
    expect(roundSeconds(61, { mode: "none" })).toBe(61);
    expect(roundSeconds(61, { mode: "up", minutes: 1 })).toBe(120);
    expect(roundSeconds(7 * 60, { mode: "up", minutes: 6 })).toBe(12 * 60);
    expect(roundSeconds(7 * 60, { mode: "nearest", minutes: 15 })).toBe(0);
    expect(roundSeconds(8 * 60, { mode: "nearest", minutes: 15 })).toBe(15 * 60);
  });
});

describe("amounts", () => {
  it("prices rate x hours per line, and the lines add up to the total", () => {
    const lines = [lineAmount(1800, 9000n), lineAmount(20 * 60, 9000n), lineAmount(1, 9000n)];
    expect(lines).toEqual([4500n, 3000n, 3n]);
    expect(invoiceTotals(lines, 1900)).toEqual({ subtotalCents: 7503n, taxCents: 1426n, totalCents: 8929n });
  });
  it("rounds half up, exactly, far past 2^53 cents", () => {
    expect(lineAmount(1, 1800n)).toBe(1n); // 0.5 cents rounds up
    const rate = 9_000_000_000_000n; // 90 billion per hour
    expect(lineAmount(3600 * 1000, rate)).toBe(9_000_000_000_000_000n);
    expect(invoiceTotals([9_000_000_000_000_001n], 1900)).toEqual({ subtotalCents: 9_000_000_000_000_001n, taxCents: 1_710_000_000_000_000n, totalCents: 10_710_000_000_000_001n });
  });
  it("writes minor units as exact decimals for formatting", () => {
    expect([decimalOf(9_007_199_254_740_993n, 2), decimalOf(5n, 2), decimalOf(-120n, 2), decimalOf(42n, 0)]).toEqual(["90071992547409.93", "0.05", "-1.20", "42"]);
  });
  it("reads settings defensively", () => {
    expect(billingSettings({ billing: { rounding: { mode: "up", minutes: 7 }, taxRateBp: -1 } })).toEqual({ rounding: { mode: "none" }, taxRateBp: 0 });
    expect(billingSettings({ billing: { rounding: { mode: "up", minutes: 6 }, taxRateBp: 2000 } })).toEqual({ rounding: { mode: "up", minutes: 6 }, taxRateBp: 2000 });
  });
});

describe("periods", () => {
  it("a month in the workspace time zone, across a DST change", () => {
    const march = monthPeriod("2026-03", "Europe/Berlin");
    expect(march.start.toISOString()).toBe("2026-02-28T23:00:00.000Z");
    expect(march.end.toISOString()).toBe("2026-03-31T22:00:00.000Z"); // CEST from 29 March
    expect([march.startDate, march.endDate]).toEqual(["2026-03-01", "2026-03-31"]);
  });
  it("the month that just ended depends on where the workspace is", () => {
    const instant = new Date("2026-12-01T03:00:00Z");
    expect(previousMonth(instant, "Europe/Berlin")).toBe("2026-11");
    expect(previousMonth(instant, "America/Los_Angeles")).toBe("2026-10"); // still 30 November there
  });
  it("a span of dates is inclusive", () => {
    const p = datesPeriod("2026-11-01", "2026-11-15", "UTC");
    expect([p.start.toISOString(), p.end.toISOString()]).toEqual(["2026-11-01T00:00:00.000Z", "2026-11-16T00:00:00.000Z"]);
  });
});

describe("month-end job", () => {
  it("invoices last month once the first of the month has begun in the workspace's zone", () => {
    const instant = new Date("2026-11-30T23:30:00Z");
    expect(monthToInvoice(instant, "Europe/Berlin")).toBe("2026-11"); // 00:30 on 1 December there
    expect(monthToInvoice(instant, "UTC")).toBeNull();
    expect(monthToInvoice(new Date("2026-12-01T12:00:00Z"), "UTC")).toBe("2026-11");
  });
});

describe("client session prices", () => {
  it("charge a fixed price per session, or per hour of the session rounded like time", () => {
    expect(sessionPrice("per_session", 8000n, 2700, { mode: "up", minutes: 15 })).toEqual({ quantitySeconds: 2700, rateCents: 8000n, amountCents: 8000n });
    expect(sessionPrice("per_hour", 12000n, 50 * 60, { mode: "up", minutes: 15 })).toEqual({ quantitySeconds: 3600, rateCents: 12000n, amountCents: 12000n });
    expect(sessionPrice("per_hour", 10000n, 20 * 60, { mode: "none" })).toEqual({ quantitySeconds: 1200, rateCents: 10000n, amountCents: 3333n });
  });
});
