// Traffic for the fault scenarios (test/api/faults.test.ts and the bench): reads and ingestion
// batches sent without pause while a backing service fails, each answer classified, and refused
// batches sent again afterwards as real clients do, so "nothing lost" can be checked id by id.
import { randomUUID } from "node:crypto";
import pg from "pg";

export interface FaultFigures {
  scenario: string;
  /** Requests sent while the fault was on and around it, retries of refused batches included. */
  sent: number;
  /** Answered 503 / UNAVAILABLE (retryable): nothing was stored, the client sends it again. */
  failedCleanly: number;
  /** Anything else that wasn't a success: a 500, an INTERNAL error, a dropped connection. */
  serverErrors: number;
  /** Event ids answered as accepted (or sent again until accepted) that are not stored. */
  lost: number;
  /** Event ids stored more than once. */
  doubled: number;
  /** From the service being back to the first request that succeeded. */
  recoverMs: number;
}

type Batch = { kind: "work" | "analytics"; ids: string[] };

export class Traffic {
  sent = 0;
  failedCleanly = 0;
  readonly serverErrors: string[] = [];
  private readonly refused: Batch[] = [];
  private readonly ids = { work: new Set<string>(), analytics: new Set<string>() };
  private running = false;
  private loops: Promise<void>[] = [];
  private lastOkAt = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly writeKey: string,
  ) {}

  start(concurrency = 3) {
    this.running = true;
    this.loops = Array.from({ length: concurrency }, (_, i) => this.loop(i));
  }

  async stop() {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Resolves at the first success after now (the service is back), with the milliseconds it took. */
  async recovered(timeoutMs = 20_000): Promise<number> {
    const since = Date.now();
    while (this.lastOkAt < since) {
      if (Date.now() - since > timeoutMs) throw new Error(`no request succeeded within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.lastOkAt - since;
  }

  /** Sends every refused batch again until it is taken, as the desktop app and the SDKs do. */
  async resendRefused() {
    for (let batch = this.refused.shift(); batch; batch = this.refused.shift()) {
      for (let attempt = 0; (await this.send(batch)) !== "ok"; attempt++) {
        if (attempt > 20) throw new Error(`batch ${batch.ids[0]} still refused`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Lost and doubled ids, read from the database; analytics batches are stored by the worker, so this waits for them. */
  async audit(databaseUrl: string, timeoutMs = 30_000): Promise<{ lost: number; doubled: number; lostIds: string[] }> {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const count = async (sql: string, ids: Set<string>) => {
        const { rows } = await db.query(sql, [[...ids]]);
        return rows as { id: string; n: number }[];
      };
      const read = async () => [
        ...(await count(`SELECT "clientEventId" AS id, count(*)::int AS n FROM "IngestedWorkEvent" WHERE "clientEventId" = ANY($1) GROUP BY 1`, this.ids.work)),
        ...(await count(`SELECT "eventId" AS id, count(*)::int AS n FROM "RawEvent" WHERE "eventId" = ANY($1) GROUP BY 1`, this.ids.analytics)),
      ];
      const expected = this.ids.work.size + this.ids.analytics.size;
      const until = Date.now() + timeoutMs;
      let stored = await read();
      while (stored.length < expected && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
        stored = await read();
      }
      const found = new Set(stored.map((r) => r.id));
      const lostIds = [...this.ids.work, ...this.ids.analytics].filter((id) => !found.has(id));
      return { lost: lostIds.length, doubled: stored.filter((r) => r.n > 1).length, lostIds };
    } finally {
      await db.end();
    }
  }

  async figures(scenario: string, recoverMs: number, databaseUrl: string): Promise<FaultFigures & { lostIds: string[] }> {
    const { lost, doubled, lostIds } = await this.audit(databaseUrl);
    return { scenario, sent: this.sent, failedCleanly: this.failedCleanly, serverErrors: this.serverErrors.length, lost, doubled, recoverMs, lostIds };
  }

  private async loop(offset: number) {
    for (let i = offset; this.running; i++) {
      const kind = (["read", "work", "analytics"] as const)[i % 3];
      if (kind === "read") await this.read();
      else await this.send({ kind, ids: [`${kind}-${randomUUID()}`] });
    }
  }

  private async read() {
    const outcome = await this.request("/graphql", { authorization: `Bearer ${this.token}` }, { query: "{ viewer { role } }" });
    return outcome;
  }

  private async send(batch: Batch): Promise<"ok" | "refused" | "broken"> {
    const at = new Date(Date.now() - 1000).toISOString();
    const body =
      batch.kind === "work"
        ? { events: batch.ids.map((id) => ({ id, type: "window", timestamp: at, duration: 1, pulsetime: 0, data: { app: "Code", title: id } })) }
        : { events: batch.ids.map((eventId) => ({ eventId, userId: "fault-user", name: "page_view", timestamp: at })) };
    const path = batch.kind === "work" ? "/api/work/events" : "/api/events";
    const key = batch.kind === "work" ? this.token : this.writeKey;
    const outcome = await this.request(path, { authorization: `Bearer ${key}` }, body);
    if (outcome === "ok") for (const id of batch.ids) this.ids[batch.kind].add(id);
    else this.refused.push(batch); // a broken answer is sent again too: the client can't know what happened
    return outcome;
  }

  private async request(path: string, headers: Record<string, string>, body: unknown): Promise<"ok" | "refused" | "broken"> {
    this.sent++;
    try {
      const res = await fetch(`${this.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      const code = (JSON.parse(text) as { code?: string; errors?: { extensions?: { code?: string } }[] });
      const errorCode = code.code ?? code.errors?.[0]?.extensions?.code;
      if (res.ok && !code.errors) {
        this.lastOkAt = Date.now();
        return "ok";
      }
      if (res.status === 503 && errorCode === "UNAVAILABLE") {
        this.failedCleanly++;
        return "refused";
      }
      this.serverErrors.push(`${path} ${res.status} ${text.slice(0, 200)}`);
      return "broken";
    } catch (error) {
      this.serverErrors.push(`${path} ${(error as Error).message}`);
      return "broken";
    }
  }
}
