import { readConfig } from "../platform/config.js";
import { BullJobs, startBullWorker } from "../platform/jobs/bullmq.js";
import { openRuntime } from "../platform/services.js";
import { log } from "../schema/common/log.js";

const config = readConfig();
if (!config.redisUrl || !config.databaseUrl) {
  log.fatal("npm run worker needs DATABASE_URL and REDIS_URL; without them `npm start` runs jobs in-process.");
  process.exit(1);
}
const runtime = await openRuntime(config);
await (runtime.jobs as BullJobs).scheduleRecurring();
const worker = startBullWorker(config.redisUrl, runtime.jobCatalog, runtime, Number(process.env.WORKER_CONCURRENCY ?? 8), config.jobLockMs);
log.info("Worker consuming jobs");

async function shutdown() {
  // close() waits for the jobs in progress to finish; unstarted ones stay queued for other workers.
  await worker.close();
  await runtime.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
