import { resolveOffsetConnection } from "@pothos/plugin-relay";
import type { Prisma } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { can, personInScope, rowsWhere } from "../common/policy.js";
import { ConflictError, NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { InvoiceRef } from "../billing/types.js";
import { UserRef } from "../identity/types.js";
import { ClientRef, ProjectRef } from "../clients/types.js";
import { TimeEntryRef } from "./timer.js";

builder.objectFields(TimeEntryRef, (t) => ({
  billed: t.boolean({ resolve: (e) => e.invoiceId !== null }),
  invoice: t.field({
    type: InvoiceRef,
    nullable: true,
    resolve: (e, _a, ctx) =>
      e.invoiceId && can(ctx.viewer, "billing.manage") ? ctx.db.invoice.findUnique({ where: { id: e.invoiceId } }) : null,
  }),
}));

const EntryFilter = builder.inputType("TimeEntryFilter", {
  fields: (t) => ({
    projectId: t.globalID({ for: ProjectRef, required: false }),
    clientId: t.globalID({ for: ClientRef, required: false }),
    from: t.field({ type: "DateTime", required: false, description: "Entries that started at or after this instant." }),
    to: t.field({ type: "DateTime", required: false, description: "Entries that started before this instant." }),
    billed: t.boolean({ required: false }),
    userId: t.globalID({ for: UserRef, required: false, description: "Someone else's entries (needs team.read)." }),
  }),
});

builder.queryField("timeEntries", (t) =>
  t.connection({
    type: TimeEntryRef,
    description: "Time entries, newest first: timer, manual and ended sessions. A running timer is not an entry yet.",
    authScopes: { permission: "agent.read" },
    args: { filter: t.arg({ type: EntryFilter, required: false }) },
    resolve: (_r, args, ctx) => {
      const viewer = ctx.viewer!;
      const f = args.filter ?? {};
      const where: Prisma.TimeEntryWhereInput = {
        ...rowsWhere(viewer, "timeEntry"),
        userId: personInScope(viewer, f.userId?.id ?? viewer.userId),
        endedAt: { not: null },
        projectId: f.projectId?.id,
        project: f.clientId ? { clientId: f.clientId.id } : undefined,
        startedAt: { gte: f.from ?? undefined, lt: f.to ?? undefined },
        invoiceId: f.billed == null ? undefined : f.billed ? { not: null } : null,
      };
      return resolveOffsetConnection({ args }, ({ limit, offset }) =>
        ctx.db.timeEntry.findMany({ where, orderBy: [{ startedAt: "desc" }, { id: "asc" }], skip: offset, take: limit }),
      );
    },
  }),
);

builder.mutationField("logTime", (t) =>
  t.fieldWithInput({
    type: TimeEntryRef,
    description: "A manual entry for catching up on time you didn't track live.",
    authScopes: { permission: "agent.track" },
    errors: { types: [ValidationError, NotFoundError] },
    input: {
      projectId: t.input.globalID({ for: ProjectRef }),
      description: t.input.string({ required: false, defaultValue: "" }),
      startedAt: t.input.field({ type: "DateTime" }),
      endedAt: t.input.field({ type: "DateTime" }),
    },
    resolve: async (_r, { input: args }, ctx) => {
      const viewer = ctx.viewer!;
      const problems = new Problems();
      if (args.endedAt <= args.startedAt) problems.add("endedAt", "Must be after the start");
      if (args.endedAt.getTime() > Date.now() + 60_000) problems.add("endedAt", "Can't be in the future");
      if (args.endedAt.getTime() - args.startedAt.getTime() > 24 * 3600_000) problems.add("endedAt", "At most 24 hours per entry");
      if ((args.description ?? "").length > 500) problems.add("description", "At most 500 characters");
      problems.throwIfAny();
      const project = await ctx.db.project.findFirst({ where: { id: args.projectId.id, workspaceId: viewer.workspaceId } });
      if (!project) throw new NotFoundError("Project");
      return ctx.db.timeEntry.create({
        data: {
          workspaceId: viewer.workspaceId,
          userId: viewer.userId,
          projectId: project.id,
          description: (args.description ?? "").trim(),
          source: "manual",
          startedAt: args.startedAt,
          endedAt: args.endedAt,
          durationSeconds: Math.floor((args.endedAt.getTime() - args.startedAt.getTime()) / 1000),
        },
      });
    },
  }),
);

builder.mutationField("deleteTimeEntry", (t) =>
  t.fieldWithInput({
    type: TimeEntryRef,
    description: "Deletes one of your entries; a billed entry can't be deleted (void its invoice first).",
    authScopes: { permission: "agent.track" },
    errors: { types: [NotFoundError, ConflictError] },
    input: { id: t.input.globalID({ for: TimeEntryRef }) },
    resolve: async (_r, { input: args }, ctx) => {
      const viewer = ctx.viewer!;
      const entry = await ctx.db.timeEntry.findFirst({ where: { id: args.id.id, workspaceId: viewer.workspaceId, userId: viewer.userId } });
      if (!entry) throw new NotFoundError("Time entry");
      // Compare-and-set: billing can't slip in between the check and the delete.
      const { count } = await ctx.db.timeEntry.deleteMany({ where: { id: entry.id, invoiceId: null, endedAt: { not: null } } });
      if (!count) throw new ConflictError(entry.endedAt ? "This entry is billed; void its invoice first" : "Stop the timer first", [args.id.id]);
      return entry;
    },
  }),
);
