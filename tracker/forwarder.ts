// Delivers the outbox to the platform's POST /api/work/events, oldest first, one batch at a time,
// backing off while the platform can't be reached. The platform counts each event id once, so a
// batch sent again after a lost answer changes nothing.
import type { DurableQueue, PlatformEvent } from "./queue.js";

export interface Platform {
  url: string;
  token: string;
}

/** Even with the longest titles and URLs a batch stays under the platform's 1 MB body limit. */
const BATCH_SIZE = 200;

interface Answer {
  accepted: number;
  duplicates: number;
  rejected: { id: string | null; reason: string }[];
}

export class Forwarder {
  private sending = false;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;
  private reachable: boolean | null = null;
  private stopping = false;

  constructor(
    private readonly queue: DurableQueue,
    private readonly platform: Platform,
    private readonly log: (line: string) => void,
    private readonly retryMaxMs: number,
    /** After each batch the platform took. */
    private readonly onDelivered: () => void = () => {},
  ) {}

  /** Sends what is queued unless a batch is on its way or a retry is already waiting. */
  kick() {
    if (!this.sending && !this.retry && !this.stopping) void this.sendAll();
  }

  private async sendAll() {
    this.sending = true;
    try {
      while (this.queue.size) {
        const batch = this.queue.peek(BATCH_SIZE);
        const problem = await this.post(batch);
        if (problem) return this.backOff(problem);
      }
    } finally {
      this.sending = false;
    }
  }

  /** Null when the batch was delivered, else why not. */
  private async post(batch: PlatformEvent[]): Promise<string | null> {
    let res: Response;
    try {
      res = await fetch(`${this.platform.url}/api/work/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.platform.token}`, "content-type": "application/json" },
        body: JSON.stringify({ events: batch }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      return `platform unreachable (${cause})`;
    }
    if (res.status !== 200) return `platform answered ${res.status}${res.status === 401 || res.status === 403 ? " (check SESSIONS_TOKEN)" : ""}`;
    const answer = (await res.json().catch(() => null)) as Answer | null;
    if (!answer) return "platform answered with something other than JSON";
    this.queue.drop(batch.length);
    if (this.reachable === false) this.log("platform reachable again");
    this.reachable = true;
    this.failures = 0;
    const fresh = answer.accepted - answer.duplicates;
    this.log(`sent ${batch.length} events: ${fresh} new, ${answer.duplicates} already there, ${answer.rejected.length} rejected; ${this.queue.size} queued`);
    for (const r of answer.rejected) this.log(`  rejected ${r.id ?? "?"}: ${r.reason}`);
    this.onDelivered();
    return null;
  }

  private backOff(problem: string) {
    const delay = Math.min(this.retryMaxMs, 1000 * 2 ** this.failures++);
    if (this.reachable !== false) this.log(`${problem}: ${this.queue.size} events kept queued, retrying every ${Math.round(this.retryMaxMs / 1000)} s at most`);
    this.reachable = false;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.kick();
    }, delay);
  }

  /** On shutdown: one more try to empty the queue, for at most `ms`. */
  async drain(ms: number): Promise<boolean> {
    this.stopping = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const deadline = Date.now() + ms;
    while (this.queue.size && Date.now() < deadline) {
      if (!this.sending) {
        const problem = await this.post(this.queue.peek(BATCH_SIZE));
        if (problem) return false;
      } else await new Promise((r) => setTimeout(r, 50));
    }
    return this.queue.size === 0;
  }
}
