// Hostile inputs as a careless or malicious client sends them, generated with fast-check: for
// GraphQL, from the printed SDL's argument and input types (so a new mutation is covered the day it
// ships); for the plain endpoints, from the bodies and query strings each one reads.
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import fc from "fast-check";
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
} from "graphql";

/** Real IDs of the test's own objects, by type: a benign ID gets a resolver past "not found". */
export type KnownIds = Record<string, string>;

const b64 = (s: string) => Buffer.from(s).toString("base64");
const localId = (globalId: string) => decodeGlobalID(globalId).id;
const uuid = fc.uuid();
const TYPES = ["Client", "Project", "Appointment", "AnalyticsApp", "FieldDefinition", "AgentSession", "TimeEntry", "WorkSession", "Invoice", "Member", "User", "Workspace"];

/** Strings no field should choke on: NUL, past every limit, lone surrogates, escapes, injections. */
const NASTY_TEXT = [
  "",
  " ",
  "a\u0000b",
  "\u0000",
  "N".repeat(2_800), // past a B-tree index entry (~2.7 kB)
  "x".repeat(200_001),
  "\ud800",
  "\u202e\u0301",
  "'; DROP TABLE \"Client\"; --",
  "%E0%A4%A",
  "../../../etc/passwd",
  "<script>alert(1)</script>",
  "🙂".repeat(150),
  "(a+)+$",
  "__proto__",
];
export const hostileString = fc.oneof(fc.constantFrom(...NASTY_TEXT), fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 20 }));

export const hostileInstant = fc.oneof(
  fc.constantFrom(
    "0001-01-01T00:00:00Z",
    "+275760-09-13T00:00:00.000Z",
    "-000001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "1899-12-31T23:59:59Z",
    "2026-02-30T10:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-01-01T25:61:00+25:00",
    "yesterday",
    "",
  ),
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.double(),
);
const hostileLocalDate = fc.oneof(
  fc.constantFrom("0001-01-01", "275760-09-13", "2026-02-30", "2026-1-1", "9999-12-31", "1899-12-31", "", "2026-W01"),
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
);
const hostileMoney = fc.oneof(
  fc.constantFrom("-1", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1.5", "1e3", "abc", "", " 1", "0x10", 1e30, -5, 1.5),
  fc.bigInt().map(String),
);
const hostileInt = fc.oneof(fc.integer(), fc.constantFrom(-1, 2_147_483_647, -2_147_483_648, 2 ** 31, 1e15, 1.5, "1", null));

function nested(levels: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
}
export const hostileJson = fc.oneof(
  fc.constantFrom(nested(40), nested(2_000), Array(1_001).fill(0), { "k\u0000": 1 }, { v: "a\u0000b" }, { ["x".repeat(3_000)]: 1 }, JSON.parse('{"__proto__": {"admin": true}}')),
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/** A global ID naming the same row, its UUID in upper case (which PostgreSQL reads as the same). */
function upperCased(globalId: string) {
  const { typename, id } = decodeGlobalID(globalId);
  return encodeGlobalID(typename, id.toUpperCase());
}

function hostileId(ids: KnownIds) {
  const known = Object.values(ids);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...TYPES), uuid).map(([t, u]) => encodeGlobalID(t, u)),
    ...(known.length ? [fc.constantFrom(...known).map(upperCased)] : []), // the same row, its UUID in upper case
    fc.constantFrom(b64("Client:not-a-uuid"), b64("Client:1; DROP"), b64("nocolon"), b64(`Client:${"0".repeat(3_000)}`), "not base64 !!", "", "\u0000", "x".repeat(10_000)),
    fc.string({ maxLength: 30 }).map((s) => b64(`Client:${s}`)),
    ...(known.length ? [fc.constantFrom(...known)] : []), // a real ID, maybe of the wrong type
  );
}

// ---- GraphQL: arbitraries per argument, from the SDL ----

const ENTITY_OF_ARG: Record<string, string> = { clientId: "Client", projectId: "Project", appointmentId: "Appointment", appId: "AnalyticsApp", sessionId: "AgentSession" };

/** The type an ID argument names: by its name, or for `id`/`ids` the longest known type the field names. */
function idType(arg: string, field: string, ids: KnownIds): string | undefined {
  if (ENTITY_OF_ARG[arg]) return ENTITY_OF_ARG[arg];
  const lower = field.toLowerCase();
  return Object.keys(ids)
    .filter((t) => lower.includes(t.toLowerCase()))
    .sort((a, b) => b.length - a.length)[0];
}

/** A value the API would take, so that the hostile ones elsewhere in the same call reach the resolver. */
function benign(named: GraphQLNamedType, arg: string, field: string, ids: KnownIds): fc.Arbitrary<unknown> {
  if (isEnumType(named)) return fc.constantFrom(...named.getValues().map((v) => v.value));
  switch (named.name) {
    case "ID": {
      const t = idType(arg, field, ids);
      return t && ids[t] ? fc.constant(ids[t]) : uuid.map((u) => encodeGlobalID(t ?? "Client", u));
    }
    case "Int":
      return fc.integer({ min: 0, max: 120 });
    case "Float":
      return fc.double({ min: 0, max: 100, noNaN: true });
    case "Boolean":
      return fc.boolean();
    case "DateTime":
      return fc.integer({ min: -30, max: 30 }).map((d) => new Date(Date.now() + d * 86_400_000).toISOString());
    case "LocalDate":
      return fc.integer({ min: -30, max: 30 }).map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10));
    case "Money":
      return fc.bigInt({ min: 0n, max: 10n ** 12n }).map(String);
    case "JSON":
      return fc.jsonValue({ maxDepth: 2 });
    default:
      return fc.string({ minLength: 1, maxLength: 20 });
  }
}

function hostileScalar(named: GraphQLNamedType, ids: KnownIds): fc.Arbitrary<unknown> {
  if (isEnumType(named)) return fc.constantFrom("NOT_A_VALUE", named.getValues()[0].value.toLowerCase(), "", 1);
  switch (named.name) {
    case "ID":
      return hostileId(ids);
    case "Int":
    case "Float":
      return hostileInt;
    case "Boolean":
      return fc.constantFrom("true", 1, null);
    case "DateTime":
      return hostileInstant;
    case "LocalDate":
      return hostileLocalDate;
    case "Money":
      return hostileMoney;
    case "JSON":
      return hostileJson;
    default:
      return hostileString;
  }
}

/** Mostly benign with hostile parts: a call wholly hostile stops at its first argument. */
export function inputArbitrary(type: GraphQLInputType, arg: string, field: string, ids: KnownIds, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return inputArbitrary(type.ofType, arg, field, ids, depth);
  if (isListType(type)) {
    const item = inputArbitrary(type.ofType, arg, field, ids, depth + 1);
    return fc.oneof(
      { arbitrary: fc.array(item, { maxLength: 3 }), weight: 4 },
      { arbitrary: item.chain((one) => fc.constant(Array(1_001).fill(one))), weight: 1 },
    );
  }
  const named = getNamedType(type) as GraphQLNamedType;
  if (isInputObjectType(named)) {
    if (depth > 3) return fc.constant({});
    const fields = Object.values(named.getFields());
    const required = fields.filter((f) => isNonNullType(f.type) && f.defaultValue === undefined).map((f) => f.name);
    const record = fc.record(Object.fromEntries(fields.map((f) => [f.name, inputArbitrary(f.type, f.name, field, ids, depth + 1)])), { requiredKeys: required });
    return fc.oneof({ arbitrary: record, weight: 8 }, { arbitrary: record.map((r) => ({ ...r, notAField: "x" })), weight: 1 });
  }
  return fc.oneof({ arbitrary: benign(named, arg, field, ids), weight: 2 }, { arbitrary: hostileScalar(named, ids), weight: 1 });
}

/** What to select of a field's result: its type name, and the code of a typed error. */
function selection(type: GraphQLNamedType): string {
  if (isUnionType(type)) {
    const errors = type.getTypes().some((m) => m.getInterfaces().some((i) => i.name === "Error"));
    return `{ __typename ${errors ? "... on Error { code }" : ""} }`;
  }
  return isObjectType(type) || isInterfaceType(type) ? "{ __typename }" : "";
}

export interface GraphQLCall {
  field: string;
  query: string;
  variables: Record<string, unknown>;
}

/** Calls of a root field with hostile variables, one per sample. */
export function fieldCalls(kind: "query" | "mutation", field: GraphQLField<unknown, unknown>, ids: KnownIds): fc.Arbitrary<GraphQLCall> {
  const declared = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(", ");
  const passed = field.args.map((a) => `${a.name}: $${a.name}`).join(", ");
  const query = `${kind}${declared ? `(${declared})` : ""} { ${field.name}${passed ? `(${passed})` : ""} ${selection(getNamedType(field.type) as GraphQLNamedType)} }`;
  const required = field.args.filter((a) => isNonNullType(a.type)).map((a) => a.name);
  const variables = fc.record(Object.fromEntries(field.args.map((a) => [a.name, inputArbitrary(a.type, a.name, field.name, ids)])), { requiredKeys: required });
  return variables.map((v) => ({ field: field.name, query, variables: v as Record<string, unknown> }));
}

// ---- plain endpoints: bodies and query strings ----

export interface PlainRequest {
  endpoint: string;
  path: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea73581e40000000049454e44ae426082", "hex");
const bytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(new Uint8Array(PNG), new Uint8Array(Buffer.from("%PDF-1.4\n")), new Uint8Array(Buffer.from("<html><script>alert(1)</script>"))));
const mime = fc.constantFrom("image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf", "text/plain", "text/html", "application/x-msdownload", "", "image/png; charset=binary");
const pathSegment = fc.oneof(hostileString.map((s) => encodeURIComponent(Buffer.from(s).toString())), fc.constantFrom("%", "%E0%A4%A", "%00", "..%2f..%2fetc%2fpasswd", "%ff%fe", "00000000-0000-0000-0000-00000000000g"), uuid);
const q = (params: Record<string, unknown>) =>
  Object.entries(params)
    .filter(([, v]) => v !== undefined)
    // Through UTF-8 and back: a lone surrogate can't be percent-encoded, a client sends U+FFFD.
    .map(([k, v]) => `${k}=${encodeURIComponent(Buffer.from(String(v)).toString())}`)
    .join("&");
const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));
const jsonBody = (value: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: value.map(text), weight: 6 }, { arbitrary: fc.constantFrom("{", "", "null", "[]", "\u0000", '{"events": '), weight: 1 });

const workEvent = fc.record(
  {
    id: fc.oneof(hostileString, fc.uuid()),
    type: fc.oneof(fc.constantFrom("window", "afk", "close", "web", "app_closed"), hostileString),
    timestamp: fc.oneof(hostileInstant, fc.constant(new Date().toISOString())),
    duration: fc.oneof(fc.double(), fc.constantFrom(60, -1, "60", null)),
    pulsetime: fc.oneof(fc.double(), fc.constant(60)),
    status: fc.constantFrom("afk", "not-afk", "asleep", 1),
    data: fc.oneof(fc.record({ app: hostileString, title: hostileString, url: hostileString }), hostileJson),
  },
  { requiredKeys: [] },
);
const awBucket = fc.record(
  {
    id: hostileString,
    type: fc.oneof(fc.constantFrom("currentwindow", "afkstatus", "web.tab.current", "app.editor.activity"), hostileString),
    client: hostileString,
    hostname: hostileString,
    created: hostileInstant,
    events: fc.oneof(
      fc.array(fc.record({ id: fc.oneof(fc.integer(), hostileString), timestamp: hostileInstant, duration: fc.oneof(fc.double(), fc.constant(30)), data: hostileJson }, { requiredKeys: [] }), { maxLength: 6 }),
      hostileJson,
    ),
  },
  { requiredKeys: [] },
);
const analyticsEvent = fc.record(
  {
    eventId: fc.oneof(hostileString, fc.uuid()),
    userId: hostileString,
    anonymousId: hostileString,
    sessionId: hostileString,
    name: hostileString,
    timestamp: fc.oneof(hostileInstant, fc.constant(new Date().toISOString())),
    properties: hostileJson,
    userAgent: hostileString,
    environment: hostileString,
  },
  { requiredKeys: [] },
);

/** Requests to every plain endpoint; `writeKey` is an analytics app's, `ids` the test's objects. */
export function plainRequests(token: string, writeKey: string, ids: KnownIds): Record<string, fc.Arbitrary<PlainRequest>> {
  const bearer = { authorization: `Bearer ${token}` };
  const id = hostileId(ids);
  const post = (endpoint: string, path: string, body: fc.Arbitrary<string | Uint8Array>, headers: fc.Arbitrary<Record<string, string>>) =>
    fc.tuple(body, headers).map(([b, h]): PlainRequest => ({ endpoint, path, method: "POST", headers: h, body: b }));
  const get = (endpoint: string, path: fc.Arbitrary<string>, headers: Record<string, string> = bearer) => path.map((p): PlainRequest => ({ endpoint, path: p, method: "GET", headers }));
  const json = fc.constant({ ...bearer, "content-type": "application/json" });
  return {
    "POST /api/work/events": post("POST /api/work/events", "/api/work/events", jsonBody(fc.oneof(fc.record({ events: fc.array(workEvent, { maxLength: 5 }) }), hostileJson)), json),
    "POST /api/work/import": fc
      .tuple(jsonBody(fc.oneof(fc.record({ buckets: fc.dictionary(hostileString, awBucket, { maxKeys: 3 }) }), fc.record({ buckets: hostileJson }), hostileJson)), fc.option(id))
      .map(([body, employee]) => ({ endpoint: "POST /api/work/import", path: `/api/work/import?${q({ employee: employee ?? undefined })}`, method: "POST", headers: { ...bearer, "content-type": "application/json" }, body })),
    "POST /api/work/screenshots": fc
      .tuple(fc.oneof(hostileInstant, fc.constant(new Date().toISOString())), mime, bytes)
      .map(([takenAt, type, body]) => ({ endpoint: "POST /api/work/screenshots", path: `/api/work/screenshots?${q({ takenAt })}`, method: "POST", headers: { ...bearer, "content-type": type }, body })),
    "GET /api/work/screenshots/<id>": get("GET /api/work/screenshots/<id>", pathSegment.map((s) => `/api/work/screenshots/${s}`)),
    "GET /api/work/report.csv": fc
      .tuple(fc.oneof(fc.constantFrom("0001-01", "275760-01", "2026-13", "2026-00", "", "abc", "2026-1", "9999-12"), hostileString), fc.option(id))
      .map(([month, employee]) => ({ endpoint: "GET /api/work/report.csv", path: `/api/work/report.csv?${q({ month, employee: employee ?? undefined })}`, method: "GET", headers: bearer })),
    "POST /api/appointments/attachments": fc
      .tuple(hostileString, fc.option(id), mime, bytes)
      .map(([fileName, appointmentId, type, body]) => ({
        endpoint: "POST /api/appointments/attachments",
        path: `/api/appointments/attachments?${q({ fileName, appointmentId: appointmentId ?? undefined })}`,
        method: "POST",
        headers: { ...bearer, "content-type": type },
        body,
      })),
    "GET /api/appointments/attachments/<id>": get("GET /api/appointments/attachments/<id>", pathSegment.map((s) => `/api/appointments/attachments/${s}`)),
    "GET /api/appointments/clients/<id>/progress.pdf": fc
      .tuple(fc.oneof(pathSegment, fc.constant(ids.Client ? localId(ids.Client) : "")), fc.option(hostileLocalDate), fc.option(hostileLocalDate))
      .map(([client, from, to]) => ({
        endpoint: "GET /api/appointments/clients/<id>/progress.pdf",
        path: `/api/appointments/clients/${client}/progress.pdf?${q({ from: from ?? undefined, to: to ?? undefined })}`,
        method: "GET",
        headers: bearer,
      })),
    "GET /api/invoices/<id>.pdf": get("GET /api/invoices/<id>.pdf", pathSegment.map((s) => `/api/invoices/${s}.pdf`)),
    "GET /api/appointments/feeds/<secret>.ics": get("GET /api/appointments/feeds/<secret>.ics", pathSegment.map((s) => `/api/appointments/feeds/${s}.ics`), {}),
    "POST /api/events": post("POST /api/events", "/api/events", jsonBody(fc.oneof(fc.record({ events: fc.array(analyticsEvent, { maxLength: 5 }) }), hostileJson)), fc.constant({ authorization: `Bearer ${writeKey}`, "content-type": "application/json" })),
    "POST /v1/<call>": fc
      .tuple(fc.constantFrom("batch", "track", "identify", "page", "screen", "alias", "group"), jsonBody(fc.oneof(fc.record({ batch: fc.array(hostileJson, { maxLength: 4 }) }), analyticsEvent, hostileJson)))
      .map(([call, body]) => ({ endpoint: "POST /v1/<call>", path: `/v1/${call}`, method: "POST", headers: { authorization: `Basic ${b64(`${writeKey}:`)}`, "content-type": "application/json" }, body })),
    "POST /batch/, /capture/, /e/": fc
      .tuple(fc.constantFrom("/batch/", "/capture/", "/e/"), fc.oneof(fc.record({ api_key: fc.constant(writeKey), batch: fc.array(hostileJson, { maxLength: 4 }) }), fc.record({ api_key: fc.constant(writeKey), event: hostileString, properties: hostileJson, timestamp: hostileInstant }), hostileJson))
      .map(([path, body]) => ({ endpoint: "POST /batch/, /capture/, /e/", path, method: "POST", headers: { "content-type": "application/json" }, body: text(body) })),
    "POST /mcp": post(
      "POST /mcp",
      "/mcp",
      jsonBody(fc.oneof(fc.record({ jsonrpc: fc.constant("2.0"), id: fc.oneof(fc.integer(), hostileString), method: fc.oneof(fc.constantFrom("tools/call", "tools/list", "initialize"), hostileString), params: fc.oneof(fc.record({ name: hostileString, arguments: hostileJson }), hostileJson) }), hostileJson)),
      fc.constant({ ...bearer, "content-type": "application/json", accept: "application/json, text/event-stream" }),
    ),
    "GET /graphql": get("GET /graphql", fc.tuple(hostileString, hostileString).map(([query, variables]) => `/graphql?${q({ query, variables })}`)),
    "POST /graphql (body)": post("POST /graphql (body)", "/graphql", jsonBody(fc.oneof(fc.record({ query: hostileString, variables: hostileJson, operationName: hostileString }), hostileJson)), json),
    "GET /<static file>": get("GET /<static file>", fc.array(pathSegment, { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join("/")}`), {}),
  };
}
