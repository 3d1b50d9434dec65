/** Exponential backoff, as BullMQ's `exponential` strategy computes it. */
export function backoffMs(baseMs: number, attemptsMade: number) {
  return baseMs * 2 ** (attemptsMade - 1);
}

/** The one log line an operator greps for. */
export function logJobFailure(name: string, id: string | undefined, attempts: number, message: string) {
  console.error(`[jobs] ${name} (${id}) failed after ${attempts} attempts: ${message}`);
}
