// Fault figures: the same mixed traffic (reads, desktop batches, analytics batches) against two API
// processes and a worker, once with nothing failing (the baseline) and once per fault.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ok } from "../support/client.js";
import { Traffic, type FaultFigures } from "../support/faults.js";
import { startPostgres, startRedis } from "../support/infra.js";
import { startStack } from "../support/stack.js";
import { newWorkspace } from "../support/workspace.js";
import { quick, type Row } from "./support.js";

const SECONDS_OF_TRAFFIC = quick ? 5 : 10;
const OUTAGE_MS = quick ? 2000 : 3000;

/** Runs traffic for the whole period, with `fault` (which returns once the service is back) in its middle. */
async function scenario(traffic: Traffic, name: string, databaseUrl: string, fault: (() => Promise<void>) | null): Promise<FaultFigures> {
  traffic.start(4);
  const before = (SECONDS_OF_TRAFFIC * 1000 - OUTAGE_MS) / 2;
  await new Promise((r) => setTimeout(r, before));
  let recoverMs = 0;
  if (fault) {
    await fault();
    recoverMs = await traffic.recovered();
  } else await new Promise((r) => setTimeout(r, OUTAGE_MS));
  await new Promise((r) => setTimeout(r, before));
  await traffic.stop();
  await traffic.resendRefused();
  return traffic.figures(name, recoverMs, databaseUrl);
}

export async function faultScenarios(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), "bench-faults-"));
  chmodSync(dir, 0o777);
  const [postgres, redis] = await Promise.all([startPostgres(dir, true), startRedis(dir, true)]);
  const stack = await startStack({
    instances: 2,
    worker: true,
    servers: { databaseUrl: postgres.url, redisUrl: redis.url },
    env: { RATE_LIMIT_TOKEN: "1000000000/1", RATE_LIMIT_INGESTION: "1000000000/1" },
  });
  try {
    const url = stack.urls[0];
    const ws = await newWorkspace(url);
    const key = (await ok(url, `mutation { createAnalyticsApp(input: { name: "Bench" }) { ... on AnalyticsAppWithKey { writeKey } } }`, {}, { token: ws.owner.token })).createAnalyticsApp.writeKey;
    const run = (name: string, fault: (() => Promise<void>) | null) => scenario(new Traffic(url, ws.employee.token, key), name, stack.databaseUrl!, fault);
    const pause = () => new Promise((r) => setTimeout(r, OUTAGE_MS));
    const rows = [
      await run("baseline: nothing fails", null),
      await run(`Redis SIGKILLed, back after ${OUTAGE_MS / 1000} s`, async () => {
        await redis.kill();
        await pause();
        await redis.start();
      }),
      await run(`Redis stalled (SIGSTOP, connections open), answering after ${OUTAGE_MS / 1000} s`, async () => {
        redis.freeze();
        await pause();
        redis.thaw();
      }),
      await run(`PostgreSQL stopped (immediate), back after ${OUTAGE_MS / 1000} s`, async () => {
        postgres.stop("immediate");
        await pause();
        postgres.start();
      }),
      await run(`PostgreSQL stalled (SIGSTOP, connections open), answering after ${OUTAGE_MS / 1000} s`, async () => {
        postgres.freeze();
        await pause();
        postgres.thaw();
      }),
    ];
    return rows.map((f) => ({
      scenario: f.scenario,
      "requests sent": f.sent,
      "failed cleanly (503)": f.failedCleanly,
      "server errors (goal 0)": f.serverErrors,
      "lost (goal 0)": f.lost,
      "doubled (goal 0)": f.doubled,
      "time to recover (ms)": f.recoverMs,
    }));
  } finally {
    await stack.stop();
    redis.destroy();
    postgres.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
