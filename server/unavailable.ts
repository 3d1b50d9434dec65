// A database or Redis that is down (restarting, failing over, stalled) is not a bug: callers get a
// retryable answer (HTTP 503 / GraphQL UNAVAILABLE) instead of a masked internal error.
import { GraphQLError } from "graphql";
import type pg from "pg";
import type { Watch } from "../platform/watch.js";

/** Thrown where we know up front that we can't do what is asked (ingestion while PostgreSQL is down, any statement while it stalls). */
export class UnavailableError extends Error {
  constructor(message = "The service is briefly unavailable; retry shortly") {
    super(message);
  }
}

/** Seconds a client should wait before retrying. */
export const RETRY_AFTER_SECONDS = 2;

const PRISMA_CONNECTION_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const DRIVER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "DatabaseDoesNotExist"]);
// PostgreSQL's classes 08 (connection exception) and 57P (operator intervention: shutdown, restart),
// and a transaction it rolled back to let others on: a deadlock's victim, a serialization failure.
const POSTGRES_CODES = /^(08|57P|40P01|40001)/;
// "is not queryable" and "timeout exceeded when trying to connect" are pg's own: a checked-out client
// whose connection broke (a transaction on the pool's client), and a pool that can't connect. The
// two transaction errors are Prisma's (P2028, whose other cases are bugs): a transaction that could
// not start within its wait, or outlived its time limit, is rolled back, so trying again is safe.
const MESSAGES =
  /Unable to start a transaction in the given time|cannot be executed on an expired transaction|Connection terminated|is not queryable|timeout exceeded when trying to connect|ECONNREFUSED|ECONNRESET|EPIPE|terminating connection|the database system is (starting up|shutting down|in recovery mode)|Connection is closed|Stream isn't writeable|MaxRetriesPerRequest|Command timed out|Can't reach database server|Server has closed the connection/i;

type Inspectable = { code?: unknown; message?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string; code?: string } } }; cause?: unknown; originalError?: unknown };

/** Whether an error (or anything it wraps) says a backing store could not be reached. */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 5) return false;
  if (error instanceof UnavailableError) return true;
  const e = error as Inspectable;
  const driver = e.meta?.driverAdapterError?.cause;
  if (typeof e.code === "string" && (PRISMA_CONNECTION_CODES.has(e.code) || POSTGRES_CODES.test(e.code))) return true;
  if (driver && (DRIVER_KINDS.has(driver.kind ?? "") || POSTGRES_CODES.test(driver.originalCode ?? driver.code ?? ""))) return true;
  if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
  return isUnavailable(e.cause, depth + 1) || isUnavailable(e.originalError, depth + 1);
}

export function unavailableGraphQLError(overHttp = true): GraphQLError {
  const http = overHttp ? { status: 503, headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } } : undefined;
  return new GraphQLError(new UnavailableError().message, {
    extensions: { code: "UNAVAILABLE", retryAfter: RETRY_AFTER_SECONDS, ...(http && { http }) },
  });
}

type ConnectCallback = (error: Error | undefined, client?: pg.PoolClient, release?: (error?: Error) => void) => void;

/**
 * While the watch says PostgreSQL doesn't answer, the pool hands out no connection: a request is
 * refused (503, retry) before it has sent anything, instead of waiting for as long as the server
 * stalls. That includes one already waiting for a connection when the stall is noticed (all of them
 * held by statements the stall keeps unanswered): it is refused then, and the connection it would have
 * had goes straight back. Statements already sent wait for their answer: the server may yet commit
 * them, and a client told to retry would do twice what was done once.
 */
export function refuseWhileDown(pool: pg.Pool, database: Watch) {
  // A connection handed back without an error had its statements answered.
  pool.on("release", (error: Error | undefined) => error || database.answered());
  const connect = pool.connect.bind(pool) as (callback: ConnectCallback) => void;
  const refusal = () => new UnavailableError("PostgreSQL is not answering; retry shortly");
  pool.connect = ((callback?: ConnectCallback) => {
    if (!callback) return new Promise((resolve, reject) => pool.connect((error, client) => (error ? reject(error) : resolve(client!))));
    if (!database.up) return void process.nextTick(() => callback(refusal()));
    let refused = false;
    const stopWaiting = database.onceStalled(() => {
      refused = true;
      callback(refusal());
    });
    connect((error, client, release) => {
      stopWaiting();
      if (!refused) return callback(error, client, release);
      if (client) release?.();
    });
  }) as pg.Pool["connect"];
}
