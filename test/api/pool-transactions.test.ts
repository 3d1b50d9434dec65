// A transaction run on a client of the pg pool (heartbeat batches, beat flips) whose connection
// breaks midway, as when PostgreSQL restarts: the error is one the API answers with 503 UNAVAILABLE
// (retry), not a 500, and the broken client is dropped rather than handed out again. And the
// settings every connection of the service's pool is given.
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { openPool } from "../../platform/services.js";
import type { Services } from "../../schema/common/context.js";
import { inTransaction } from "../../schema/common/transactions.js";
import { isUnavailable } from "../../server/unavailable.js";

const databaseUrl = inject("databaseUrl");

describe.skipIf(!databaseUrl)("a transaction on a pooled client", () => {
  it("whose connection is cut midway fails as UNAVAILABLE, and the next one gets a working client", async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    pool.on("error", () => {});
    const services = { pool } as Pick<Services, "db" | "pool">;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      const failure = await inTransaction(services, async (sql) => {
        const [{ pid }] = await sql.query<{ pid: number }>("SELECT pg_backend_pid() AS pid", []);
        await admin.query("SELECT pg_terminate_backend($1)", [pid]);
        // Until the cut connection is gone, and this process has heard of it.
        while ((await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid])).rowCount) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 100));
        await sql.query("SELECT 1", []);
      }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect({ message: (failure as Error).message, unavailable: isUnavailable(failure) }).toMatchObject({ unavailable: true });
      // One client in the pool: it works only if the broken one was dropped.
      expect(await inTransaction(services, (sql) => sql.query("SELECT 1 AS one", []))).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await pool.end();
    }
  });

  it("of the service's pool runs without JIT or parallel workers, on every connection it opens", async () => {
    const pool = openPool(databaseUrl!, false);
    const settings = (sql: pg.Pool | pg.PoolClient) =>
      sql.query<{ jit: string; workers: string }>("SELECT current_setting('jit') AS jit, current_setting('max_parallel_workers_per_gather') AS workers").then((r) => r.rows[0]);
    try {
      const clients = await Promise.all([pool.connect(), pool.connect()]);
      const each = await Promise.all(clients.map(settings));
      clients.forEach((client) => client.release());
      expect(each).toEqual([{ jit: "off", workers: "0" }, { jit: "off", workers: "0" }]);
      // A fresh connection's first statement already sees it, as a Prisma transaction's BEGIN would.
      await pool.end();
      const fresh = openPool(databaseUrl!, false);
      expect(await settings(fresh)).toEqual({ jit: "off", workers: "0" });
      await fresh.end();
    } finally {
      if (!pool.ended) await pool.end();
    }
  });
});
