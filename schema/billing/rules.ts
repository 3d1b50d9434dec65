// Pure billing arithmetic: rounding, line amounts, totals and periods. No I/O, tested directly.
import { DateTime } from "luxon";

export type Rounding = { mode: "none" } | { mode: "up" | "nearest"; minutes: 1 | 6 | 15 };

export interface BillingSettings {
  rounding: Rounding;
  /** Basis points: 1900 = 19%. */
  taxRateBp: number;
}

export const DEFAULT_BILLING: BillingSettings = { rounding: { mode: "none" }, taxRateBp: 0 };

/** Stored settings JSON, falling back to defaults for anything missing or malformed. */
export function billingSettings(settings: unknown): BillingSettings {
  const billing = (settings as { billing?: Partial<BillingSettings> } | null)?.billing;
  const rounding = billing?.rounding;
  const validRounding =
    rounding?.mode === "none" ||
    ((rounding?.mode === "up" || rounding?.mode === "nearest") && [1, 6, 15].includes((rounding as { minutes: number }).minutes));
  const tax = billing?.taxRateBp;
  return {
    rounding: validRounding ? (rounding as Rounding) : DEFAULT_BILLING.rounding,
    taxRateBp: Number.isInteger(tax) && tax! >= 0 && tax! <= 10_000 ? tax! : 0,
  };
}

/** Billed seconds for one line; each line is rounded on its own so the lines add up to the total. */
export function roundSeconds(seconds: number, rounding: Rounding): number {
  if (rounding.mode === "none") return seconds;
  const step = rounding.minutes * 60;
  const units = rounding.mode === "up" ? Math.ceil(seconds / step) : Math.round(seconds / step);
  return units * step;
}

/** a / b for non-negative integers, rounded half up, exactly (money is bigint: totals exceed 2^53 cents long before 2^63). */
function divideRounded(a: bigint, b: bigint): bigint {
  return (2n * a + b) / (2n * b);
}

/** rate x hours, in minor units, rounded half up to a whole cent. */
export function lineAmount(quantitySeconds: number, hourlyRateCents: bigint): bigint {
  return divideRounded(hourlyRateCents * BigInt(quantitySeconds), 3600n);
}

/**
 * A client session's line: a fixed price per session (quantity is its length, for the record), or
 * price per hour of its length, rounded like time.
 */
export function sessionPrice(pricing: "per_session" | "per_hour", priceCents: bigint, seconds: number, rounding: Rounding) {
  if (pricing === "per_session") return { quantitySeconds: seconds, rateCents: priceCents, amountCents: priceCents };
  const quantitySeconds = roundSeconds(seconds, rounding);
  return { quantitySeconds, rateCents: priceCents, amountCents: lineAmount(quantitySeconds, priceCents) };
}

export function invoiceTotals(amounts: readonly bigint[], taxRateBp: number) {
  const subtotalCents = amounts.reduce((sum, a) => sum + a, 0n);
  const taxCents = divideRounded(subtotalCents * BigInt(taxRateBp), 10_000n);
  return { subtotalCents, taxCents, totalCents: subtotalCents + taxCents };
}

/**
 * Minor units as an exact decimal string ("1234.56" for 123456 cents), which Intl.NumberFormat
 * formats without going through a double: amounts past 2^53 cents keep every digit.
 */
export function decimalOf(minorUnits: bigint, fractionDigits: number): `${number}` {
  const digits = (minorUnits < 0n ? -minorUnits : minorUnits).toString().padStart(fractionDigits + 1, "0");
  const whole = digits.slice(0, digits.length - fractionDigits);
  const fraction = fractionDigits ? `.${digits.slice(-fractionDigits)}` : "";
  return `${minorUnits < 0n ? "-" : ""}${whole}${fraction}` as `${number}`;
}

export interface Period {
  key: string;
  /** Local dates, inclusive. */
  startDate: string;
  endDate: string;
  /** Instants, end exclusive. */
  start: Date;
  end: Date;
}

/** A calendar month ("2026-11") in a time zone, with its exact instants across DST. */
export function monthPeriod(month: string, timeZone: string): Period {
  const first = DateTime.fromFormat(month, "yyyy-MM", { zone: timeZone });
  if (!first.isValid) throw new Error(`Not a month: ${month}`);
  const next = first.plus({ months: 1 });
  return {
    key: month,
    startDate: first.toISODate()!,
    endDate: next.minus({ days: 1 }).toISODate()!,
    start: first.toJSDate(),
    end: next.toJSDate(),
  };
}

/** Any span of local dates (inclusive) in a time zone. */
export function datesPeriod(from: string, to: string, timeZone: string): Period {
  const start = DateTime.fromISO(from, { zone: timeZone }).startOf("day");
  const end = DateTime.fromISO(to, { zone: timeZone }).startOf("day").plus({ days: 1 });
  return { key: `${from}..${to}`, startDate: from, endDate: to, start: start.toJSDate(), end: end.toJSDate() };
}

/** The month that has just ended, as the workspace sees it at `now`. */
export function previousMonth(now: Date, timeZone: string): string {
  return DateTime.fromJSDate(now, { zone: timeZone }).minus({ months: 1 }).toFormat("yyyy-MM");
}

export function localDate(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toISODate()!;
}
