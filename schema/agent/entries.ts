import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Prisma, Project } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { can, mayActFor, personInScope, rowsWhere } from "../common/policy.js";
import type { Context, Viewer } from "../common/context.js";
import { lockInvoicing } from "../common/locks.js";
import { ConflictError, NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { resolveOffsetPage } from "../common/pages.js";
import { billingLine, InvoiceRef } from "../billing/types.js";
import { invoiceBilling } from "../billing/service.js";
import { UserRef } from "../identity/types.js";
import { workspaceDisplay } from "../identity/rules.js";
import { ClientRef, ProjectRef } from "../clients/types.js";
import { projectTakingTime } from "../clients/service.js";
import { checkEntry, checkEntryChange, weeklyTotals, type WeekTotal } from "./rules.js";
import { TimeEntryRef } from "./timer.js";

builder.objectFields(TimeEntryRef, (t) => ({
  billed: t.boolean({ resolve: async (e, _a, ctx) => (await billingLine(ctx, "timeEntryId", e.id)) !== null }),
  invoice: t.field({
    type: InvoiceRef,
    nullable: true,
    resolve: async (e, _a, ctx) => {
      const line = can(ctx.viewer, "billing.manage") ? await billingLine(ctx, "timeEntryId", e.id) : null;
      return line && ctx.db.invoice.findUnique({ where: { id: line.invoiceId } });
    },
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
      const where = entriesWhere(ctx.viewer!, args.filter ?? {});
      return resolveOffsetPage({ args }, ({ limit, offset }) =>
        ctx.db.timeEntry.findMany({ where, orderBy: [{ startedAt: "desc" }, { id: "asc" }], skip: offset, take: limit }),
      );
    },
  }),
);

/** The ended entries a filter selects among those the viewer may see (the list and its chart agree). */
function entriesWhere(viewer: Viewer, f: typeof EntryFilter.$inferInput): Prisma.TimeEntryWhereInput {
  return {
    ...rowsWhere(viewer, "timeEntry"),
    userId: personInScope(viewer, f.userId?.id ?? viewer.userId),
    endedAt: { not: null },
    projectId: f.projectId?.id,
    project: f.clientId ? { clientId: f.clientId.id } : undefined,
    startedAt: { gte: f.from ?? undefined, lt: f.to ?? undefined },
    invoiceLines: f.billed == null ? undefined : f.billed ? { some: { voided: false } } : { none: { voided: false } },
  };
}

/** A bar per week stays readable, and the entries stay few enough to sum here, within about a year. */
const MAX_CHART_WEEKS = 53;

const EntryWeekRef = builder.objectRef<WeekTotal & { project: Project | null }>("TimeEntryWeek").implement({
  description: "Tracked time of one project (null: entries without one) in one week.",
  fields: (t) => ({
    week: t.expose("week", { type: "LocalDate", description: "The week's first day, in the workspace's time zone and week start." }),
    project: t.field({ type: ProjectRef, nullable: true, resolve: (w) => w.project }),
    seconds: t.exposeInt("seconds"),
  }),
});

builder.queryField("timeEntryWeeks", (t) =>
  t.field({
    type: [EntryWeekRef],
    description: `The entries \`timeEntries\` lists for the same filter, summed per week (by start) and project: the Entries page's chart. The filter needs from and to, at most ${MAX_CHART_WEEKS} weeks apart.`,
    authScopes: { permission: "agent.read" },
    args: { filter: t.arg({ type: EntryFilter, required: true }) },
    resolve: async (_r, { filter }, ctx) => {
      const problems = new Problems();
      if (!filter.from) problems.add("filter.from", "Pick a start");
      if (!filter.to) problems.add("filter.to", "Pick an end");
      else if (filter.from && filter.to.getTime() - filter.from.getTime() > MAX_CHART_WEEKS * 7 * 86_400_000)
        problems.add("filter.to", `At most ${MAX_CHART_WEEKS} weeks after the start`);
      problems.throwIfAny();
      const [workspace, entries] = await Promise.all([
        ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.viewer!.workspaceId } }),
        ctx.db.timeEntry.findMany({ where: entriesWhere(ctx.viewer!, filter), select: { startedAt: true, projectId: true, durationSeconds: true } }),
      ]);
      const weeks = weeklyTotals(entries, workspace.timeZone, workspaceDisplay(workspace.settings).weekStart);
      const ids = [...new Set(weeks.flatMap((w) => (w.projectId ? [w.projectId] : [])))];
      const projects = new Map((await ctx.db.project.findMany({ where: { id: { in: ids } } })).map((p) => [p.id, p]));
      return weeks.map((w) => ({ ...w, project: w.projectId ? (projects.get(w.projectId) ?? null) : null }));
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
      const description = args.description ?? "";
      const problems = new Problems();
      checkEntry(problems, { description, startedAt: args.startedAt, endedAt: args.endedAt }, new Date());
      problems.throwIfAny();
      return ctx.db.$transaction(async (tx) => {
        const project = await projectTakingTime(tx, viewer.workspaceId, args.projectId.id);
        return tx.timeEntry.create({
          data: {
            workspaceId: viewer.workspaceId,
            userId: viewer.userId,
            projectId: project.id,
            description: description.trim(),
            source: "manual",
            startedAt: args.startedAt,
            endedAt: args.endedAt,
            durationSeconds: Math.floor((args.endedAt.getTime() - args.startedAt.getTime()) / 1000),
          },
        });
      });
    },
  }),
);

interface EntryChanges {
  id: string;
  description?: string | null;
  projectId?: string | null;
  startedAt?: Date | null;
  endedAt?: Date | null;
  durationSeconds?: number | null;
}

async function updateEntry(ctx: Context, changes: EntryChanges) {
  const viewer = ctx.viewer!;
  return ctx.db.$transaction(async (tx) => {
    // Invoicing prices entries before it claims them: an edit waits for it, or it for the edit, so
    // no invoice bills a duration the entry no longer has.
    await lockInvoicing(tx, viewer.workspaceId);
    const entry = await tx.timeEntry.findFirst({ where: { id: changes.id, workspaceId: viewer.workspaceId } });
    if (!entry || !mayActFor(viewer, entry.userId, "agent.track", "billing.manage")) throw new NotFoundError("Time entry");
    if (!entry.endedAt) throw new ConflictError("Stop the timer first", [encodeGlobalID("TimeEntry", entry.id)]);
    const invoice = await invoiceBilling(tx, { timeEntryId: entry.id });
    if (invoice) {
      throw new ConflictError(`This entry is on invoice #${invoice.number}; void the invoice to change it`, [encodeGlobalID("Invoice", invoice.id)]);
    }
    // An agent session's entry keeps the session's times (checkEntryChange names the attempt).
    const timed = entry.source !== "session";
    const next = {
      description: changes.description ?? entry.description,
      startedAt: (timed && changes.startedAt) || entry.startedAt,
      endedAt: (timed && changes.endedAt) || entry.endedAt,
    };
    const problems = new Problems();
    checkEntryChange(problems, entry.source, changes, { startedAt: entry.startedAt, endedAt: entry.endedAt });
    checkEntry(problems, next, new Date(), { startedAt: entry.startedAt, endedAt: entry.endedAt });
    problems.throwIfAny();
    if (changes.projectId && changes.projectId !== entry.projectId) await projectTakingTime(tx, viewer.workspaceId, changes.projectId);
    return tx.timeEntry.update({
      where: { id: entry.id },
      data: {
        ...next,
        description: next.description.trim(),
        projectId: changes.projectId ?? undefined,
        durationSeconds: timed ? Math.floor((next.endedAt.getTime() - next.startedAt.getTime()) / 1000) : (changes.durationSeconds ?? undefined),
      },
    });
  });
}

builder.mutationField("updateTimeEntry", (t) =>
  t.fieldWithInput({
    type: TimeEntryRef,
    description:
      "Changes an entry: your own with agent.track, anyone's with billing.manage. Timer and manual entries change by start and end, an agent session's by its duration; a billed entry can't change (void its invoice first).",
    authScopes: (_r, _a, ctx) => can(ctx.viewer, "agent.track") || can(ctx.viewer, "billing.manage"),
    errors: { types: [ValidationError, NotFoundError, ConflictError] },
    input: {
      id: t.input.globalID({ for: TimeEntryRef }),
      description: t.input.string({ required: false }),
      projectId: t.input.globalID({ for: ProjectRef, required: false }),
      startedAt: t.input.field({ type: "DateTime", required: false }),
      endedAt: t.input.field({ type: "DateTime", required: false }),
      durationSeconds: t.input.int({ required: false, description: "Only for an agent session's entry: its billable seconds." }),
    },
    resolve: (_r, { input: args }, ctx) => updateEntry(ctx, { ...args, id: args.id.id, projectId: args.projectId?.id }),
  }),
);

builder.mutationField("deleteTimeEntry", (t) =>
  t.fieldWithInput({
    type: TimeEntryRef,
    description: "Deletes one of your entries; a billed entry can't be deleted (void its invoice first).",
    authScopes: { permission: "agent.track" },
    errors: { types: [NotFoundError, ConflictError] },
    input: { id: t.input.globalID({ for: TimeEntryRef }) },
    resolve: (_r, { input: args }, ctx) => deleteEntry(ctx, args.id.id),
  }),
);

async function deleteEntry(ctx: Context, id: string) {
  const viewer = ctx.viewer!;
  return ctx.db.$transaction(async (tx) => {
    // Invoicing gathers entries before it writes their lines: a delete in between would leave a
    // line pointing at nothing, so a delete waits for it as an edit does.
    await lockInvoicing(tx, viewer.workspaceId);
    const entry = await tx.timeEntry.findFirst({ where: { id, workspaceId: viewer.workspaceId, userId: viewer.userId } });
    if (!entry) throw new NotFoundError("Time entry");
    if (!entry.endedAt) throw new ConflictError("Stop the timer first", [encodeGlobalID("TimeEntry", entry.id)]);
    if (await invoiceBilling(tx, { timeEntryId: entry.id })) throw new ConflictError("This entry is billed; void its invoice first", [encodeGlobalID("TimeEntry", entry.id)]);
    await tx.timeEntry.delete({ where: { id: entry.id } });
    return entry;
  });
}
