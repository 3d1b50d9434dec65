// A fresh, migrated database for tests that use the domain services in-process.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { inject } from "vitest";
import { PrismaClient } from "../../prisma/generated/client.js";
import { applyMigrations } from "../../prisma/migrations-engine.js";
import { startMemoryPostgres } from "../../platform/db/embedded.js";
import { createMigratedDatabase } from "./infra.js";

export async function freshDatabase(): Promise<{ url: string; db: PrismaClient; pool: pg.Pool; stop(): Promise<void> }> {
  const server = inject("databaseUrl");
  let url: string;
  let stopServer = async () => {};
  if (server) {
    url = await createMigratedDatabase(server);
  } else {
    const embedded = await startMemoryPostgres();
    url = embedded.connectionString;
    stopServer = embedded.stop;
    await applyMigrations(url);
  }
  // One connection on PGlite, as in platform/services.ts; Prisma runs on the pool, as there.
  const pool = new pg.Pool({ connectionString: url, max: server ? 20 : 1 });
  const db = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    url,
    db,
    pool,
    async stop() {
      await db.$disconnect();
      await pool.end();
      await stopServer();
    },
  };
}

/**
 * Scans (sequential and index) of each table once every backend has published its counts, to
 * count the queries a request ran. PostgreSQL 15 keeps a backend's counts pending for up to ten
 * seconds, but a backend publishes them as it exits: so the database's other backends (the stack's
 * idle pooled connections) are ended first, waiting for each to exit, and their pools open new ones.
 */
export async function settledScans(databaseUrl: string, tables: string[]): Promise<Record<string, number>> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const ended = await db.query(
      `SELECT bool_and(pg_terminate_backend(pid, 10000)) AS ok FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    if (ended.rows[0].ok === false) throw new Error("a backend did not exit within 10 s");
    // The pools see their connections close (loopback, within a millisecond) before the next request.
    await new Promise((r) => setTimeout(r, 200));
    const { rows } = await db.query(`SELECT relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS n FROM pg_stat_user_tables WHERE relname = ANY($1)`, [tables]);
    return Object.fromEntries(tables.map((t) => [t, Number(rows.find((r) => r.relname === t)?.n ?? 0)]));
  } finally {
    await db.end();
  }
}
