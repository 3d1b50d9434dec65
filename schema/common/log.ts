// One structured (JSON) log for every process, so operators can search and correlate lines: each
// line written while a request is handled carries that request's id without passing it around.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import pino from "pino";

const requests = new AsyncLocalStorage<{ requestId: string }>();

export const log = pino({
  level: process.env.LOG_LEVEL ?? "info",
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  mixin: () => requests.getStore() ?? {},
});

/** A caller's own id is kept so its logs and ours correlate; anything odd is replaced, never echoed. */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === "string" && CALLER_ID.test(header) ? header : randomUUID();
}

/** Runs `work` with every log line inside it tagged with the request id. */
export function withRequestId<T>(requestId: string, work: () => T): T {
  return requests.run({ requestId }, work);
}
