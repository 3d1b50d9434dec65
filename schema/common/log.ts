// One structured (JSON) log for every process, so operators can search and correlate lines: each
// line written for a request carries that request's id. The id is passed explicitly rather than
// kept in an AsyncLocalStorage: on Node 20 that hooks every promise of every request, about a
// seventh of a small query's CPU.
import { randomUUID } from "node:crypto";
import pino from "pino";

export const log = pino({
  level: process.env.LOG_LEVEL ?? "info",
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
});

/** A caller's own id is kept so its logs and ours correlate; anything odd is replaced, never echoed. */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === "string" && CALLER_ID.test(header) ? header : randomUUID();
}

/** The id of each request being served, by its request object, for lines written deeper down. */
const requestIds = new WeakMap<object, string>();

export function tagRequest(request: object, requestId: string) {
  requestIds.set(request, requestId);
}

export function requestIdOf(request: object | undefined): string | undefined {
  return request && requestIds.get(request);
}
