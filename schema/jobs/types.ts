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
    description: "This workspace's most recent background jobs that failed after all their retries.",
    authScopes: { permission: "jobs.read" },
    args: { limit: t.arg.int({ required: false, defaultValue: 50 }) },
    resolve: async (_r, args, ctx) => {
      const limit = Math.min(Math.max(args.limit ?? 50, 1), 200);
      // Jobs of other workspaces (and workspace-less sweeps, which log instead) are not shown.
      const jobs = await ctx.jobs.failed(500);
      return jobs.filter((j) => (j.payload as { workspaceId?: string })?.workspaceId === ctx.viewer!.workspaceId).slice(0, limit);
    },
  }),
);
