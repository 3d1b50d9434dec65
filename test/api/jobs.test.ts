import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { Services } from "../../schema/common/context.js";
import { JobCatalog, type Jobs } from "../../schema/common/jobs.js";
import { BullJobs, QUEUE, startBullWorker } from "../../platform/jobs/bullmq.js";
import { EmbeddedJobs } from "../../platform/jobs/embedded.js";
import { freshDatabase } from "../support/database.js";

// Processors record what they saw; each runner gets its own jobs so the two suites can't interfere.
const seen: Record<string, unknown[]> = {};
const concurrent: Record<string, { now: number; most: number }> = {};
function testJobs(prefix: string) {
  const record = (name: string) => (payload: unknown) => void (seen[name] ??= []).push(payload);
  return new JobCatalog([
    { name: `${prefix}.ok`, process: async (p) => record(`${prefix}.ok`)(p) },
    {
      name: `${prefix}.flaky`,
      retry: { attempts: 3, backoffMs: 50 },
      process: async (p: { failTimes: number }) => {
        record(`${prefix}.flaky`)(p);
        if (seen[`${prefix}.flaky`].length <= p.failTimes) throw new Error("flaky failure");
      },
    },
    {
      name: `${prefix}.broken`,
      retry: { attempts: 2, backoffMs: 50 },
      process: async (p) => {
        record(`${prefix}.broken`)(p);
        throw new Error("always broken");
      },
    },
    { name: `${prefix}.every`, repeat: { everyMs: 300 }, process: async (p) => record(`${prefix}.every`)(p) },
    {
      name: `${prefix}.counted`,
      process: async (p) => {
        const c = (concurrent[prefix] ??= { now: 0, most: 0 });
        c.most = Math.max(c.most, ++c.now);
        await new Promise((r) => setTimeout(r, 150));
        c.now--;
        record(`${prefix}.counted`)(p);
      },
    },
    {
      name: `${prefix}.slow`,
      process: async (p) => {
        await new Promise((r) => setTimeout(r, 800));
        record(`${prefix}.slow`)(p);
      },
    },
  ]);
}

function jobContract(prefix: string, setup: (catalog: JobCatalog) => Promise<{ jobs: Jobs; stopWorker(): Promise<void>; close(): Promise<void> }>) {
  let runner: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    runner = await setup(testJobs(prefix));
  });
  afterAll(() => runner?.close());

  it("runs an enqueued job", async () => {
    await runner.jobs.enqueue(`${prefix}.ok`, { n: 1 });
    await expect.poll(() => seen[`${prefix}.ok`], { timeout: 5000 }).toEqual([{ n: 1 }]);
  });

  it("runs recurring jobs on their schedule", async () => {
    await expect.poll(() => seen[`${prefix}.every`]?.length ?? 0, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
  });

  it("waits for the delay, and a deduplicated job replaces the pending one", async () => {
    const started = Date.now();
    await runner.jobs.enqueue(`${prefix}.ok`, { n: 2 }, { delay: 600, dedupeKey: `${prefix}-k` });
    await runner.jobs.enqueue(`${prefix}.ok`, { n: 3 }, { delay: 600, dedupeKey: `${prefix}-k` });
    await expect.poll(() => seen[`${prefix}.ok`].length, { timeout: 5000 }).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    await new Promise((r) => setTimeout(r, 700));
    expect(seen[`${prefix}.ok`]).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it("retries with backoff until it succeeds", async () => {
    await runner.jobs.enqueue(`${prefix}.flaky`, { failTimes: 2 });
    await expect.poll(() => seen[`${prefix}.flaky`]?.length, { timeout: 5000 }).toBe(3);
    expect(await runner.jobs.failed(10)).toEqual([]);
  });

  it("keeps a job that exhausted its retries visible as failed", async () => {
    await runner.jobs.enqueue(`${prefix}.broken`, { workspaceId: "w1" });
    await expect.poll(async () => (await runner.jobs.failed(10)).map((j) => j.name), { timeout: 5000 }).toEqual([`${prefix}.broken`]);
    const [failed] = await runner.jobs.failed(10);
    expect(failed).toMatchObject({ attempts: 2, error: "always broken", payload: { workspaceId: "w1" } });
    expect(seen[`${prefix}.broken`]).toHaveLength(2);
  });

  it("runs at most 8 jobs at once, and the next as soon as one ends", async () => {
    await Promise.all(Array.from({ length: 24 }, (_, n) => runner.jobs.enqueue(`${prefix}.counted`, { n })));
    await expect.poll(() => seen[`${prefix}.counted`]?.length, { timeout: 10_000 }).toBe(24);
    expect(concurrent[prefix].most).toBe(8);
  });

  it("lets a running job finish on shutdown", async () => {
    await runner.jobs.enqueue(`${prefix}.slow`, { n: 1 });
    await new Promise((r) => setTimeout(r, 300));
    await runner.stopWorker();
    expect(seen[`${prefix}.slow`]).toEqual([{ n: 1 }]);
  });

  it("rejects unknown job names", async () => {
    await expect(runner.jobs.enqueue("no.such.job", {})).rejects.toThrow(/Unknown job/);
  });
}

describe("embedded runner (PostgreSQL rows, in-process)", () => {
  jobContract("embedded", async (catalog) => {
    const database = await freshDatabase();
    const jobs = new EmbeddedJobs(database.db, catalog);
    await jobs.start({ db: database.db, jobs } as unknown as Services);
    return {
      jobs,
      stopWorker: () => jobs.stop(),
      async close() {
        await jobs.stop();
        await database.stop();
      },
    };
  });
});

describe.runIf(inject("redisUrl"))("BullMQ runner (Redis)", () => {
  const url = `${inject("redisUrl")}/15`;
  jobContract("bull", async (catalog) => {
    const database = await freshDatabase();
    const { Redis } = await import("ioredis");
    const redis = new Redis(url);
    await redis.flushdb();
    redis.disconnect();
    const jobs = new BullJobs(url, catalog);
    await jobs.scheduleRecurring();
    const worker = startBullWorker(url, catalog, { db: database.db, jobs } as unknown as Services);
    return {
      jobs,
      stopWorker: () => worker.close(),
      async close() {
        await worker.close();
        await jobs.close();
        await database.stop();
      },
    };
  });

  // Like the embedded runner, which deletes a job's row once it has run.
  it("keeps nothing of the jobs that completed, their payloads included", async () => {
    const { Queue } = await import("bullmq");
    const { Redis } = await import("ioredis");
    const redis = new Redis(url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE, { connection: redis });
    try {
      expect(seen["bull.counted"]).toHaveLength(24);
      expect(await queue.getJobCounts("completed")).toEqual({ completed: 0 });
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });
});
