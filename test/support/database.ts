// A fresh, migrated database for tests that use the domain services in-process.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { inject } from "vitest";
import { PrismaClient } from "../../prisma/generated/client.js";
import { applyMigrations } from "../../prisma/migrations-engine.js";
import { startMemoryPostgres } from "../../platform/db/embedded.js";
import { createMigratedDatabase } from "./infra.js";

export async function freshDatabase(): Promise<{ url: string; db: PrismaClient; stop(): Promise<void> }> {
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
  // One connection on PGlite, as in platform/services.ts.
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: server ? 20 : 1 }) });
  return {
    url,
    db,
    async stop() {
      await db.$disconnect();
      await stopServer();
    },
  };
}

/**
 * Scans (sequential and index) of each table once every backend has published its counts, to
 * count the queries a request ran: PostgreSQL 15 flushes a busy backend's pending statistics at
 * most once a second and an idle one's within ten, so polling until the number "settles" can stop
 * early and count earlier requests' scans as this one's.
 */
export async function settledScans(databaseUrl: string, tables: string[]): Promise<Record<string, number>> {
  await new Promise((r) => setTimeout(r, 11_000));
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(`SELECT relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS n FROM pg_stat_user_tables WHERE relname = ANY($1)`, [tables]);
    return Object.fromEntries(tables.map((t) => [t, Number(rows.find((r) => r.relname === t)?.n ?? 0)]));
  } finally {
    await db.end();
  }
}
