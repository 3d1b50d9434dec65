// The summariser behind finalisation: deterministic by default; with a configured OpenAI-compatible
// endpoint, a model writes the summary, checked against the session and replaced by the
// deterministic one on any failure.
import { summarise as deterministic, type Summary, type SummaryInput } from "./rules.js";
import { log } from "../common/log.js";

export interface LlmSummaries {
  /** Base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1 */
  url: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
}

let llm: LlmSummaries | null = null;

/** Called once by each process from its configuration. */
export function useLlmSummaries(config: LlmSummaries | null) {
  llm = config;
}

const INSTRUCTIONS = [
  "You summarise one user session of a software product for its product team.",
  'Answer with JSON only: {"title": string, "tldr": string, "narrative": string, "events": [{"position": number, "description": string}]}.',
  "title: at most 80 characters. tldr: one line. narrative: at most 5 sentences.",
  "events: one description per business event, by its position. Refer to business events only by the positions given (as #N); never invent events.",
].join("\n");

function promptOf(input: SummaryInput) {
  return JSON.stringify({
    durationSeconds: input.durationSeconds,
    rawEventCount: input.rawEventCount,
    businessEvents: input.businessEvents.map((e) => ({ position: e.position, name: e.name, description: e.description, parameters: e.parameters, isError: e.isError, at: e.occurredAt })),
    flows: input.outcomes.map((o) => ({ flow: o.flowName, outcome: o.outcome, lastStep: o.lastStep, mistakes: o.mistakeCount })),
  });
}

const line = (value: unknown, max: number) => (typeof value === "string" && value.trim() && value.length <= max ? value.trim() : null);

/** The model's answer, accepted only when well-formed and about events that exist. */
export function checkLlmSummary(content: string, input: SummaryInput): Summary {
  const answer = JSON.parse(content) as Record<string, unknown>;
  const title = line(answer.title, 120);
  const tldr = line(answer.tldr, 300);
  const narrative = line(answer.narrative, 3000);
  if (!title || !tldr || !narrative) throw new Error("title, tldr and narrative are required");
  const count = input.businessEvents.length;
  for (const [, n] of `${title} ${tldr} ${narrative}`.matchAll(/#(\d+)/g))
    if (Number(n) < 1 || Number(n) > count) throw new Error(`refers to business event #${n}, which does not exist`);
  const descriptions = input.businessEvents.map((e) => e.description);
  const seen = new Set<number>();
  for (const item of Array.isArray(answer.events) ? answer.events : []) {
    const { position, description } = item as { position?: unknown; description?: unknown };
    if (typeof position !== "number" || !Number.isInteger(position) || position < 1 || position > count || seen.has(position))
      throw new Error(`describes business event ${JSON.stringify(position)}, which does not exist`);
    seen.add(position);
    const text = line(description, 500);
    if (text) descriptions[position - 1] = text;
  }
  return { source: "llm", title, tldr, narrative, eventDescriptions: descriptions };
}

async function askModel(config: LlmSummaries, input: SummaryInput): Promise<Summary> {
  const res = await fetch(`${config.url.replace(/\/$/, "")}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${config.apiKey}` },
    body: JSON.stringify({
      model: config.model,
      temperature: 0,
      response_format: { type: "json_object" },
      messages: [
        { role: "system", content: INSTRUCTIONS },
        { role: "user", content: promptOf(input) },
      ],
    }),
    signal: AbortSignal.timeout(config.timeoutMs),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const body = (await res.json()) as { choices?: { message?: { content?: unknown } }[] };
  const content = body.choices?.[0]?.message?.content;
  if (typeof content !== "string") throw new Error("no message content");
  return checkLlmSummary(content, input);
}

export async function summarise(input: SummaryInput): Promise<Summary> {
  if (!llm) return deterministic(input);
  try {
    return await askModel(llm, input);
  } catch (error) {
    log.warn({ err: (error as Error).message }, "model summary not used; using the deterministic one");
    return deterministic(input);
  }
}
