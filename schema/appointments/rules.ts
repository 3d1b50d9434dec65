// Pure rules of client sessions: custom field values, overlaps, working hours, free slots and
// local times in the workspace's time zone. No I/O; tested directly.
import { DateTime } from "luxon";
import { RE2JS } from "re2js";
import type { FieldProblem } from "../common/errors.js";
import { HH_MM, ISO_WITH_OFFSET, overlaps, type Interval } from "../common/time.js";
import { hoursOn, type WorkingHours } from "../identity/working-hours.js";
import { SLOT_MINUTES } from "./settings.js";

export const FIELD_TYPES = [
  "text",
  "textarea",
  "number",
  "boolean",
  "date",
  "datetime",
  "select",
  "multi_select",
  "image",
  "file",
  "signature",
  "array",
  "object",
  "team_member",
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldValidation {
  /** Numbers: smallest and largest value. Dates: earliest and latest (YYYY-MM-DD). */
  min?: number | string;
  max?: number | string;
  /** Text: characters. Multi-select and array: number of items. */
  minLength?: number;
  maxLength?: number;
  /** Text: a regular expression the whole value must match. */
  pattern?: string;
  /** Select and multi-select: the allowed choices. */
  options?: string[];
}

/** A field, or a sub-field of an object, or the item of an array (its `fields[0]`). */
export interface FieldSpec {
  key: string;
  label: string;
  type: FieldType;
  required: boolean;
  validation: FieldValidation;
  fields: FieldSpec[];
}

/** What a value may refer to, looked up by the caller before validating. */
export interface ValueLookups {
  isMember(id: string): boolean;
  /** The MIME type of an attachment this session may use, or null. */
  attachmentMime(id: string): string | null;
}

/** A file or image field's value that isn't one of the viewer's unused uploads or the session's files. */
export const NOT_A_SESSION_FILE = "Must be a file uploaded for this session";

/** Signatures are drawn on a canvas and kept inline as a PNG data URL. */
export const MAX_SIGNATURE_CHARS = 200_000;
const SIGNATURE = /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isEmpty(value: unknown) {
  return value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Every problem of a set of values against their fields: required ones missing, wrong types, rule
 * violations and unknown keys, each with its full path (e.g. fields.vitals.0.pulse).
 */
export function validateValues(specs: readonly FieldSpec[], values: unknown, path: string[], lookups: ValueLookups): FieldProblem[] {
  return valuesProblems(specs, values, path, { lookups, patternWork: new PatternWork() });
}

/** What one validation shares across its values: the lookups, and one budget for all format checks. */
interface Checking {
  lookups: ValueLookups;
  patternWork: PatternWork;
}

function valuesProblems(specs: readonly FieldSpec[], values: unknown, path: string[], checking: Checking): FieldProblem[] {
  if (!isPlainObject(values)) return [{ path, message: "Must be an object of field values" }];
  const problems: FieldProblem[] = [];
  const known = new Set(specs.map((s) => s.key));
  for (const key of Object.keys(values)) if (!known.has(key)) problems.push({ path: [...path, key], message: "Unknown field" });
  for (const spec of specs) problems.push(...valueProblems(spec, values[spec.key], [...path, spec.key], checking));
  return problems;
}

function valueProblems(spec: FieldSpec, value: unknown, path: string[], checking: Checking): FieldProblem[] {
  if (isEmpty(value)) return spec.required ? [{ path, message: "Required" }] : [];
  const problem = (message: string) => [{ path, message }];
  const v = spec.validation;
  const { lookups } = checking;
  switch (spec.type) {
    case "text":
    case "textarea":
      if (typeof value !== "string") return problem("Must be text");
      return checkText(value, v, path, checking.patternWork);
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return problem("Must be a number");
      if (typeof v.min === "number" && value < v.min) return problem(`Must be at least ${v.min}`);
      if (typeof v.max === "number" && value > v.max) return problem(`Must be at most ${v.max}`);
      return [];
    case "boolean":
      return typeof value === "boolean" ? [] : problem("Must be true or false");
    case "date":
      if (typeof value !== "string" || !LOCAL_DATE.test(value) || !DateTime.fromISO(value).isValid) return problem("Must be a date YYYY-MM-DD");
      if (typeof v.min === "string" && value < v.min) return problem(`Must be on or after ${v.min}`);
      if (typeof v.max === "string" && value > v.max) return problem(`Must be on or before ${v.max}`);
      return [];
    case "datetime":
      if (typeof value !== "string" || !ISO_WITH_OFFSET.test(value) || !DateTime.fromISO(value).isValid)
        return problem("Must be an ISO-8601 date and time with an offset");
      return [];
    case "select":
      if (typeof value !== "string") return problem("Must be one of the options");
      return (v.options ?? []).includes(value) ? [] : problem(`Must be one of: ${(v.options ?? []).join(", ")}`);
    case "multi_select":
      if (!Array.isArray(value) || value.some((x) => typeof x !== "string")) return problem("Must be a list of options");
      if (new Set(value).size !== value.length) return problem("Each option at most once");
      return [
        ...value.flatMap((x, i) => ((v.options ?? []).includes(x) ? [] : [{ path: [...path, String(i)], message: `Not an option: ${x}` }])),
        ...checkCount(value.length, v, path),
      ];
    case "image":
    case "file": {
      const mime = typeof value === "string" ? lookups.attachmentMime(value) : null;
      if (!mime) return problem(NOT_A_SESSION_FILE);
      return spec.type === "image" && !mime.startsWith("image/") ? problem("Must be an image") : [];
    }
    case "signature":
      if (typeof value !== "string" || !SIGNATURE.test(value)) return problem("Must be a signature drawn as a PNG image");
      return value.length > MAX_SIGNATURE_CHARS ? problem("The signature image is too large") : [];
    case "team_member":
      return typeof value === "string" && lookups.isMember(value) ? [] : problem("Must be a member of this workspace");
    case "object":
      return valuesProblems(spec.fields, value, path, checking);
    case "array": {
      if (!Array.isArray(value)) return problem("Must be a list");
      const item = spec.fields[0];
      const items = item ? value.flatMap((x, i) => valueProblems({ ...item, required: true }, x, [...path, String(i)], checking)) : [];
      return [...items, ...checkCount(value.length, v, path)];
    }
  }
}

function checkText(value: string, v: FieldValidation, path: string[], patternWork: PatternWork): FieldProblem[] {
  if (v.minLength !== undefined && value.length < v.minLength) return [{ path, message: `At least ${v.minLength} characters` }];
  if (v.maxLength !== undefined && value.length > v.maxLength) return [{ path, message: `At most ${v.maxLength} characters` }];
  if (!v.pattern) return [];
  const compiled = compilePattern(v.pattern);
  if (compiled && !patternWork.take(compiled.programSize() * (value.length + 1)))
    return [{ path, message: "Too much text to check against the fields' formats in one save; shorten it" }];
  return compiled?.matches(value) ? [] : [{ path, message: "Doesn't match the required format" }];
}

export const MAX_PATTERN_CHARS = 500;
/**
 * RE2 runs in time linear in the input, but times the size of the compiled program, and counted
 * repeats multiply that size: `(?:a?){1000}` alone is 2000 instructions. Beyond this size a pattern
 * is refused where it is defined.
 */
export const MAX_PATTERN_PROGRAM = 1000;
/**
 * The format checks of one validation may cost at most this many instructions x characters (some
 * 20 ms of matching at worst), whatever the body holds: an array of long values, or a field
 * defined before the size limit, is refused at the values it couldn't check rather than hold the
 * process for everyone.
 */
export const MAX_PATTERN_WORK = 2_000_000;

/** What is left of one validation's budget for format checks. */
class PatternWork {
  private left = MAX_PATTERN_WORK;
  /** Whether `cost` fits in what is left; if so, it is spent. */
  take(cost: number): boolean {
    if (cost > this.left) return false;
    this.left -= cost;
    return true;
  }
}

/** Compiled patterns by source: compiling costs more than most checks, and a save checks many values. */
const compiledPatterns = new Map<string, RE2JS | null>();
const MAX_COMPILED_PATTERNS = 500;

/**
 * Managers write patterns and anyone's input runs through them, so they run on RE2 (linear in the
 * input, whatever the pattern): a backtracking engine lets one pattern such as `(a+)+$` stall the
 * process for every workspace. Null when RE2 can't compile it (lookarounds, back-references).
 */
export function compilePattern(pattern: string): RE2JS | null {
  if (pattern.length > MAX_PATTERN_CHARS) return null;
  if (compiledPatterns.has(pattern)) return compiledPatterns.get(pattern)!;
  // The oldest goes first: the patterns in use are those of the fields defined, plus those tried out.
  if (compiledPatterns.size >= MAX_COMPILED_PATTERNS) compiledPatterns.delete(compiledPatterns.keys().next().value!);
  const result = tryCompile(pattern);
  compiledPatterns.set(pattern, result);
  return result;
}

function tryCompile(pattern: string): RE2JS | null {
  try {
    return RE2JS.compile(pattern);
  } catch {
    return null;
  }
}

/** Why a manager's pattern can't be a field's format, or null when it can. */
export function patternProblem(pattern: unknown): string | null {
  const program = typeof pattern === "string" ? compilePattern(pattern) : null;
  if (!program) return `Not a supported regular expression (RE2 syntax, no lookarounds or back-references, at most ${MAX_PATTERN_CHARS} characters)`;
  if (program.programSize() > MAX_PATTERN_PROGRAM)
    return `Too complex to check quickly: its repeats expand to more than ${MAX_PATTERN_PROGRAM} steps; use smaller counts, or minLength and maxLength for lengths`;
  return null;
}

function checkCount(count: number, v: FieldValidation, path: string[]): FieldProblem[] {
  if (v.minLength !== undefined && count < v.minLength) return [{ path, message: `At least ${v.minLength} items` }];
  if (v.maxLength !== undefined && count > v.maxLength) return [{ path, message: `At most ${v.maxLength} items` }];
  return [];
}

const KEY = /^[a-z][a-zA-Z0-9_]{0,62}$/;

/** A field definition itself (as a manager writes it), including nested sub-fields. */
export function validateSpec(spec: FieldSpec, path: string[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  // "validation.min" is two steps of the path, as the input nests them.
  const add = (field: string, message: string) => problems.push({ path: [...path, ...field.split(".")], message });
  if (!KEY.test(spec.key)) add("key", "Start with a lowercase letter; letters, digits and _ only (at most 63)");
  if (!spec.label.trim()) add("label", "Required");
  if (!FIELD_TYPES.includes(spec.type)) add("type", "Unknown type");
  const v = spec.validation;
  if (!isPlainObject(v as unknown)) return [...problems, { path: [...path, "validation"], message: "Must be an object" }];
  if (spec.type === "number" && ((v.min !== undefined && typeof v.min !== "number") || (v.max !== undefined && typeof v.max !== "number")))
    add("validation.min", "Numbers need numeric bounds");
  if (spec.type === "date" && [v.min, v.max].some((d) => d !== undefined && (typeof d !== "string" || !LOCAL_DATE.test(d))))
    add("validation.min", "Dates need YYYY-MM-DD bounds");
  if (typeof v.min === "number" && typeof v.max === "number" && v.min > v.max) add("validation.max", "Must not be below min");
  for (const k of ["minLength", "maxLength"] as const)
    if (v[k] !== undefined && (!Number.isInteger(v[k]) || v[k]! < 0)) add(`validation.${k}`, "Must be a whole number, 0 or more");
  if (v.minLength !== undefined && v.maxLength !== undefined && v.minLength > v.maxLength) add("validation.maxLength", "Must not be below minLength");
  const pattern = v.pattern === undefined ? null : patternProblem(v.pattern);
  if (pattern) add("validation.pattern", pattern);
  if (spec.type === "select" || spec.type === "multi_select") {
    // Written as JSON, so anything may stand here: only a list of texts is one.
    const options: unknown = v.options ?? [];
    if (!Array.isArray(options) || !options.length || options.some((o) => typeof o !== "string" || !o.trim()))
      add("validation.options", "List at least one non-empty option");
    else if (new Set(options).size !== options.length) add("validation.options", "Options must differ");
  }
  if (spec.type === "object") {
    if (!spec.fields.length) add("fields", "An object needs at least one sub-field");
    const keys = spec.fields.map((f) => f.key);
    if (new Set(keys).size !== keys.length) add("fields", "Sub-field keys must differ");
  }
  if (spec.type === "array" && spec.fields.length !== 1) add("fields", "An array needs exactly one item field");
  if (spec.type !== "object" && spec.type !== "array" && spec.fields.length) add("fields", "Only objects and arrays have sub-fields");
  spec.fields.forEach((f, i) => problems.push(...validateSpec(f, [...path, "fields", String(i)])));
  return problems;
}

export interface Booking extends Interval {
  id: string;
  clientId: string;
  staffId: string;
}

export interface Overlap {
  id: string;
  sameClient: boolean;
  sameStaff: boolean;
}

/** Other bookings sharing the client or the staff member and overlapping in time. */
export function findOverlaps(candidate: Booking, others: readonly Booking[]): Overlap[] {
  return others
    .filter((o) => o.id !== candidate.id && overlaps(candidate, o))
    .map((o) => ({ id: o.id, sameClient: o.clientId === candidate.clientId, sameStaff: o.staffId === candidate.staffId }))
    .filter((o) => o.sameClient || o.sameStaff);
}

/** The working-hours window of one local date, or null on a day off. */
function workingWindow(date: DateTime, hours: WorkingHours, timeZone: string): Interval | null {
  const day = hoursOn(hours, date.weekday);
  if (!day) return null;
  const start = localToInstant(date.toISODate()!, day.start, timeZone);
  const end = localToInstant(date.toISODate()!, day.end, timeZone);
  return start && end ? { start, end } : null;
}

/** Whether the whole session lies within one day's working hours, in the workspace time zone. */
export function withinWorkingHours(session: Interval, hours: WorkingHours, timeZone: string): boolean {
  const window = workingWindow(DateTime.fromJSDate(session.start, { zone: timeZone }), hours, timeZone);
  return !!window && session.start >= window.start && session.end <= window.end;
}

/** The hours of the local day an instant falls on, for a warning: "Fri 09:00-13:00, Europe/Berlin" or "Sat is a day off, …". */
export function workingHoursOfDay(at: Date, hours: WorkingHours, timeZone: string): string {
  const date = DateTime.fromJSDate(at, { zone: timeZone });
  const day = hoursOn(hours, date.weekday);
  const weekday = date.setLocale("en").toFormat("ccc");
  return `${day ? `${weekday} ${day.start}-${day.end}` : `${weekday} is a day off`}, ${timeZone}`;
}

/**
 * Free slots of `slotMinutes` on the slot grid within working hours, for local dates [from, to],
 * that overlap none of the busy intervals.
 */
export function freeSlots(from: string, to: string, hours: WorkingHours, timeZone: string, busy: readonly Interval[], slotMinutes: number): Interval[] {
  const slots: Interval[] = [];
  const last = DateTime.fromISO(to, { zone: timeZone });
  for (let day = DateTime.fromISO(from, { zone: timeZone }); day <= last; day = day.plus({ days: 1 })) {
    const window = workingWindow(day, hours, timeZone);
    if (!window) continue;
    for (let t = window.start.getTime(); t + slotMinutes * 60_000 <= window.end.getTime(); t += slotMinutes * 60_000) {
      const slot = { start: new Date(t), end: new Date(t + slotMinutes * 60_000) };
      if (!busy.some((b) => overlaps(slot, b))) slots.push(slot);
    }
  }
  return slots;
}

/**
 * The instant of a local date and 24-hour time in a time zone. A time that occurs twice (clocks go
 * back) is its first occurrence; a time that doesn't exist (clocks go forward) is null.
 */
export function localToInstant(date: string, time: string, timeZone: string): Date | null {
  const hm = HH_MM.exec(time);
  const d = LOCAL_DATE.test(date) ? DateTime.fromISO(date, { zone: "UTC" }) : null;
  if (!hm || !d?.isValid) return null;
  const naive = Date.UTC(d.year, d.month - 1, d.day, Number(hm[1]), Number(hm[2]));
  // The zone's offsets a day either side cover both sides of any transition that day.
  const offsets = new Set([-1, 0, 1].map((days) => DateTime.fromMillis(naive + days * 86_400_000, { zone: timeZone }).offset));
  const matches = [...offsets]
    .map((offset) => naive - offset * 60_000)
    .filter((ms) => {
      const local = DateTime.fromMillis(ms, { zone: timeZone });
      return local.toISODate() === date && local.toFormat("HH:mm") === time;
    })
    .sort((a, b) => a - b);
  return matches.length ? new Date(matches[0]) : null;
}

export type CalendarView = "day" | "week" | "month";

/** The local dates a calendar view shows around `date`; a week starts on the ISO weekday `weekStart` (1 = Monday). */
export function visibleDates(view: CalendarView, date: string, weekStart: number): { from: string; to: string } {
  const d = DateTime.fromISO(date, { zone: "UTC" });
  if (view === "week") {
    const from = d.minus({ days: (d.weekday - weekStart + 7) % 7 });
    return { from: from.toISODate()!, to: from.plus({ days: 6 }).toISODate()! };
  }
  const unit = view === "day" ? "day" : "month";
  return { from: d.startOf(unit).toISODate()!, to: d.endOf(unit).toISODate()! };
}

/** What an invoice line takes from a client session: its description, date, client, price and length, and that it was held. */
export interface BilledFacts {
  name: string;
  clientId: string;
  serviceId: string | null;
  startsAt: Date;
  durationMinutes: number;
  status: string;
}

/** Whether an edit changes what the session's invoice line was made from (staff and notes it doesn't). */
export function changesBilledFacts(before: BilledFacts, after: BilledFacts): boolean {
  return (
    before.name !== after.name ||
    before.clientId !== after.clientId ||
    before.serviceId !== after.serviceId ||
    before.startsAt.getTime() !== after.startsAt.getTime() ||
    before.durationMinutes !== after.durationMinutes ||
    before.status !== after.status
  );
}

/** Client names in shared calendars: "Jane van Dyke" -> "J. v. D." */
export function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => `${part[0]}.`)
    .join(" ");
}

export interface SettingsChanges {
  defaultDurationMinutes?: number | null;
  defaultStatus?: string | null;
  defaultTime?: string | null;
  slotMinutes?: number | null;
  autoStatus?: boolean | null;
  clientNamesInFeeds?: boolean | null;
}

/** What is wrong with new appointment settings; those not given are not checked. */
export function settingsProblems(input: SettingsChanges): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path: [path], message });
  if (input.defaultDurationMinutes != null && (input.defaultDurationMinutes < 1 || input.defaultDurationMinutes > 24 * 60))
    add("defaultDurationMinutes", "Between 1 and 1440 minutes");
  if (input.defaultTime != null && !HH_MM.test(input.defaultTime)) add("defaultTime", "Use 24-hour HH:mm");
  if (input.slotMinutes != null && !SLOT_MINUTES.includes(input.slotMinutes as never)) add("slotMinutes", "One of 5, 10, 15, 20, 30 or 60");
  return problems;
}

/** What is wrong with a free-slots request's dates and slot size (at most 31 days, 5 to 480 minutes). */
export function freeSlotsProblems(from: string, to: string, slotMinutes: number | null | undefined): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (to < from) problems.push({ path: ["to"], message: "Must not be before from" });
  else if (DateTime.fromISO(to).diff(DateTime.fromISO(from), "days").days > 30) problems.push({ path: ["to"], message: "At most 31 days" });
  if (slotMinutes != null && (slotMinutes < 5 || slotMinutes > 480)) problems.push({ path: ["slotMinutes"], message: "Between 5 and 480 minutes" });
  return problems;
}

/** A value of a numeric or choice field, where a session or an evaluation recorded it. */
export interface ProgressPoint {
  at: Date;
  value: number | string;
}

/**
 * A client's progress over time: for each number or single-choice field, its values in the order
 * they were recorded (sessions and evaluations together); fields never filled in are left out.
 */
export function progressSeries<F extends { key: string; type: string }>(fields: readonly F[], records: readonly { at: Date; values: Record<string, unknown> }[]) {
  const sorted = [...records].sort((a, b) => a.at.getTime() - b.at.getTime());
  return fields
    .filter((f) => f.type === "number" || f.type === "select")
    .map((field) => ({
      field,
      points: sorted.flatMap((r): ProgressPoint[] => {
        const value = r.values[field.key];
        return typeof value === "number" || typeof value === "string" ? [{ at: r.at, value }] : [];
      }),
    }))
    .filter((s) => s.points.length > 0);
}

/** How often each answer of a choice field was given, the most given first (ties by name). */
export function answerCounts(points: readonly ProgressPoint[]): [answer: string, times: number][] {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(String(p.value), (counts.get(String(p.value)) ?? 0) + 1);
  return [...counts].sort(([a, m], [b, n]) => n - m || a.localeCompare(b));
}

export const MAX_SERIES_WEEKS = 8;
export const MAX_SERIES_OCCURRENCES = 52;

export interface Repeat {
  everyWeeks: number;
  /** The last local date an occurrence may fall on (YYYY-MM-DD)... */
  until?: string | null;
  /** ...or the number of occurrences. */
  count?: number | null;
}

/** What is wrong with a series' repeat rule for a first session on `first` (a local date); paths under `repeat`. */
export function repeatProblems(first: string, repeat: Repeat): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ path: ["repeat", field], message });
  if (!Number.isInteger(repeat.everyWeeks) || repeat.everyWeeks < 1 || repeat.everyWeeks > MAX_SERIES_WEEKS)
    add("everyWeeks", `Every 1 to ${MAX_SERIES_WEEKS} weeks`);
  if ((repeat.until == null) === (repeat.count == null)) add("until", "Give either an end date or a number of sessions");
  if (repeat.count != null && (!Number.isInteger(repeat.count) || repeat.count < 1 || repeat.count > MAX_SERIES_OCCURRENCES))
    add("count", `Between 1 and ${MAX_SERIES_OCCURRENCES} sessions`);
  if (repeat.until != null) {
    if (!LOCAL_DATE.test(repeat.until) || !DateTime.fromISO(repeat.until).isValid) add("until", "Must be a date YYYY-MM-DD");
    else if (repeat.until < first) add("until", "Must not be before the first session");
    else if (problems.length === 0 && seriesDates(first, repeat).length > MAX_SERIES_OCCURRENCES)
      add("until", `At most ${MAX_SERIES_OCCURRENCES} sessions; choose an earlier end date`);
  }
  return problems;
}

/**
 * The local dates of a series: the first, then every `everyWeeks` weeks (so the same weekday), until
 * the end date or the count. Dates, not instants: each is turned into an instant at the series' wall
 * time on its own day, so 10:00 stays 10:00 across a change of the clocks. Stops one past the limit,
 * so a caller can tell "too many".
 */
export function seriesDates(first: string, repeat: Repeat): string[] {
  const start = DateTime.fromISO(first, { zone: "UTC" });
  const dates: string[] = [];
  for (let i = 0; i <= MAX_SERIES_OCCURRENCES; i++) {
    const date = start.plus({ weeks: i * repeat.everyWeeks }).toISODate()!;
    if (repeat.count != null ? i >= repeat.count : date > repeat.until!) break;
    dates.push(date);
  }
  return dates;
}

/**
 * Where a later occurrence of a series goes when an earlier one moved from `before` to `after`: as
 * many local days along, at the new wall-clock time when the time changed (else at its own). Null
 * when that time doesn't exist on its day (the clocks go forward).
 */
export function moveAlong(occurrence: Date, before: Date, after: Date, timeZone: string): Date | null {
  const local = (d: Date) => DateTime.fromJSDate(d, { zone: timeZone });
  const [b, a, o] = [local(before), local(after), local(occurrence)];
  const day = (d: DateTime) => DateTime.fromISO(d.toISODate()!, { zone: "UTC" });
  const days = Math.round(day(a).diff(day(b), "days").days);
  const time = a.toFormat("HH:mm") !== b.toFormat("HH:mm") ? a.toFormat("HH:mm") : o.toFormat("HH:mm");
  return localToInstant(day(o).plus({ days }).toISODate()!, time, timeZone);
}
