import type { Services } from "./context.js";

export interface EnqueueOptions {
  /** Milliseconds to wait before the job runs. */
  delay?: number;
  /** At most one pending job per key; enqueueing again replaces it and restarts its delay. */
  dedupeKey?: string;
}

export interface FailedJob {
  id: string;
  name: string;
  payload: unknown;
  attempts: number;
  error: string;
  failedAt: Date;
}

/** The job API every domain uses; BullMQ with Redis, an in-process runner otherwise. */
export interface Jobs {
  enqueue(name: string, payload: unknown, options?: EnqueueOptions): Promise<void>;
  failed(limit: number): Promise<FailedJob[]>;
}

export interface JobDefinition {
  name: string;
  /** Must be idempotent: a retried or duplicated job may run again. */
  process(payload: any, services: Services): Promise<void>;
  /** Recurring jobs: a cron pattern evaluated in UTC, or a fixed interval. */
  repeat?: { pattern: string } | { everyMs: number };
  /** Overrides of the shared retry policy. */
  retry?: { attempts: number; backoffMs: number };
}

/**
 * The jobs a runner knows, by name, from the one list it was given (every domain's in production,
 * see schema/jobs.ts). A name defined twice is refused when the runner is made, not when it runs.
 */
export class JobCatalog {
  private readonly byName = new Map<string, JobDefinition>();

  constructor(readonly all: readonly JobDefinition[]) {
    for (const definition of all) {
      if (this.byName.has(definition.name)) throw new Error(`Job ${definition.name} defined twice`);
      this.byName.set(definition.name, definition);
    }
  }

  get(name: string): JobDefinition {
    const found = this.byName.get(name);
    if (!found) throw new Error(`Unknown job ${name}`);
    return found;
  }
}

/** Attempts and exponential backoff, the same in both runners. */
export const RETRY = { attempts: 5, backoffMs: 1000 } as const;

export function retryPolicy(definition: JobDefinition) {
  return definition.retry ?? RETRY;
}
