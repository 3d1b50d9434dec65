// Requests queued on purpose behind a transaction that holds a row or a lock: the way to make one
// request's write commit between another's check and its own write, every time.
import pg from "pg";
import { until } from "./until.js";

/**
 * Sends `requests` while a transaction holds what `hold` takes (a row, an advisory lock), one after
 * another, each once the one before waits on a lock in the database; runs `whileHeld` (another
 * writer's statement) with all of them waiting; then lets them go, in the order they queued.
 */
export async function queuedBehind(
  databaseUrl: string,
  hold: [sql: string, params: unknown[]],
  requests: (() => Promise<unknown>)[],
  whileHeld: (sql: pg.Client) => Promise<unknown> = async () => {},
): Promise<unknown[]> {
  const holder = new pg.Client({ connectionString: databaseUrl });
  const other = new pg.Client({ connectionString: databaseUrl });
  await Promise.all([holder.connect(), other.connect()]);
  try {
    await holder.query(`BEGIN`);
    await holder.query(...hold);
    const waiting = async () =>
      (await other.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n as number;
    const sent: Promise<unknown>[] = [];
    for (const request of requests) {
      sent.push(request());
      await until(waiting, (n) => n >= sent.length);
    }
    await whileHeld(other);
    await holder.query(`COMMIT`);
    return await Promise.all(sent);
  } finally {
    await Promise.all([holder.end(), other.end()]);
  }
}

/** One query on the database, on a connection of its own. */
export async function query<R extends pg.QueryResultRow = Record<string, unknown>>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
