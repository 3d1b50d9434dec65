// One boundary for what no argument of any field may be, checked before a resolver runs: text
// PostgreSQL refuses (NUL characters), text or names too long for an index, lists and JSON too big
// or too deep to walk, IDs that aren't ours. Without it each of these surfaces as a database or
// stack error, that is a 500, in whichever resolver forgot it.
import SchemaBuilder, { BasePlugin, type SchemaTypes } from "@pothos/core";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { getNamedType, isInputObjectType, isListType, isNonNullType, type GraphQLArgument, type GraphQLFieldResolver, type GraphQLInputType } from "graphql";
import { DateTime } from "luxon";
import { ValidationError, type FieldProblem } from "./errors.js";
import { unstorableText } from "./text.js";

export const INPUT_LIMITS = {
  /** Characters of any string (the longest value, a signature drawn into a custom field, is 200,000). */
  stringChars: 200_000,
  /** Characters of a `name` or `email`: they are indexed, and an index entry holds about 2.7 kB. */
  nameChars: 200,
  emailChars: 254,
  /** Items of any list, JSON arrays included. */
  listItems: 1_000,
  /** Nesting of objects and lists, JSON included. */
  depth: 32,
} as const;

/** Instants the API takes: far outside, dates break luxon's and PostgreSQL's arithmetic (year 1, year 275760). */
const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(10_000, 0, 1);

/** A month as `YYYY-MM` within the same years (Date.UTC would read a year below 100 as 19xx). */
export const YEAR_MONTH = /^(19|[2-9]\d)\d\d-(0[1-9]|1[0-2])$/;

export function instantInRange(at: Date): boolean {
  return at.getTime() >= EARLIEST && at.getTime() < LATEST;
}

/** Why the value isn't a local date the API takes ("must be a calendar date YYYY-MM-DD", …); null when it is. */
export function localDateProblem(value: unknown): string | null {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value) || !DateTime.fromISO(value).isValid) return "must be a calendar date YYYY-MM-DD";
  return instantInRange(new Date(`${value}T12:00:00Z`)) ? null : "must be between the years 1900 and 9999";
}

/** Our row IDs, as PostgreSQL writes a uuid: other text sent to the database as one can be an error there, not a miss. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A global ID as the relay plugin hands it to resolvers, decoded. */
function isDecodedGlobalId(value: object): value is { typename: string; id: string } {
  const keys = Object.keys(value);
  return keys.length === 2 && typeof (value as { typename?: unknown }).typename === "string" && typeof (value as { id?: unknown }).id === "string";
}

/**
 * A global ID decoded, a UUID in it in lower case. PostgreSQL reads a UUID in either case but answers
 * in lower case, and code that compares IDs as text (a change to the session it was asked about)
 * would otherwise miss the row it just found.
 */
export function decodeId(globalId: string): { typename: string; id: string } {
  const { typename, id } = decodeGlobalID(globalId);
  return { typename, id: UUID.test(id) ? id.toLowerCase() : id };
}

/**
 * A global ID of the given type where no argument type decodes it (query parameters, IDs inside JSON
 * values), as the row ID it names; null when it isn't one of ours.
 */
export function localId(globalId: string, typename: string): string | null {
  try {
    const decoded = decodeId(globalId);
    return decoded.typename === typename && UUID.test(decoded.id) ? decoded.id : null;
  } catch {
    return null;
  }
}

export function stringProblem(value: string, key: string): string | null {
  const unstorable = unstorableText(value);
  if (unstorable) return `M${unstorable.slice(1)}`;
  const max = key === "name" ? INPUT_LIMITS.nameChars : key === "email" ? INPUT_LIMITS.emailChars : INPUT_LIMITS.stringChars;
  return value.length > max ? `At most ${max} characters` : null;
}

interface Item {
  value: unknown;
  path: string[];
  /** The GraphQL input type, or null inside a JSON value (whose keys are anyone's, not ours). */
  type: GraphQLInputType | null;
}

function itemType(type: GraphQLInputType | null): GraphQLInputType | null {
  const inner = type && isNonNullType(type) ? type.ofType : type;
  return inner && isListType(inner) ? inner.ofType : null;
}

/** How deep values may nest and how long their lists may be: the API's own limits unless a caller keeps others. */
export interface NestingLimits {
  depth: number;
  listItems: number;
}

/**
 * Every problem of a field's arguments against the limits, by path. Iterative: depth is one of the
 * things it checks. Name and email limits apply to our own input fields, not to keys inside JSON.
 * Plain JSON (no argument definitions) is walked the same way, with `[]` as the definitions.
 */
export function inputProblems(args: Record<string, unknown>, definitions: readonly GraphQLArgument[], limits: NestingLimits = INPUT_LIMITS): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const typeOf = new Map(definitions.map((d) => [d.name, d.type]));
  const stack: Item[] = Object.entries(args).map(([k, value]) => ({ value, path: [k], type: typeOf.get(k) ?? null }));
  while (stack.length && problems.length < 20) {
    const { value, path, type } = stack.pop()!;
    const add = (message: string) => problems.push({ path, message });
    const named = type ? getNamedType(type) : null;
    if (typeof value === "string") {
      const problem = stringProblem(value, named?.name === "String" ? path[path.length - 1] : "");
      if (problem) add(problem);
    } else if (value !== null && typeof value === "object" && !(value instanceof Date)) {
      if (path.length > limits.depth) add(`Nested more than ${limits.depth} levels deep`);
      else if (Array.isArray(value)) {
        if (value.length > limits.listItems) add(`At most ${limits.listItems} items`);
        else value.forEach((item, i) => stack.push({ value: item, path: [...path, String(i)], type: itemType(type) }));
      } else if (named?.name === "ID" && isDecodedGlobalId(value)) {
        if (!UUID.test(value.id)) add("Not an ID of this API");
      } else {
        const fields = named && isInputObjectType(named) ? named.getFields() : null;
        for (const [k, v] of Object.entries(value)) {
          const unstorable = unstorableText(k);
          if (unstorable) add(`Keys ${unstorable}`);
          else stack.push({ value: v, path: [...path, k], type: fields?.[k]?.type ?? null });
        }
      }
    }
  }
  return problems;
}

/** Checks the arguments of every field that has any, inside auth (callers who may not call learn nothing). */
class InputLimitsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(resolver: GraphQLFieldResolver<unknown, Types["Context"], object>, fieldConfig: { args: object }) {
    return Object.keys(fieldConfig.args).length ? checked(resolver) : resolver;
  }
  override wrapSubscribe(subscribe: GraphQLFieldResolver<unknown, Types["Context"], object> | undefined, fieldConfig: { args: object }) {
    return subscribe && Object.keys(fieldConfig.args).length ? checked(subscribe) : subscribe;
  }
}

function checked<C>(resolver: GraphQLFieldResolver<unknown, C, object>): GraphQLFieldResolver<unknown, C, object> {
  return (parent, args, ctx, info) => {
    const problems = inputProblems(args as Record<string, unknown>, info.parentType.getFields()[info.fieldName].args);
    if (problems.length) throw new ValidationError(problems);
    return resolver(parent, args, ctx, info);
  };
}

SchemaBuilder.registerPlugin("inputLimits", InputLimitsPlugin);

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      inputLimits: InputLimitsPlugin<Types>;
    }
  }
}

export default "inputLimits" as const;
