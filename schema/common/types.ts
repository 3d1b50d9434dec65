import { GraphQLError, Kind } from "graphql";
import { DateTime } from "luxon";
import { builder } from "../builder.js";
import { AppError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from "./errors.js";
import { instantInRange, localDateProblem } from "./input-limits.js";
import { ISO_WITH_OFFSET } from "./time.js";

builder.scalarType("DateTime", {
  description: "An instant as ISO-8601 with offset, e.g. 2026-11-21T09:30:00.000+01:00.",
  serialize: (value) => (value as Date).toISOString(),
  parseValue: (value) => parseDateTime(value),
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : null),
});

builder.scalarType("LocalDate", {
  description: "A calendar date (YYYY-MM-DD) in the workspace time zone.",
  serialize: (value) => String(value),
  parseValue: (value) => parseLocalDate(value),
  parseLiteral: (ast) => parseLocalDate(ast.kind === Kind.STRING ? ast.value : null),
});

builder.scalarType("JSON", {
  description: "Arbitrary JSON (pass as a variable).",
  serialize: (v) => v,
  parseValue: (v) => v,
});

// 64-bit minor units: invoice totals pass 2^31 cents (GraphQL Int) easily and 2^53 (a JS number)
// eventually, so amounts travel as strings of digits and are computed as bigint.
const MONEY = /^-?\d{1,19}$/;
const MONEY_MAX = 2n ** 63n - 1n;

builder.scalarType("Money", {
  description: 'An amount in minor units of its currency (cents), 64-bit, as a string of digits, e.g. "512345678900". Inputs may also be a JSON integer.',
  serialize: (value) => String(value),
  parseValue: (value) => parseMoney(value),
  parseLiteral: (ast) => parseMoney(ast.kind === Kind.STRING ? ast.value : ast.kind === Kind.INT ? ast.value : null),
});

function parseMoney(value: unknown): bigint {
  const text = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  const amount = typeof text === "string" && MONEY.test(text) ? BigInt(text) : null;
  if (amount === null || amount > MONEY_MAX || amount < -MONEY_MAX) throw new GraphQLError("Money must be a whole number of minor units (cents), as a string of digits, within 64 bits");
  return amount;
}


function parseDateTime(value: unknown): Date {
  if (typeof value !== "string" || !ISO_WITH_OFFSET.test(value)) {
    throw new GraphQLError("DateTime must be an ISO-8601 string with an offset, e.g. 2026-11-21T09:30:00Z");
  }
  const parsed = DateTime.fromISO(value, { setZone: true });
  if (!parsed.isValid) throw new GraphQLError(`Invalid DateTime: ${parsed.invalidExplanation}`);
  if (!instantInRange(parsed.toJSDate())) throw new GraphQLError("DateTime must be between the years 1900 and 9999");
  return parsed.toJSDate();
}

function parseLocalDate(value: unknown): string {
  const problem = localDateProblem(value);
  if (problem) throw new GraphQLError(`LocalDate ${problem}`);
  return value as string;
}

export const ErrorInterface = builder.interfaceRef<AppError>("Error").implement({
  description: "An expected failure. `code` is stable and machine-readable.",
  fields: (t) => ({
    code: t.exposeString("code"),
    message: t.exposeString("message"),
  }),
});

const FieldProblemRef = builder.objectRef<{ path: string[]; message: string }>("FieldProblem").implement({
  fields: (t) => ({
    path: t.exposeStringList("path", { description: "Path of the failing input field, e.g. [\"input\", \"end\"]." }),
    message: t.exposeString("message"),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  interfaces: [ErrorInterface],
  fields: (t) => ({ problems: t.field({ type: [FieldProblemRef], resolve: (e) => e.problems }) }),
});
builder.objectType(ConflictError, {
  name: "ConflictError",
  interfaces: [ErrorInterface],
  fields: (t) => ({ conflictingIds: t.exposeIDList("conflictingIds") }),
});
builder.objectType(ForbiddenError, { name: "ForbiddenError", interfaces: [ErrorInterface] });
builder.objectType(NotFoundError, { name: "NotFoundError", interfaces: [ErrorInterface] });
