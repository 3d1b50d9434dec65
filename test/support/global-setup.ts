import type { TestProject } from "vitest/node";
import { hasBinary, startPostgresAndRedis, type Infra } from "./infra.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Empty when the suites run on the embedded default. */
    databaseUrl: string;
    redisUrl: string;
  }
}

let infra: Infra | null = null;

/** Real PostgreSQL and Redis when the machine has them (CI does); the embedded default otherwise. */
export async function setup(project: TestProject) {
  const wanted = process.env.TEST_BACKEND !== "embedded";
  if (wanted && hasBinary("initdb") && hasBinary("pg_ctl") && hasBinary("redis-server")) {
    infra = await startPostgresAndRedis();
    console.log(`[test] PostgreSQL and Redis on loopback (${infra.databaseUrl}, ${infra.redisUrl})`);
  } else {
    console.log("[test] embedded PostgreSQL (PGlite) and in-process pub/sub and jobs");
  }
  project.provide("databaseUrl", infra?.databaseUrl ?? "");
  project.provide("redisUrl", infra?.redisUrl ?? "");
}

export async function teardown() {
  await infra?.stop();
}
