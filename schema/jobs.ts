// Every background job of every domain, in one list: the runners know only the jobs named here, and a
// test checks that each job the code enqueues is among them.
import { jobs as analytics } from "./analytics/jobs.js";
import { jobs as appointments } from "./appointments/jobs.js";
import { jobs as billing } from "./billing/jobs.js";
import type { JobDefinition } from "./common/jobs.js";
import { jobs as identity } from "./identity/jobs.js";
import { jobs as work } from "./work/jobs.js";

export const jobs: readonly JobDefinition[] = [...identity, ...work, ...billing, ...appointments, ...analytics];
