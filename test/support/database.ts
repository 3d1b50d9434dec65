// A fresh, migrated database for tests that use the domain services in-process.
import { PrismaPg } from "@prisma/adapter-pg";
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
