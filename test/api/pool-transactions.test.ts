// A transaction run on a client of the pg pool (heartbeat batches, beat flips) whose connection
// breaks midway, as when PostgreSQL restarts: the error is one the API answers with 503 UNAVAILABLE
// (retry), not a 500, and the broken client is dropped rather than handed out again. A Prisma
// transaction given up on for time is rolled back and answered so too. The settings every
// connection of the service's pool is given. And reads that must agree seeing one snapshot.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { openPool } from "../../platform/services.js";
import { Prisma, PrismaClient } from "../../prisma/generated/client.js";
import type { Services, Tx } from "../../schema/common/context.js";
import { inOneSnapshot, inTransaction, readInOneSnapshot } from "../../schema/common/transactions.js";
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
      const failure = await inTransaction(services, async (tx) => {
        const [{ pid }] = await tx.$queryRawUnsafe<{ pid: number }[]>("SELECT pg_backend_pid() AS pid");
        await admin.query("SELECT pg_terminate_backend($1)", [pid]);
        // Until the cut connection is gone, and this process has heard of it.
        while ((await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid])).rowCount) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 100));
        await tx.$queryRawUnsafe("SELECT 1");
      }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect({ message: (failure as Error).message, unavailable: isUnavailable(failure) }).toMatchObject({ unavailable: true });
      // One client in the pool: it works only if the broken one was dropped.
      expect(await inTransaction(services, (tx) => tx.$queryRawUnsafe("SELECT 1 AS one"))).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await pool.end();
    }
  });

  it("that outlives its time limit, or can't start within its wait, fails as UNAVAILABLE: it was rolled back, so a retry is safe", async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    const db = new PrismaClient({ adapter: new PrismaPg(pool) });
    try {
      const failure = (run: Promise<unknown>) => run.then(() => null, (error: unknown) => error as Error);
      const expired = await failure(
        db.$transaction(
          async (tx) => {
            await tx.$executeRaw`SELECT pg_sleep(0.3)`;
            await tx.$queryRaw`SELECT 1`;
          },
          { timeout: 100 },
        ),
      );
      expect({ message: expired?.message, unavailable: isUnavailable(expired) }).toMatchObject({ message: expect.stringMatching(/expired transaction/), unavailable: true });
      // The one connection is held by a transaction while another waits for it longer than allowed.
      const holding = db.$transaction((tx) => tx.$executeRaw`SELECT pg_sleep(0.3)`, { timeout: 5000 });
      const waited = await failure(db.$transaction((tx) => tx.$queryRaw`SELECT 1`, { maxWait: 50 }));
      await holding;
      expect({ message: waited?.message, unavailable: isUnavailable(waited) }).toMatchObject({ message: expect.stringMatching(/Unable to start a transaction/), unavailable: true });
    } finally {
      await db.$disconnect();
      await pool.end();
    }
  });

  // PostgreSQL finds a deadlock when its deadlock_timeout timer fires, and under the shifted clocks'
  // libfaketime its timers never do (statement_timeout '200ms' let a 3 s pg_sleep finish there).
  // Nothing here depends on the date.
  it.skipIf(process.env.LD_PRELOAD?.includes("faketime"))("chosen as a deadlock's victim fails as UNAVAILABLE: it was rolled back, so a retry is safe", async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    const db = new PrismaClient({ adapter: new PrismaPg(pool) });
    const table = `deadlock_${process.pid}_${Date.now()}`;
    await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, n int); INSERT INTO ${table} VALUES (1, 0), (2, 0)`);
    try {
      let bothHoldOne: () => void;
      const held = new Promise<void>((resolve) => {
        let count = 0;
        bothHoldOne = () => ++count === 2 && resolve();
      });
      // Each takes one row, then waits for the other's: PostgreSQL ends one of them.
      const crossing = (first: number, second: number) =>
        db
          .$transaction(async (tx) => {
            await tx.$executeRawUnsafe(`UPDATE ${table} SET n = n + 1 WHERE id = ${first}`);
            bothHoldOne();
            await held;
            await tx.$executeRawUnsafe(`UPDATE ${table} SET n = n + 1 WHERE id = ${second}`);
          })
          .then(() => null, (error: Error) => error);
      const failures = (await Promise.all([crossing(1, 2), crossing(2, 1)])).filter((e) => e !== null);
      expect(failures).toHaveLength(1);
      expect({ message: failures[0]!.message, unavailable: isUnavailable(failures[0]) }).toMatchObject({ message: expect.stringMatching(/deadlock/i), unavailable: true });
      // The victim wrote nothing: one row each from the survivor.
      expect((await pool.query(`SELECT n FROM ${table} ORDER BY id`)).rows).toEqual([{ n: 1 }, { n: 1 }]);
    } finally {
      await pool.query(`DROP TABLE ${table}`);
      await db.$disconnect();
      await pool.end();
    }
  });

  it("of the service's pool runs without JIT or parallel workers, on every connection it opens", async () => {
    // Set before the pool hands a connection out, not queued beside the caller's first statement (pg 9 refuses that).
    const warnings: string[] = [];
    const heard = (warning: Error) => warnings.push(warning.message);
    process.on("warning", heard);
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
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", heard);
      if (!pool.ended) await pool.end();
    }
  });
});

describe.skipIf(!databaseUrl)("reads that must agree", () => {
  it("in one snapshot (sessions in progress: counted and listed) don't see a row stored between them", async () => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
    const table = `snapshot_probe_${process.pid}`;
    await admin.query(`CREATE TABLE ${table} (n int)`);
    const count = async (tx: Tx) => (await tx.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
    try {
      const seen = await inOneSnapshot(db, async (tx) => {
        const before = await count(tx);
        await admin.query(`INSERT INTO ${table} VALUES (1)`);
        return [before, await count(tx)];
      });
      expect(seen).toEqual([0, 0]);
      expect(await count(db)).toBe(1);
    } finally {
      await admin.query(`DROP TABLE ${table}`);
      await db.$disconnect();
      await admin.end();
    }
  });

  it("side by side (the activity page, work reports) still see one snapshot: a helper that starts after a row is stored doesn't see it", async () => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 3 });
    const table = `snapshot_probe_side_${process.pid}`;
    await admin.query(`CREATE TABLE ${table} (n int)`);
    try {
      // Two of the pool's three clients are taken, so the first client starts the first (slow) read
      // and the second read waits for a client; it gets one only once the row is stored.
      const held = await Promise.all([pool.connect(), pool.connect()]);
      const reads = readInOneSnapshot<[unknown, { n: number }]>({ pool } as Pick<Services, "db" | "pool">, [
        Prisma.sql`SELECT pg_sleep(0.5)::text AS slept`,
        Prisma.sql`SELECT count(*)::int AS n FROM ${Prisma.raw(table)}`,
      ]);
      await new Promise((r) => setTimeout(r, 150));
      await admin.query(`INSERT INTO ${table} VALUES (1)`);
      held[0].release();
      const [, [counted]] = await reads;
      held[1].release();
      expect(counted).toEqual({ n: 0 });
      expect((await admin.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]).toEqual({ n: 1 });
      // A failing read fails the call, and every client is back in the pool.
      const failure = await readInOneSnapshot({ pool } as Pick<Services, "db" | "pool">, [Prisma.sql`SELECT pg_sleep(0.1)`, Prisma.sql`SELECT 1 / ${0}::int`]).catch((error: Error) => error.message);
      expect(failure).toMatch(/division by zero/);
      await new Promise((r) => setTimeout(r, 50));
      expect({ idle: pool.idleCount, total: pool.totalCount, waiting: pool.waitingCount }).toMatchObject({ waiting: 0, idle: pool.totalCount });
    } finally {
      await admin.query(`DROP TABLE ${table}`);
      await pool.end();
      await admin.end();
    }
  });

  it("side by side, or one after another with one connection (embedded), give the same rows", async () => {
    const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
    const [one, several] = [1, 4].map((max) => new pg.Pool({ connectionString: databaseUrl, max }));
    const statements = [
      Prisma.sql`SELECT ARRAY[${1}::int, 2] AS words, COUNT(*)::int AS users, NULL::int AS median, to_char(${"2026-02-28"}::date, 'YYYY-MM-DD') AS date`,
      Prisma.sql`SELECT n::int FROM generate_series(1, ${3}::int) n WHERE ${true} ORDER BY n`,
    ];
    try {
      const read = (pool: pg.Pool) => readInOneSnapshot({ db, pool } as Pick<Services, "db" | "pool">, statements);
      const [inTurn, sideBySide] = [await read(one), await read(several)];
      expect(sideBySide).toEqual([[{ words: [1, 2], users: 1, median: null, date: "2026-02-28" }], [{ n: 1 }, { n: 2 }, { n: 3 }]]);
      expect(inTurn).toEqual(sideBySide);
    } finally {
      await Promise.all([one.end(), several.end(), db.$disconnect()]);
    }
  });
});
