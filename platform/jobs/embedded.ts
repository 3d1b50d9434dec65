import { CronExpressionParser } from "cron-parser";
import type { Db, Services } from "../../schema/common/context.js";
import { JobCatalog, retryPolicy, type EnqueueOptions, type FailedJob, type JobDefinition, type Jobs } from "../../schema/common/jobs.js";
import { backoffMs, logJobFailure } from "./retry.js";
import { log } from "../../schema/common/log.js";

const POLL_MS = 250;
/** Jobs run at once, as a BullMQ worker's default: more would only queue on the one database connection. */
const CONCURRENCY = 8;

/**
 * The job API without Redis: jobs are rows in PostgreSQL, run in this process. Same processors,
 * same retries as BullMQ, and pending jobs survive a restart.
 */
export class EmbeddedJobs implements Jobs {
  private services: Services | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly running = new Set<Promise<void>>();
  private stopping = false;
  private polling = false;

  constructor(
    private readonly db: Db,
    private readonly catalog: JobCatalog,
  ) {}

  async enqueue(name: string, payload: unknown, options: EnqueueOptions = {}) {
    this.catalog.get(name);
    const runAt = new Date(Date.now() + (options.delay ?? 0));
    await this.db.$transaction(async (tx) => {
      if (options.dedupeKey) await tx.backgroundJob.deleteMany({ where: { dedupeKey: options.dedupeKey, state: "pending" } });
      await tx.backgroundJob.create({
        data: { name, payload: payload as object, dedupeKey: options.dedupeKey ?? null, runAt },
      });
    });
    if (!options.delay) this.wake();
  }

  async failed(limit: number): Promise<FailedJob[]> {
    const rows = await this.db.backgroundJob.findMany({ where: { state: "failed" }, orderBy: { updatedAt: "desc" }, take: limit });
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      payload: r.payload,
      attempts: r.attempts,
      error: r.lastError ?? "",
      failedAt: r.updatedAt,
    }));
  }

  /** Jobs by state, as BullMQ's counts name them (pending is "waiting"). */
  async counts(): Promise<Record<string, number>> {
    const rows = await this.db.backgroundJob.groupBy({ by: ["state"], _count: true });
    return Object.fromEntries(rows.map((r) => [r.state === "pending" ? "waiting" : r.state === "running" ? "active" : r.state, r._count]));
  }

  /** Starts processing; jobs left `running` by a crash are run again (processors are idempotent). */
  async start(services: Services) {
    this.services = services;
    await this.db.backgroundJob.updateMany({ where: { state: "running" }, data: { state: "pending" } });
    for (const definition of this.catalog.all) if (definition.repeat) await this.scheduleNext(definition, true);
    this.wake();
  }

  private wake() {
    if (!this.services || this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), 0);
  }

  private async poll() {
    this.timer = null;
    // One claim at a time, so the jobs running never exceed CONCURRENCY.
    if (this.polling) return;
    this.polling = true;
    const free = CONCURRENCY - this.running.size;
    try {
      if (free > 0) await this.claim(free);
    } catch (error) {
      log.error({ err: (error as Error).message }, "job poll failed");
    } finally {
      this.polling = false;
    }
    if (!this.stopping) this.timer = setTimeout(() => void this.poll(), POLL_MS);
  }

  private async claim(limit: number) {
    const due = await this.db.$queryRaw<{ id: string; name: string; payload: unknown; attempts: number }[]>`
        UPDATE "BackgroundJob" SET state = 'running', "updatedAt" = now()
        WHERE id IN (
          SELECT id FROM "BackgroundJob" WHERE state = 'pending' AND "runAt" <= now()
          ORDER BY "runAt" LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING id, name, payload, attempts`;
    for (const job of due) this.track(this.run(job));
  }

  private track(promise: Promise<void>) {
    this.running.add(promise);
    // A finished job frees a place: the next due one starts now rather than at the next poll.
    void promise.finally(() => (this.running.delete(promise), this.wake()));
  }

  private async run(job: { id: string; name: string; payload: unknown; attempts: number }) {
    const definition = this.catalog.get(job.name);
    const attempts = job.attempts + 1;
    try {
      await definition.process(job.payload, this.services!);
      await this.db.backgroundJob.delete({ where: { id: job.id } });
      if (definition.repeat) await this.scheduleNext(definition, false);
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      const policy = retryPolicy(definition);
      const giveUp = attempts >= policy.attempts;
      await this.db.backgroundJob.update({
        where: { id: job.id },
        data: {
          attempts,
          lastError: message,
          state: giveUp ? "failed" : "pending",
          runAt: new Date(Date.now() + backoffMs(policy.backoffMs, attempts)),
        },
      });
      if (giveUp) logJobFailure(job.name, job.id, attempts, message);
    }
  }

  /** A recurring job is one pending row; `ifMissing` keeps restarts from scheduling it twice. */
  private async scheduleNext(definition: JobDefinition, ifMissing: boolean) {
    const dedupeKey = `repeat:${definition.name}`;
    if (ifMissing && (await this.db.backgroundJob.count({ where: { dedupeKey, state: { in: ["pending", "running"] } } })))
      return;
    const repeat = definition.repeat!;
    const runAt =
      "everyMs" in repeat
        ? new Date(Date.now() + repeat.everyMs)
        : CronExpressionParser.parse(repeat.pattern, { tz: "UTC" }).next().toDate();
    await this.db.backgroundJob.create({ data: { name: definition.name, payload: {}, dedupeKey, runAt } });
  }

  /** Graceful stop: no new jobs are claimed; the ones running finish. */
  async stop() {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.running]);
  }
}
