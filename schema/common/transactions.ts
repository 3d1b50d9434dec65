// Transactions run on a `pg` client of the pool Prisma also uses, for the few hot paths where a
// handful of hand-written statements cost less than Prisma's interactive transaction: each of its
// statements cost more CPU than pg's whole round trip (see recordEvents).
import type { Services } from "./context.js";

/**
 * Runs statements inside the transaction. They are not named (prepared once per connection): the
 * embedded database serves every client of the pool from one session, where a second client's
 * PREPARE of the same name fails.
 */
export interface Sql {
  query<R>(text: string, values: unknown[]): Promise<R[]>;
}

/**
 * Runs `work` between BEGIN and COMMIT on one client of `services.pool`; any error rolls back and is
 * thrown on. Services made without a pool (the demo seed run in-process) get Prisma's transaction.
 */
export async function inTransaction<T>(services: Pick<Services, "db" | "pool">, work: (sql: Sql) => Promise<T>): Promise<T> {
  if (!services.pool) return services.db.$transaction((tx) => work({ query: (text, values) => tx.$queryRawUnsafe(text, ...values) }));
  const client = await services.pool.connect();
  // A connection lost while checked out says so here too, and the pool listens only to idle ones:
  // unheard, the event would end the process. The statement waiting on it fails as well.
  const lost = () => {};
  client.on("error", lost);
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await work({ query: async (text, values) => (await client.query(text, values)).rows });
    await client.query("COMMIT");
    return result;
  } catch (error) {
    // A client whose rollback fails too is broken: the pool drops it instead of handing it out again.
    await client.query("ROLLBACK").catch((failed: Error) => (broken = failed));
    throw error;
  } finally {
    client.off("error", lost);
    client.release(broken);
  }
}
