import { log } from "../../schema/common/log.js";

/** Exponential backoff, as BullMQ's `exponential` strategy computes it. */
export function backoffMs(baseMs: number, attemptsMade: number) {
  return baseMs * 2 ** (attemptsMade - 1);
}

/** The one log line an operator greps for. */
export function logJobFailure(name: string, id: string | undefined, attempts: number, message: string) {
  log.error({ job: name, jobId: id, attempts, err: message }, "job failed after its last attempt");
}
