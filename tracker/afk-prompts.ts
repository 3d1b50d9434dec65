// The AFK dialog on a desktop where the web app isn't open: when the employee comes back from an
// AFK period the platform asks about, the tracker says so and serves a small page on its own port
// listing the unanswered periods with the five answers. Questions and answers go to the platform's
// GraphQL API as the employee (the same token), so the web app and the tracker ask the same thing.
import type { Platform } from "./forwarder.js";

export interface AfkPrompt {
  id: string;
  startedAt: string;
  endedAt: string | null;
}

export const AFK_ANSWERS = [
  ["BREAK", "Break"],
  ["MEETING", "Meeting"],
  ["LUNCH", "Lunch"],
  ["CALL", "Call"],
  ["WORK", "Work"],
] as const;

export class PromptError extends Error {}

const PROMPTS = `{ afkPrompts(first: 20) { nodes { id startedAt endedAt } } }`;
const ANSWER = `mutation($id: ID!, $r: AfkReason) { setAfkReason(input: { afkPeriodId: $id, reason: $r }) { __typename } }`;

/** H:MM:SS, the platform's one duration format. */
export function formatDuration(seconds: number) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** 24-hour wall time on this machine's clock. */
export const wallTime = (iso: string) => new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

export class AfkPrompts {
  private readonly announced = new Set<string>();

  constructor(
    private readonly platform: Platform,
    private readonly log: (line: string) => void,
    /** Where this tracker's page is, for the line it prints. */
    private readonly pageUrl: () => string,
  ) {}

  private async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.platform.url}/graphql`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.platform.token}`, "content-type": "application/json" },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch {
      throw new PromptError("The platform can't be reached right now; answer later here or in the web app.");
    }
    const body = (await res.json().catch(() => null)) as { data?: T; errors?: unknown[] } | null;
    if (res.status !== 200 || !body?.data || body.errors?.length) throw new PromptError(`The platform answered ${res.status}${res.status === 401 || res.status === 403 ? " (check SESSIONS_TOKEN)" : ""}.`);
    return body.data;
  }

  async list(): Promise<AfkPrompt[]> {
    return (await this.graphql<{ afkPrompts: { nodes: AfkPrompt[] } }>(PROMPTS)).afkPrompts.nodes;
  }

  /** Null when the answer was stored, else what the platform said. */
  async answer(id: string, reason: string): Promise<string | null> {
    if (!AFK_ANSWERS.some(([value]) => value === reason)) return "Choose break, meeting, lunch, call or work.";
    const { setAfkReason } = await this.graphql<{ setAfkReason: { __typename: string } }>(ANSWER, { id, r: reason });
    return setAfkReason.__typename === "AfkPeriod" ? null : "That AFK period can't be answered from here any more.";
  }

  /** After a return from AFK has reached the platform: prints each period it now asks about, once. */
  async announce() {
    try {
      for (const p of (await this.list()).filter((p) => p.endedAt && !this.announced.has(p.id)).reverse()) {
        this.announced.add(p.id);
        const seconds = (Date.parse(p.endedAt!) - Date.parse(p.startedAt)) / 1000;
        this.log(`away ${wallTime(p.startedAt)}–${wallTime(p.endedAt!)} (${formatDuration(seconds)}): what was it? Answer at ${this.pageUrl()} or in the web app`);
      }
    } catch (error) {
      if (!(error instanceof PromptError)) throw error;
    }
  }
}
