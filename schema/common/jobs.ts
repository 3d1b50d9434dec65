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

const registry = new Map<string, JobDefinition>();

export function defineJob(definition: JobDefinition): JobDefinition {
  if (registry.has(definition.name)) throw new Error(`Job ${definition.name} defined twice`);
  registry.set(definition.name, definition);
  return definition;
}

export function jobDefinition(name: string): JobDefinition {
  const found = registry.get(name);
  if (!found) throw new Error(`Unknown job ${name}`);
  return found;
}

export function allJobDefinitions(): JobDefinition[] {
  return [...registry.values()];
}

/** Attempts and exponential backoff, the same in both runners. */
export const RETRY = { attempts: 5, backoffMs: 1000 } as const;

export function retryPolicy(definition: JobDefinition) {
  return definition.retry ?? RETRY;
}
