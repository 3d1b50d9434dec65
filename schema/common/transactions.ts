// Transactions run on a `pg` client of the pool Prisma also uses, for the few hot paths where a
// handful of hand-written statements cost less than Prisma's interactive transaction: each of its
// statements cost more CPU than pg's whole round trip (see recordEvents and ingestEvents); and reads
// that must agree with each other.
import type pg from "pg";
import { Prisma } from "../../prisma/generated/client.js";
import type { Db, Services, Tx } from "./context.js";

/**
 * The raw statements of Prisma's transaction client, which code that runs in either kind of
 * transaction is written against: tagged templates (`tx.$queryRaw\`...\``), or a text with $1...
 * placeholders. On a pool's client they are not named (prepared once per connection): the embedded
 * database serves every client of the pool from one session, where a second client's PREPARE of the
 * same name fails.
 */
export interface RawTx {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T>;
  $executeRaw(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** The database as services hold it: made without a pool (the demo seed run in-process), Prisma only. */
export interface Database {
  db: Db;
  pool?: pg.Pool;
}

type Borrowed = { client: pg.PoolClient; giveBack: (broken?: Error) => void };

/**
 * A client of the pool, heard while checked out: a connection lost meanwhile says so on the client,
 * and the pool listens only to idle ones, so unheard the event would end the process. The statement
 * waiting on it fails as well.
 */
async function borrow(pool: pg.Pool): Promise<Borrowed> {
  const client = await pool.connect();
  const lost = () => {};
  client.on("error", lost);
  const giveBack = (broken?: Error) => {
    client.off("error", lost);
    client.release(broken);
  };
  return { client, giveBack };
}

/**
 * Runs `work`, which begins a transaction on the client, then COMMIT; any error rolls back and is
 * thrown on. A client whose rollback fails too is broken: the pool drops it instead of handing it out
 * again.
 */
async function committed<T>({ client, giveBack }: Borrowed, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let broken: Error | undefined;
  try {
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((failed: Error) => (broken = failed));
    throw error;
  } finally {
    giveBack(broken);
  }
}

/** Runs `work` between BEGIN and COMMIT on a client of the pool. */
async function begun<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return committed(await borrow(pool), async (client) => {
    await client.query("BEGIN");
    return work(client);
  });
}

/**
 * Runs `work` between BEGIN and COMMIT on one client of `services.pool`; any error rolls back and is
 * thrown on. Its statements skip Prisma's work per statement, which turns every parameter into JSON
 * and parses it back (an analytics batch's events travel as one parameter of hundreds of kilobytes).
 * Services made without a pool (the demo seed run in-process) get Prisma's transaction.
 */
export async function inTransaction<T>(services: Database, work: (tx: RawTx) => Promise<T>): Promise<T> {
  if (!services.pool) return services.db.$transaction((tx) => work(tx));
  return begun(services.pool, (client) => {
    const run = (query: TemplateStringsArray | Prisma.Sql, values: unknown[]) => {
      const statement = Array.isArray(query) ? Prisma.sql(query as TemplateStringsArray, ...values) : (query as Prisma.Sql);
      return client.query(statement.text, statement.values);
    };
    return work({
      $queryRaw: async <R>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) => (await run(query, values)).rows as R,
      $executeRaw: async (query, ...values) => (await run(query, values)).rowCount ?? 0,
      $queryRawUnsafe: async <R>(query: string, ...values: unknown[]) => (await client.query(query, values)).rows as R,
    });
  });
}

/**
 * One statement on a client of the pool, without Prisma's work per query; services made without a
 * pool (the demo seed run in-process) read through Prisma.
 */
export async function readRows<R>(services: Database, statement: Prisma.Sql): Promise<R[]> {
  if (!services.pool) return services.db.$queryRaw<R[]>(statement);
  return (await services.pool.query(statement.text, statement.values)).rows;
}

/**
 * Runs reads that must agree with each other in one REPEATABLE READ transaction, so they all see
 * one snapshot: a row stored while they run is in every one of them or in none. Read apart, a page
 * could list a session its own counts leave out.
 */
export function inOneSnapshot<T>(db: Db, reads: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(reads, { isolationLevel: "RepeatableRead" });
}

const SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/**
 * Runs read-only statements in one snapshot, as `inOneSnapshot` does, but side by side on clients of
 * their own when the pool has several, so they take as long as the slowest rather than the sum. With
 * a pool of one connection (embedded) or none, they run one after another in Prisma's transaction.
 */
export function readInOneSnapshot<T extends unknown[]>(services: Pick<Services, "db" | "pool">, statements: { [K in keyof T]: Prisma.Sql }): Promise<{ [K in keyof T]: T[K][] }> {
  const queue = statements as Prisma.Sql[];
  const { pool } = services;
  const rows = pool && (pool.options.max ?? 10) > 1 ? readSideBySide(pool, queue) : readInTurn(services.db, queue);
  return rows as Promise<{ [K in keyof T]: T[K][] }>;
}

function readInTurn(db: Db, queue: Prisma.Sql[]): Promise<unknown[][]> {
  return inOneSnapshot(db, async (tx) => {
    const rows: unknown[][] = [];
    for (const statement of queue) rows.push(await tx.$queryRaw(statement));
    return rows;
  });
}

/**
 * The first client exports its snapshot and the others import it. The statements are a queue that
 * the first client works through too, and a client the pool hands out only when the queue is empty
 * is given back at once, so no call waits for a second client while holding one: concurrent calls
 * can't deadlock the pool, and a busy pool just means fewer helpers.
 */
async function readSideBySide(pool: pg.Pool, queue: Prisma.Sql[]): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  let next = 0;
  const work = async (client: pg.PoolClient) => {
    for (let i = next++; i < queue.length; i = next++) rows[i] = (await client.query(queue[i].text, queue[i].values)).rows;
  };
  const helping: Promise<void>[] = [];
  const help = async (snapshot: string) => {
    const borrowed = await borrow(pool).catch(() => null);
    if (!borrowed) return;
    if (next >= queue.length) return borrowed.giveBack();
    // Counted before any await, so the first client keeps its snapshot until this one is done.
    const helped = committed(borrowed, async (client) => {
      await client.query(`${SNAPSHOT}; SET TRANSACTION SNAPSHOT '${snapshot}'`);
      await work(client);
    });
    helping.push(helped);
    await helped.catch(() => {}); // the first client hears it, through `helping`
  };
  return committed(await borrow(pool), async (client) => {
    try {
      const [, exported] = (await client.query(`${SNAPSHOT}; SELECT pg_export_snapshot() AS id`)) as unknown as pg.QueryResult<{ id: string }>[];
      for (let i = 1; i < queue.length; i++) void help(exported.rows[0].id);
      await work(client);
      await Promise.all(helping);
      return rows;
    } finally {
      next = queue.length; // after a failed read, no helper starts another
    }
  });
}

type PrismaCause = { originalCode?: string; originalMessage?: string; constraint?: { index?: string } };
type PgError = { code?: unknown; message?: unknown; constraint?: unknown };

/** PostgreSQL's error code, message and constraint, as pg throws them or inside Prisma's error (no pool). */
export function databaseCause(error: unknown): { code?: unknown; message?: unknown; constraint?: unknown } {
  const prisma = (error as { meta?: { driverAdapterError?: { cause?: PrismaCause } } }).meta?.driverAdapterError?.cause;
  if (prisma) return { code: prisma.originalCode, message: prisma.originalMessage, constraint: prisma.constraint?.index };
  const { code, message, constraint } = error as PgError;
  return { code, message, constraint };
}
