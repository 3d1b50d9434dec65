import type { FailedJob } from "../common/jobs.js";
import { builder } from "../builder.js";

const FailedJobRef = builder.objectRef<FailedJob>("FailedJob").implement({
  description: "A background job that failed after all its retries.",
  fields: (t) => ({
    id: t.exposeString("id"),
    name: t.exposeString("name"),
    payload: t.field({ type: "JSON", resolve: (j) => j.payload }),
    attempts: t.exposeInt("attempts"),
    error: t.exposeString("error"),
    failedAt: t.expose("failedAt", { type: "DateTime" }),
  }),
});

builder.queryField("failedJobs", (t) =>
  t.field({
    type: [FailedJobRef],
    description: "The most recent failed background jobs (all workspaces: an operator's view).",
    authScopes: { permission: "jobs.read" },
    args: { limit: t.arg.int({ required: false, defaultValue: 50 }) },
    resolve: (_r, args, ctx) => ctx.jobs.failed(Math.min(Math.max(args.limit ?? 50, 1), 200)),
  }),
);
