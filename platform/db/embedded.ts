// PGlite (Postgres compiled to WASM) served over the Postgres wire protocol, so `pg`, Prisma's
// driver adapter and the schema engine can talk to it like to any PostgreSQL server.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { btree_gist } from "@electric-sql/pglite/contrib/btree_gist";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  connectionString: string;
  stop(): Promise<void>;
}

/** Pass as `dataDir` to get a throwaway in-memory database (nothing written to disk). */
export const MEMORY = ":memory:";

/** Starts PGlite with its data in `<dataDir>/pg` (or in memory for `MEMORY`) on 127.0.0.1:<free port>. */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  let pgDir: string | undefined;
  if (dataDir !== MEMORY) {
    pgDir = join(dataDir, "pg");
    await mkdir(pgDir, { recursive: true }); // PGlite fails if the directory is missing
  }
  // btree_gist is only made loadable here; migrations still run CREATE EXTENSION.
  const db = await PGlite.create(pgDir, { extensions: { btree_gist } });
  // port 0: the OS picks a free port, the server reads it back once listening.
  // maxConnections defaults to 1, which makes a pg Pool fail as soon as it opens a second client.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 20 });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  let stopped = false;
  return {
    connectionString: `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close(); // flushes the file-backed data directory
    },
  };
}

export function startMemoryPostgres(): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres(MEMORY);
}
