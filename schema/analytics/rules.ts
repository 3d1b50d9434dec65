// Pure rules of user sessions: batch validation, sessionisation, business events, flows, summaries.
import { createHash } from "node:crypto";
import { isbot } from "isbot";
import { INPUT_LIMITS, inputProblems } from "../common/input-limits.js";
import { unstorableText } from "../common/text.js";
import { daysBetween, parseTimestamp } from "../common/time.js";

// ---------------------------------------------------------------- settings

export interface AnalyticsSettings {
  /** A new session starts after this long without events. */
  inactivityMinutes: number;
}

/** The workspace's analytics settings, read defensively from its settings JSON. */
export function analyticsSettings(settings: unknown): AnalyticsSettings {
  const minutes = (settings as { analytics?: { inactivityMinutes?: unknown } } | null)?.analytics?.inactivityMinutes;
  return { inactivityMinutes: typeof minutes === "number" && minutes >= 1 && minutes <= 24 * 60 ? minutes : 30 };
}

/** However busy, a session ends after 24 hours: a user who never leaves still gets daily sessions. */
export const MAX_SESSION_MS = 24 * 3600_000;

// ---------------------------------------------------------------- batch validation

export interface AnalyticsEvent {
  eventId: string;
  /** The user's id, or the anonymous id of a user not yet identified. */
  userKey: string;
  identified: boolean;
  clientSessionId: string | null;
  name: string;
  timestamp: Date;
  properties: Record<string, unknown>;
  userAgent: string | null;
  environment: string | null;
  /** The timestamp was in the future beyond the allowed clock skew and was set to the receive time. */
  clampedTimestamp: boolean;
  /** What an identify or alias says: this id stands for that user from now on. */
  link: LinkRequest | null;
}

export interface LinkRequest {
  /** The anonymous (or previous) id. */
  fromId: string;
  /** The user id it stands for. */
  toId: string;
}

export interface Rejection {
  index: number;
  eventId: string | null;
  reason: string;
}

export const MAX_EVENTS_PER_BATCH = 5000;
/** Client clocks drift; beyond this a timestamp is clamped to the receive time (and flagged). */
const FUTURE_SKEW_MS = 5 * 60_000;
/** Events older than this are refused: their sessions were finalised long ago. */
export const MAX_AGE_MS = 30 * 86_400_000;
const MAX_PROPERTIES_CHARS = 32_000;

function text(value: unknown, max: number): string | undefined {
  return typeof value === "string" && value.length >= 1 && value.length <= max ? value : undefined;
}

function optionalText(value: unknown, max: number): string | null | undefined {
  return value == null ? null : text(value, max);
}

/**
 * How deeply an event's JSON may nest. Anything recursive (JSON.stringify, an SDK message's content
 * hash) runs out of stack on JSON thousands of levels deep, which JSON.parse reads without trouble:
 * a RangeError, a 500. 64 levels is more than any SDK sends, and far within what PostgreSQL's jsonb
 * parser (bounded by its own stack depth) stores. Lists stay unbounded: properties are bounded by
 * their length as JSON, messages by the body size.
 */
export const EVENT_JSON_LIMITS = { depth: 64, listItems: Infinity } as const;

/** JSON.stringify's text, or null for JSON nested too deep for it (it runs out of stack). */
function jsonText(value: unknown): string | null {
  try {
    return JSON.stringify(value);
  } catch {
    return null;
  }
}

/**
 * Whether JSON's text alone shows the walk in jsonProblem would find nothing, as it does for almost
 * every event (walking each one cost ingestion 5 µs an event): no \u escape (JSON.stringify writes
 * NUL and lone surrogates as one), no string longer than any text may be, and fewer opening
 * brackets, in strings or not, than the depth allowed.
 */
function plainAndShallow(json: string): boolean {
  if (json.length > INPUT_LIMITS.stringChars || json.includes("\\u")) return false;
  let openings = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if ((c === 123 || c === 91) && ++openings > EVENT_JSON_LIMITS.depth) return false; // { [
  }
  return true;
}

/**
 * The first problem in JSON fields as a rejection reason ("properties nested more than 64 levels
 * deep"): too deep, or text PostgreSQL text and jsonb cannot hold (valid JSON, yet never storable).
 * Iterative, so it is safe on any input, and must run before anything recursive touches the value.
 */
export function jsonProblem(fields: Record<string, unknown>, json = jsonText(fields)): string | null {
  if (json !== null && plainAndShallow(json)) return null;
  const [problem] = inputProblems(fields, [], EVENT_JSON_LIMITS);
  return problem ? `${problem.path[0]} ${problem.message[0].toLowerCase()}${problem.message.slice(1)}` : null;
}

function parseEvent(raw: unknown, now: Date): AnalyticsEvent | string {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return "must be an object";
  const e = raw as Record<string, unknown>;
  const badText = Object.values(e).map((v) => (typeof v === "string" ? unstorableText(v) : null)).find(Boolean);
  if (badText) return `text ${badText}`;
  const eventId = text(e.eventId, 200);
  if (!eventId) return "eventId must be a string of 1 to 200 characters";
  const userId = optionalText(e.userId, 200);
  const anonymousId = optionalText(e.anonymousId, 200);
  if (userId === undefined) return "userId must be a string of 1 to 200 characters";
  if (anonymousId === undefined) return "anonymousId must be a string of 1 to 200 characters";
  if (!userId && !anonymousId) return "userId or anonymousId is required";
  const clientSessionId = optionalText(e.sessionId, 200);
  if (clientSessionId === undefined) return "sessionId must be a string of 1 to 200 characters";
  const name = text(e.name, 200);
  if (!name) return "name must be a string of 1 to 200 characters";
  let timestamp = parseTimestamp(e.timestamp);
  if (!timestamp) return "timestamp must be ISO-8601 with an offset";
  if (timestamp.getTime() < now.getTime() - MAX_AGE_MS) return "timestamp is more than 30 days old";
  const clampedTimestamp = timestamp.getTime() > now.getTime() + FUTURE_SKEW_MS;
  if (clampedTimestamp) timestamp = now;
  const properties = e.properties ?? {};
  if (typeof properties !== "object" || properties === null || Array.isArray(properties)) return "properties must be an object";
  const json = jsonText(properties);
  const badProperties = jsonProblem({ properties }, json);
  if (badProperties) return badProperties;
  if (json!.length > MAX_PROPERTIES_CHARS) return `properties must be under ${MAX_PROPERTIES_CHARS} characters as JSON`;
  const userAgent = optionalText(e.userAgent, 1000);
  if (userAgent === undefined) return "userAgent must be a string of up to 1000 characters";
  const environment = optionalText(e.environment, 100);
  if (environment === undefined) return "environment must be a string of up to 100 characters";
  const link = linkOf(name, userId, anonymousId, properties as Record<string, unknown>);
  if (typeof link === "string") return link;
  return {
    eventId,
    userKey: userId ?? anonymousId!,
    identified: Boolean(userId),
    clientSessionId,
    name,
    timestamp,
    properties: properties as Record<string, unknown>,
    userAgent,
    environment,
    clampedTimestamp,
    link,
  };
}

/**
 * The link an identify ($identify: the anonymous id in `$anon_distinct_id` or `anonymousId` becomes
 * the user id) or an alias ($create_alias: the `alias` id becomes the user id) asks for; a reason
 * naming the field when it can't say who is who. An anonymous alias (posthog-js `alias(newId)` before
 * identifying) goes the other way: the anonymous sender becomes the alias.
 */
function linkOf(name: string, userId: string | null, anonymousId: string | null, properties: Record<string, unknown>): LinkRequest | null | string {
  const differ = (fromId: string, toId: string) => (fromId === toId ? null : { fromId, toId });
  if (name === "$identify") {
    if (!userId) return "userId is required for $identify";
    const from = properties.$anon_distinct_id ?? anonymousId;
    if (from == null) return null;
    const fromId = text(from, 200);
    return fromId ? differ(fromId, userId) : "properties.$anon_distinct_id must be a string of 1 to 200 characters";
  }
  if (name === "$create_alias") {
    const alias = text(properties.alias, 200);
    if (!alias) return "properties.alias must be a string of 1 to 200 characters";
    return userId ? differ(alias, userId) : differ(anonymousId!, alias);
  }
  return null;
}

/** Every event is checked on its own: the good ones go on, each bad one is reported with its reason. */
export function validateBatch(raw: unknown, now = new Date()): { events: AnalyticsEvent[]; rejected: Rejection[] } {
  const list = (raw as { events?: unknown })?.events;
  if (!Array.isArray(list)) return { events: [], rejected: [{ index: -1, eventId: null, reason: 'body must be {"events": [...]}' }] };
  if (list.length > MAX_EVENTS_PER_BATCH)
    return { events: [], rejected: [{ index: -1, eventId: null, reason: `at most ${MAX_EVENTS_PER_BATCH} events per batch` }] };
  const events: AnalyticsEvent[] = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  list.forEach((item, index) => {
    const parsed = parseEvent(item, now);
    const eventId = typeof (item as { eventId?: unknown })?.eventId === "string" ? (item as { eventId: string }).eventId : null;
    if (typeof parsed === "string") rejected.push({ index, eventId, reason: parsed });
    else if (seen.has(parsed.eventId)) rejected.push({ index, eventId, reason: "eventId appears twice in this batch" });
    else {
      seen.add(parsed.eventId);
      events.push(parsed);
    }
  });
  return { events, rejected };
}

// ---------------------------------------------------------------- identities

/**
 * The links after a batch's requests (in event order) are added to `stored` (from → to, each one hop):
 * an id already linked keeps its link (the first link wins), a link to a linked id goes on to where
 * that one leads, and ids that led to a newly linked id move on with it (two user ids merged by
 * alias). `stored` must hold every stored link from or to the ids the requests name.
 */
export function addLinks(stored: ReadonlyMap<string, string>, requests: LinkRequest[]) {
  const links = new Map(stored);
  for (const { fromId, toId } of requests) {
    const to = links.get(toId) ?? toId;
    if (links.has(fromId) || fromId === to) continue;
    for (const [from, target] of links) if (target === fromId) links.set(from, to);
    links.set(fromId, to);
  }
  const created = [...links].filter(([from]) => !stored.has(from)).map(([fromId, toId]) => ({ fromId, toId }));
  const moved = [...stored].filter(([from, to]) => links.get(from) !== to).map(([fromId]) => ({ fromId, toId: links.get(fromId)! }));
  return { links, created, moved };
}

// ---------------------------------------------------------------- traffic flags

const DEV_ENVIRONMENTS = new Set(["development", "dev", "local", "test", "testing"]);

export function isDevEnvironment(environment: string | null): boolean {
  return environment !== null && DEV_ENVIRONMENTS.has(environment.toLowerCase());
}

export function isBotAgent(userAgent: string | null): boolean {
  return userAgent !== null && isbot(userAgent);
}

// ---------------------------------------------------------------- sessionisation

export interface SessionSpan {
  id: string;
  startedAt: Date;
  lastEventAt: Date;
  /** Already in the database (as opposed to created by this batch). */
  stored: boolean;
}

export interface SessionPlan {
  /** The session of each event, by its index in the input. */
  sessionOf: string[];
  /** Every session the events landed in, with its new bounds. */
  sessions: SessionSpan[];
  /** Stored sessions folded into another because an event bridged the gap between them. */
  merged: { goneId: string; intoId: string }[];
}

const spanMs = (s: SessionSpan, t: Date) => Math.max(+s.lastEventAt, +t) - Math.min(+s.startedAt, +t);

/**
 * Places one user's events (without a client session id) into their sessions. An event joins the
 * session it falls within the inactivity gap of (late and out-of-order ones included) unless that
 * would stretch it past 24 hours; otherwise it starts a new one. An event that closes the gap
 * between two sessions makes them one; the stored (earlier) one survives.
 */
export function sessionise(existing: SessionSpan[], timestamps: Date[], gapMs: number, newId: () => string): SessionPlan {
  const sessions = existing.map((s) => ({ ...s })).sort((a, b) => +a.startedAt - +b.startedAt);
  const sessionOf: string[] = new Array(timestamps.length);
  const touched = new Set<string>();
  const merged: { goneId: string; intoId: string }[] = [];
  const order = timestamps.map((_, i) => i).sort((a, b) => +timestamps[a] - +timestamps[b]);
  for (const i of order) {
    const t = timestamps[i];
    const distance = (s: SessionSpan) => Math.max(0, +s.startedAt - +t, +t - +s.lastEventAt);
    const candidates = sessions.filter((s) => distance(s) <= gapMs && spanMs(s, t) <= MAX_SESSION_MS);
    let target = candidates.sort((a, b) => distance(a) - distance(b))[0];
    if (!target) {
      target = { id: newId(), startedAt: t, lastEventAt: t, stored: false };
      sessions.push(target);
      sessions.sort((a, b) => +a.startedAt - +b.startedAt);
    }
    if (t < target.startedAt) target.startedAt = t;
    if (t > target.lastEventAt) target.lastEventAt = t;
    sessionOf[i] = target.id;
    touched.add(target.id);
    mergeBridged(sessions, gapMs, (gone, into) => {
      touched.add(into.id);
      touched.delete(gone.id);
      for (let k = 0; k < sessionOf.length; k++) if (sessionOf[k] === gone.id) sessionOf[k] = into.id;
      for (const m of merged) if (m.intoId === gone.id) m.intoId = into.id;
      if (gone.stored) merged.push({ goneId: gone.id, intoId: into.id });
    });
  }
  return { sessionOf, sessions: sessions.filter((s) => touched.has(s.id)), merged };
}

/**
 * One visitor's stored sessions (none with a client session id) that now touch, made one: what a
 * late identify leaves when it puts an anonymous visit next to the user's own. The earlier survives.
 */
export function mergeTouching(spans: SessionSpan[], gapMs: number): { merged: { goneId: string; intoId: string }[]; sessions: SessionSpan[] } {
  const sessions = spans.map((s) => ({ ...s })).sort((a, b) => +a.startedAt - +b.startedAt);
  const merged: { goneId: string; intoId: string }[] = [];
  mergeBridged(sessions, gapMs, (gone, into) => {
    for (const m of merged) if (m.intoId === gone.id) m.intoId = into.id;
    merged.push({ goneId: gone.id, intoId: into.id });
  });
  return { merged, sessions };
}

function mergeBridged(sessions: SessionSpan[], gapMs: number, onMerge: (gone: SessionSpan, into: SessionSpan) => void) {
  for (let i = 0; i + 1 < sessions.length; ) {
    const [first, second] = [sessions[i], sessions[i + 1]];
    const combinedMs = Math.max(+first.lastEventAt, +second.lastEventAt) - +first.startedAt;
    if (+second.startedAt - +first.lastEventAt > gapMs || combinedMs > MAX_SESSION_MS) {
      i++;
      continue;
    }
    const into = first.stored || !second.stored ? first : second;
    const gone = into === first ? second : first;
    into.startedAt = first.startedAt;
    into.lastEventAt = new Date(Math.max(+first.lastEventAt, +second.lastEventAt));
    sessions.splice(sessions.indexOf(gone), 1);
    onMerge(gone, into);
  }
}

// ---------------------------------------------------------------- business events

export type ConditionOp = "eq" | "neq" | "exists" | "contains" | "gt" | "lt";
export const CONDITION_OPS: readonly ConditionOp[] = ["eq", "neq", "exists", "contains", "gt", "lt"];

export interface Condition {
  property: string;
  op: ConditionOp;
  value?: unknown;
}

export interface BusinessEventRule {
  name: string;
  eventName: string;
  conditions: Condition[];
  descriptionTemplate: string;
  parameters: string[];
  isError: boolean;
}

export interface RawForMatching {
  eventId: string;
  name: string;
  timestamp: Date;
  properties: Record<string, unknown>;
}

export interface BusinessEvent {
  position: number;
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  isError: boolean;
  occurredAt: Date;
  rawEventId: string;
}

/** A property by dotted path ("plan.name"). */
export function propertyAt(properties: Record<string, unknown>, path: string): unknown {
  let value: unknown = properties;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function holds(c: Condition, properties: Record<string, unknown>): boolean {
  const actual = propertyAt(properties, c.property);
  switch (c.op) {
    case "exists":
      return actual !== undefined && actual !== null;
    case "eq":
      return actual === c.value;
    case "neq":
      return actual !== c.value;
    case "contains":
      return typeof actual === "string" && typeof c.value === "string" && actual.toLowerCase().includes(c.value.toLowerCase());
    case "gt":
      return typeof actual === "number" && typeof c.value === "number" && actual > c.value;
    case "lt":
      return typeof actual === "number" && typeof c.value === "number" && actual < c.value;
  }
}

const show = (value: unknown) => (value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value));

/** "Created project {{project.name}}" with the raw event's properties filled in. */
export function renderTemplate(template: string, properties: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_m, path: string) => show(propertyAt(properties, path))).trim();
}

/** A session's business events in time order, numbered from 1; a raw event may match several definitions. */
export function matchBusinessEvents(events: RawForMatching[], rules: BusinessEventRule[]): BusinessEvent[] {
  const sorted = [...events].sort((a, b) => +a.timestamp - +b.timestamp);
  const found: BusinessEvent[] = [];
  for (const e of sorted) {
    for (const rule of rules) {
      if (rule.eventName !== e.name || !rule.conditions.every((c) => holds(c, e.properties))) continue;
      const parameters: Record<string, unknown> = {};
      for (const p of rule.parameters) {
        const value = propertyAt(e.properties, p);
        if (value !== undefined) parameters[p] = value;
      }
      found.push({
        position: found.length + 1,
        name: rule.name,
        description: renderTemplate(rule.descriptionTemplate, e.properties) || rule.name,
        parameters,
        isError: rule.isError,
        occurredAt: e.timestamp,
        rawEventId: e.eventId,
      });
    }
  }
  return found;
}

// ---------------------------------------------------------------- flows

export interface FlowRule {
  id: string;
  name: string;
  steps: string[];
  errorEvents: string[];
  repeatedStepIsMistake: boolean;
  stepBackIsMistake: boolean;
}

export type Outcome = "completed" | "mistakes" | "dropped_off";

export interface FlowResult {
  flowId: string;
  flowName: string;
  outcome: Outcome;
  lastStep: string;
  mistakeCount: number;
  startedAt: Date;
  endedAt: Date;
}

/**
 * How a session went through one flow. The flow starts at its first step and ends when its last
 * step is reached; on the way, errors, a step done again and a step going back are mistakes.
 * Completed without mistakes: Completed; with: Mistakes; never finished: Dropped-off at the last
 * step reached. Skipping ahead is allowed (optional steps).
 */
export function flowOutcome(events: BusinessEvent[], flow: FlowRule): FlowResult | null {
  const last = flow.steps.length - 1;
  let reached = -1;
  let mistakes = 0;
  let startedAt: Date | null = null;
  let endedAt: Date | null = null;
  for (const e of events) {
    const step = flow.steps.indexOf(e.name);
    if (startedAt === null) {
      if (step !== 0) continue;
      startedAt = e.occurredAt;
    }
    endedAt = e.occurredAt;
    if (e.isError || flow.errorEvents.includes(e.name)) mistakes++;
    else if (step === -1) continue;
    else if (step > reached) reached = step;
    else if (step === reached) mistakes += flow.repeatedStepIsMistake ? 1 : 0;
    else mistakes += flow.stepBackIsMistake ? 1 : 0;
    if (reached === last) break;
  }
  if (startedAt === null || endedAt === null) return null;
  const outcome: Outcome = reached < last ? "dropped_off" : mistakes ? "mistakes" : "completed";
  return { flowId: flow.id, flowName: flow.name, outcome, lastStep: flow.steps[reached], mistakeCount: mistakes, startedAt, endedAt };
}

export function flowOutcomes(events: BusinessEvent[], flows: FlowRule[]): FlowResult[] {
  return flows.map((f) => flowOutcome(events, f)).filter((r): r is FlowResult => r !== null);
}

// ---------------------------------------------------------------- previews

export interface BusinessEventPreview {
  sessions: number;
  matchingSessions: number;
  matches: number;
}

/** What an unsaved business-event definition would find in these sessions (each its raw events). */
export function previewBusinessEvent(sessions: RawForMatching[][], rule: BusinessEventRule): BusinessEventPreview {
  const found = sessions.map((events) => matchBusinessEvents(events, [rule]).length);
  return { sessions: sessions.length, matchingSessions: found.filter((n) => n > 0).length, matches: found.reduce((a, b) => a + b, 0) };
}

export interface FlowPreview {
  sessions: number;
  started: number;
  completed: number;
  withMistakes: number;
  droppedOff: number;
  /** Where those who dropped off stopped: the last step they reached, with how many, most first. */
  dropOffSteps: { step: string; sessions: number }[];
}

/** What an unsaved flow would make of these sessions, with the app's business-event rules. */
export function previewFlow(sessions: RawForMatching[][], rules: BusinessEventRule[], flow: FlowRule): FlowPreview {
  const results = sessions.map((events) => flowOutcome(matchBusinessEvents(events, rules), flow)).filter((r): r is FlowResult => r !== null);
  const count = (outcome: Outcome) => results.filter((r) => r.outcome === outcome).length;
  const stops = new Map<string, number>();
  for (const r of results) if (r.outcome === "dropped_off") stops.set(r.lastStep, (stops.get(r.lastStep) ?? 0) + 1);
  return {
    sessions: sessions.length,
    started: results.length,
    completed: count("completed"),
    withMistakes: count("mistakes"),
    droppedOff: count("dropped_off"),
    dropOffSteps: [...stops].map(([step, n]) => ({ step, sessions: n })).sort((a, b) => b.sessions - a.sessions || flow.steps.indexOf(a.step) - flow.steps.indexOf(b.step)),
  };
}

// ---------------------------------------------------------------- summaries

export interface SummaryInput {
  durationSeconds: number;
  rawEventCount: number;
  businessEvents: BusinessEvent[];
  outcomes: FlowResult[];
}

export interface Summary {
  source: "deterministic" | "llm";
  title: string;
  tldr: string;
  narrative: string;
  /** The description of each business event, by position (1-based; index 0 is position 1). */
  eventDescriptions: string[];
}

/** 4:12, or 1:02:03 past an hour. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (n: number) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const flowSeconds = (r: FlowResult) => Math.round((+r.endedAt - +r.startedAt) / 1000);

function outcomePhrase(r: FlowResult): string {
  if (r.outcome === "dropped_off") return `Dropped off ${r.flowName} at ${r.lastStep}`;
  return `Completed ${r.flowName}${r.outcome === "mistakes" ? " with mistakes" : ""}`;
}

const errorCount = (input: SummaryInput) => input.businessEvents.filter((e) => e.isError).length;

function title(input: SummaryInput): string {
  if (input.outcomes.length) {
    const [first, ...rest] = input.outcomes;
    return rest.length ? `${outcomePhrase(first)} (+${plural(rest.length, "more flow")})` : outcomePhrase(first);
  }
  const names = [...new Set(input.businessEvents.map((e) => e.name))];
  if (!names.length) return `Visit with ${plural(input.rawEventCount, "raw event")}`;
  return names.length > 2 ? `${names.slice(0, 2).join(", ")} and ${names.length - 2} more` : names.join(" and ");
}

function tldr(input: SummaryInput): string {
  const lead = input.outcomes[0];
  const parts = [
    lead ? `${outcomePhrase(lead)} ${lead.outcome === "dropped_off" ? "after" : "in"} ${clock(flowSeconds(lead))}` : `Active for ${clock(input.durationSeconds)}`,
    plural(input.businessEvents.length, "business event"),
  ];
  const errors = errorCount(input);
  if (errors) parts.push(plural(errors, "error"));
  return parts.join(" - ");
}

function narrative(input: SummaryInput): string {
  const sentences = [`The session lasted ${clock(input.durationSeconds)} with ${plural(input.rawEventCount, "raw event")}.`];
  const events = input.businessEvents;
  if (events.length) {
    const shown = events.slice(0, 8).map((e) => e.name);
    sentences.push(`The user went through ${shown.join(", ")}${events.length > shown.length ? ` and ${events.length - shown.length} more` : ""}.`);
  } else sentences.push("No business events were recognised.");
  for (const r of input.outcomes) {
    if (r.outcome === "dropped_off") sentences.push(`They started ${r.flowName} but stopped at ${r.lastStep} after ${clock(flowSeconds(r))}.`);
    else sentences.push(`They completed ${r.flowName} in ${clock(flowSeconds(r))}${r.mistakeCount ? ` with ${plural(r.mistakeCount, "mistake")}` : ""}.`);
  }
  const errors = events.filter((e) => e.isError);
  if (errors.length) sentences.push(`Errors: ${errors.map((e) => `${e.name} (#${e.position})`).join(", ")}.`);
  return sentences.join(" ");
}

/** The default summariser: needs no model, and says the same for the same session every time. */
export function summarise(input: SummaryInput): Summary {
  return {
    source: "deterministic",
    title: title(input),
    tldr: tldr(input),
    narrative: narrative(input),
    eventDescriptions: input.businessEvents.map((e) => e.description),
  };
}

/** What a summary is made from, hashed: the summary is made again only when this changes. */
export function summaryInputHash(input: SummaryInput): string {
  const canonical = {
    d: input.durationSeconds,
    r: input.rawEventCount,
    e: input.businessEvents.map((e) => [e.position, e.name, e.description, e.parameters, e.isError, +e.occurredAt]),
    o: input.outcomes.map((o) => [o.flowName, o.outcome, o.lastStep, o.mistakeCount, +o.startedAt, +o.endedAt]),
  };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}

// ---- User Activity ----

/** A chart of every day is only readable, and only cheap to count, for a bounded range. */
export const ACTIVITY_MAX_DAYS = 366;

/** How many business events the activity lists, most frequent first. */
export const TOP_BUSINESS_EVENTS = 10;

/** What is wrong with an activity range of LocalDates (YYYY-MM-DD), by field. */
export function activityRangeProblems(from: string, to: string): { path: string[]; message: string }[] {
  const days = daysBetween(from, to) + 1;
  if (days < 1) return [{ path: ["to"], message: "Must not be before from" }];
  if (days > ACTIVITY_MAX_DAYS) return [{ path: ["to"], message: `The range may span at most ${ACTIVITY_MAX_DAYS} days` }];
  return [];
}

/** Active users of each day of a range: that day, and the 7 and 30 days ending it. */
export interface ActiveUserCounts {
  daily: number[];
  weekly: number[];
  monthly: number[];
  /** Distinct users active on some day of the range. */
  rangeUsers: number;
}

/**
 * The users statement packs each user's active days into one int4 word per calendar month, bit d - 1
 * for day d (as "ActiveUserMonth" keeps them); `mask` keeps the month's days that lie in the range.
 */
export interface MonthWord {
  /** The month's first day, YYYY-MM-01. */
  month: string;
  mask: number;
}

/** The months that days `from` to `to` (LocalDates, YYYY-MM-DD) touch, each with its days in the range as bits. */
export function monthsOfRange(from: string, to: string): MonthWord[] {
  const months: MonthWord[] = [];
  for (let month = `${from.slice(0, 7)}-01`; month <= to; month = nextMonth(month)) {
    const first = month === `${from.slice(0, 7)}-01` ? Number(from.slice(8)) : 1;
    const last = month === `${to.slice(0, 7)}-01` ? Number(to.slice(8)) : 31;
    months.push({ month, mask: 2 ** last - 2 ** (first - 1) });
  }
  return months;
}

function nextMonth(month: string): string {
  const [year, m] = [Number(month.slice(0, 4)), Number(month.slice(5, 7))];
  return m === 12 ? `${year + 1}-01-01` : `${year}-${String(m + 1).padStart(2, "0")}-01`;
}

/** The day numbers, counted from `from`, whose bits are set in `words` (one per month of `months`), ascending. */
export function daysOfMonths(words: readonly number[], months: readonly MonthWord[], from: string): number[] {
  const days: number[] = [];
  words.forEach((word, w) => {
    const offset = daysBetween(from, months[w].month);
    for (let rest = word; rest !== 0; rest &= rest - 1) days.push(offset + 31 - Math.clz32(rest & -rest));
  });
  return days;
}

/**
 * Active users per day from groups of users with the same active days, given ascending and distinct
 * as day numbers counted from the look-back's first day; the range is days `first` to `days - 1`. A
 * user active on day u counts in the weekly figure of days [u, u+7) and the monthly one of [u, u+30);
 * cut at the user's next active day those spans don't overlap, so each figure is a running sum of
 * spans begun minus spans ended, and the work grows with active days, not with days × users.
 */
export function activeUserCounts(groups: readonly { days: readonly number[]; users: number }[], days: number, first: number): ActiveUserCounts {
  const began = new Int32Array(days);
  const weekEnds = new Int32Array(days + 30);
  const monthEnds = new Int32Array(days + 30);
  let rangeUsers = 0;
  for (const { days: active, users } of groups) {
    for (let i = 0; i < active.length; i++) {
      const day = active[i];
      const next = active[i + 1] ?? Infinity;
      began[day] += users;
      weekEnds[Math.min(next, day + 7)] += users;
      monthEnds[Math.min(next, day + 30)] += users;
    }
    if (active.length && active[active.length - 1] >= first) rangeUsers += users;
  }
  const counts: ActiveUserCounts = { daily: [], weekly: [], monthly: [], rangeUsers };
  let weekly = 0;
  let monthly = 0;
  for (let day = 0; day < days; day++) {
    weekly += began[day] - weekEnds[day];
    monthly += began[day] - monthEnds[day];
    if (day < first) continue;
    counts.daily.push(began[day]);
    counts.weekly.push(weekly);
    counts.monthly.push(monthly);
  }
  return counts;
}

/** `part` as a share of `whole`, 0 to 1; null when there is no whole to share. */
export const share = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

/** Raw events are stored in one partition per UTC month; this many months ahead are made in advance. */
export const PARTITION_MONTHS_AHEAD = 2;
export const MAX_RETENTION_MONTHS = 120;

/** The first instant (UTC) of the month `offset` months from the one `at` is in. */
export function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

/** The partition of raw events of the month starting at `month`, e.g. RawEvent_2026_12. */
export function partitionName(month: Date): string {
  return `RawEvent_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

/**
 * The months ingestion may write to at `now`: events up to MAX_AGE_MS old are accepted (a month
 * boundary may lie in between), and future ones are clamped to now; months ahead are made early so
 * that a new month never waits for its partition.
 */
export function ingestionMonths(now: Date): Date[] {
  const first = monthStart(new Date(now.getTime() - MAX_AGE_MS));
  const months: Date[] = [];
  for (let m = first; m <= monthStart(now, PARTITION_MONTHS_AHEAD); m = monthStart(m, 1)) months.push(m);
  return months;
}

/**
 * An app keeping `retentionMonths` keeps its raw events of the current month and that many whole
 * months before it: events before the returned instant go (whole monthly partitions at a time).
 */
export function retentionCutoff(now: Date, retentionMonths: number): Date {
  return monthStart(now, -retentionMonths);
}

/** What is wrong with a retention setting (null keeps events forever). */
export function retentionProblem(retentionMonths: number | null): string | null {
  if (retentionMonths === null) return null;
  return Number.isInteger(retentionMonths) && retentionMonths >= 1 && retentionMonths <= MAX_RETENTION_MONTHS
    ? null
    : `1 to ${MAX_RETENTION_MONTHS} months, or empty to keep events`;
}
