import { Queue, Worker } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { REDIS_COMMAND_TIMEOUT_MS } from "../config.js";
import type { Services } from "../../schema/common/context.js";
import { JobCatalog, retryPolicy, type EnqueueOptions, type FailedJob, type Jobs } from "../../schema/common/jobs.js";
import { logJobFailure } from "./retry.js";
import { log } from "../../schema/common/log.js";
import { withTimeout } from "../watch.js";

export const QUEUE = "sessions";

function connect(url: string, options: RedisOptions = {}) {
  // BullMQ requires maxRetriesPerRequest null for blocking connections.
  return new Redis(url, { maxRetriesPerRequest: null, ...options });
}

/** The job API on Redis: API processes enqueue, `npm run worker` processes consume. */
export class BullJobs implements Jobs {
  private readonly queue: Queue;

  constructor(
    redisUrl: string,
    private readonly catalog: JobCatalog,
  ) {
    this.queue = new Queue(QUEUE, {
      // Enqueueing is on a request's way: an enqueue Redis doesn't answer fails as unavailable (503)
      // and the sender retries; what was sent is still added when Redis answers, and stored once.
      connection: connect(redisUrl, { commandTimeout: REDIS_COMMAND_TIMEOUT_MS }),
      defaultJobOptions: {
        // A finished job is done with: nothing reads completed jobs, and keeping the last thousand
        // kept their payloads too, up to a thousand batches of raw events in Redis's memory.
        removeOnComplete: true,
        removeOnFail: 10_000,
      },
    });
  }

  async enqueue(name: string, payload: unknown, options: EnqueueOptions = {}) {
    const policy = retryPolicy(this.catalog.get(name));
    const added = this.queue.add(name, payload, {
      delay: options.delay,
      attempts: policy.attempts,
      backoff: { type: "exponential", delay: policy.backoffMs },
      // Enqueueing again replaces a waiting job and restarts its delay; a running one is followed by one more.
      deduplication: options.dedupeKey ? { id: options.dedupeKey, replace: true, keepLastIfActive: true } : undefined,
    });
    // The command timeout doesn't bound the wait for a connection that was never ready (Redis away
    // since the process started): this does, so the request is refused (503) rather than held.
    await withTimeout(added, REDIS_COMMAND_TIMEOUT_MS, "Command timed out: Redis didn't take the job");
  }

  async failed(limit: number): Promise<FailedJob[]> {
    const jobs = await this.queue.getFailed(0, limit - 1);
    return jobs.map((j) => ({
      id: String(j.id),
      name: j.name,
      payload: j.data,
      attempts: j.attemptsMade,
      error: j.failedReason ?? "",
      failedAt: new Date(j.finishedOn ?? j.timestamp),
    }));
  }

  /** Recurring jobs are upserted by id, so any number of workers can call this. */
  async scheduleRecurring() {
    for (const d of this.catalog.all) {
      if (!d.repeat) continue;
      const repeat = "everyMs" in d.repeat ? { every: d.repeat.everyMs } : { pattern: d.repeat.pattern, tz: "UTC" };
      const policy = retryPolicy(d);
      await this.queue.upsertJobScheduler(d.name, repeat, {
        name: d.name,
        data: {},
        opts: { attempts: policy.attempts, backoff: { type: "exponential", delay: policy.backoffMs } },
      });
    }
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts("waiting", "active", "delayed", "failed");
  }

  async close() {
    await this.queue.close();
  }
}

export function startBullWorker(redisUrl: string, catalog: JobCatalog, services: Services, concurrency = 8, lockMs = 30_000) {
  const worker = new Worker(QUEUE, (job) => catalog.get(job.name).process(job.data, services), {
    connection: connect(redisUrl),
    concurrency,
    // A job whose worker died (its lock not renewed) is found by the next stalled-job check and runs again.
    lockDuration: lockMs,
    stalledInterval: lockMs,
  });
  worker.on("failed", (job, error) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) logJobFailure(job.name, job.id, job.attemptsMade, error.message);
  });
  worker.on("error", (error) => log.error({ err: error.message }, "job worker error"));
  return worker;
}
