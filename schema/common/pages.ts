// Offset-paged lists: the relay plugin reads the number in an `after` or `before` cursor with
// parseInt and no check, so a cursor of any other number (`x`, `-5`, 1e20) reached the database as
// a skip it refuses, an unexpected error. Every offset-paged list goes through here instead, and a
// cursor this API never issued is refused as a validation error on the argument that carried it.
import { decodeBase64 } from "@pothos/core";
import { resolveOffsetConnection, type DefaultConnectionArguments } from "@pothos/plugin-relay";
import { ValidationError } from "./errors.js";

/**
 * What the plugin issues: `OffsetConnection:<offset>`, base64. -1 is the end cursor of an empty page,
 * which a client may well send back as `after`.
 */
const OFFSET_CURSOR = /^OffsetConnection:(-1|0|[1-9]\d{0,9})$/;

/** The largest GraphQL Int: no list is that long, and the skip stays a number every layer below takes. */
const MAX_OFFSET = 2 ** 31 - 1;

function isOffsetCursor(cursor: string): boolean {
  let text: string;
  try {
    text = decodeBase64(cursor);
  } catch {
    return false;
  }
  const digits = OFFSET_CURSOR.exec(text)?.[1];
  return digits !== undefined && Number(digits) <= MAX_OFFSET;
}

function checkCursors(args: DefaultConnectionArguments) {
  for (const name of ["after", "before"] as const) {
    const cursor = args[name];
    if (cursor != null && !isOffsetCursor(cursor)) throw ValidationError.field(name, "Not a cursor of this list");
  }
}

/** `resolveOffsetConnection`, after refusing cursors it would misread. */
export const resolveOffsetPage: typeof resolveOffsetConnection = (options, resolve) => {
  checkCursors(options.args);
  return resolveOffsetConnection(options, resolve);
};
