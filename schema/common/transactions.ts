// Transactions run on a `pg` client of the pool Prisma also uses, for the few hot paths where a
// handful of hand-written statements cost less than Prisma's interactive transaction (see recordEvents).
import type pg from "pg";

/** Runs `work` between BEGIN and COMMIT on one client; any error rolls back and is thrown on. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    client.release();
    return result;
  } catch (error) {
    // A client whose rollback fails too is broken: the pool drops it instead of handing it out again.
    await client.query("ROLLBACK").then(() => client.release(), (failed: Error) => client.release(failed));
    throw error;
  }
}
