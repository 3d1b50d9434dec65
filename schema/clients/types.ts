// Clients and their projects: shared by agent sessions (time tracked per project), client sessions
// (appointments per client) and billing (invoices per client), so they belong to none of them.
import { resolveArrayConnection } from "@pothos/plugin-relay";
import type { Client, Project } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import { can, canRead, rowsWhere } from "../common/policy.js";
import type { Context } from "../common/context.js";
import { childrenOf } from "../common/batched-db.js";
import { NotFoundError, Problems, ValidationError } from "../common/errors.js";

export const ClientRef = builder.objectRef<Client>("Client");
export const ProjectRef = builder.objectRef<Project>("Project");

builder.node(ClientRef, {
  id: { resolve: (c) => c.id },
  loadOne: (id, ctx) => (canRead(ctx.viewer, "client") ? ctx.db.client.findFirst({ where: { id, ...rowsWhere(ctx.viewer, "client") } }) : null),
  fields: (t) => ({
    name: t.exposeString("name"),
    projects: t.field({
      type: [ProjectRef],
      description: "Empty unless the viewer may read projects.",
      resolve: (c, _a, ctx) =>
        childrenOf(
          ctx,
          "Client.projects",
          c.id,
          (clientIds) => ctx.db.project.findMany({ where: { clientId: { in: clientIds }, ...rowsWhere(ctx.viewer, "project") }, orderBy: { name: "asc" } }),
          (p) => p.clientId,
        ),
    }),
  }),
});

builder.node(ProjectRef, {
  id: { resolve: (p) => p.id },
  loadOne: (id, ctx) => (canRead(ctx.viewer, "project") ? ctx.db.project.findFirst({ where: { id, ...rowsWhere(ctx.viewer, "project") } }) : null),
  fields: (t) => ({
    name: t.exposeString("name"),
    client: t.field({ type: ClientRef, resolve: (p, _a, ctx) => ctx.db.client.findUniqueOrThrow({ where: { id: p.clientId } }) }),
    hourlyRateCents: t.expose("hourlyRate", { type: "Money", description: "Rate per hour in minor units of the currency." }),
    currency: t.exposeString("currency", { description: "ISO 4217 code." }),
    billAgentTime: t.exposeBoolean("billAgentTime", { description: "Whether agent beats are billable." }),
    archived: t.boolean({ description: "Archived projects take no new time; their entries and invoices stay.", resolve: (p) => p.archivedAt !== null }),
    archivedAt: t.expose("archivedAt", { type: "DateTime", nullable: true }),
  }),
});

builder.queryField("projects", (t) =>
  t.connection({
    type: ProjectRef,
    description: "Projects of the workspace; `search` matches any part of the project or client name.",
    authScopes: (_r, _a, ctx) => canRead(ctx.viewer, "project"),
    args: {
      search: t.arg.string({ required: false }),
      includeArchived: t.arg.boolean({ required: false, defaultValue: false, description: "Archived projects too (pickers leave them out)." }),
    },
    resolve: async (_r, args, ctx) => {
      const contains = args.search?.trim();
      const projects = await ctx.db.project.findMany({
        where: {
          ...rowsWhere(ctx.viewer, "project"),
          ...(args.includeArchived ? {} : { archivedAt: null }),
          ...(contains
            ? {
                OR: [
                  { name: { contains, mode: "insensitive" } },
                  { client: { name: { contains, mode: "insensitive" } } },
                ],
              }
            : {}),
        },
        orderBy: { name: "asc" },
      });
      return resolveArrayConnection({ args }, projects);
    },
  }),
);

builder.queryField("clients", (t) =>
  t.connection({
    type: ClientRef,
    authScopes: (_r, _a, ctx) => canRead(ctx.viewer, "client"),
    resolve: async (_r, args, ctx) =>
      resolveArrayConnection(
        { args },
        await ctx.db.client.findMany({ where: rowsWhere(ctx.viewer, "client"), orderBy: { name: "asc" } }),
      ),
  }),
);

/** Billing managers keep clients for invoices; practice staff who schedule sessions add theirs. */
export const manageClients = (_p: unknown, _a: unknown, ctx: Context) =>
  can(ctx.viewer, "billing.manage") || can(ctx.viewer, "session.create");

builder.mutationField("createClient", (t) =>
  t.fieldWithInput({
    type: ClientRef,
    authScopes: manageClients,
    errors: { types: [ValidationError] },
    input: { name: t.input.string() },
    resolve: async (_r, { input: args }, ctx) => {
      const name = args.name.trim();
      if (!name) throw ValidationError.field("name", "Required");
      const workspaceId = ctx.viewer!.workspaceId;
      if (await ctx.db.client.findFirst({ where: { workspaceId, name } }))
        throw ValidationError.field("name", "A client with this name exists");
      return ctx.db.client.create({ data: { workspaceId, name } });
    },
  }),
);

/** Rules shared by create and update; absent fields are left alone. */
function checkProject(input: { name?: string | null; hourlyRateCents?: bigint | null; currency?: string | null }) {
  const problems = new Problems();
  if (input.name != null && !input.name.trim()) problems.add("name", "Required");
  if (input.hourlyRateCents != null && input.hourlyRateCents <= 0n) problems.add("hourlyRateCents", "The rate must be positive");
  if (input.currency != null && !/^[A-Z]{3}$/.test(input.currency.toUpperCase())) problems.add("currency", "Use a 3-letter ISO 4217 code");
  problems.throwIfAny();
}

async function assertNameFree(ctx: Context, name: string, exceptId?: string) {
  const clash = await ctx.db.project.findFirst({ where: { workspaceId: ctx.viewer!.workspaceId, name, NOT: exceptId ? { id: exceptId } : undefined } });
  if (clash) throw ValidationError.field("name", "A project with this name exists");
}

builder.mutationField("createProject", (t) =>
  t.fieldWithInput({
    type: ProjectRef,
    authScopes: { permission: "billing.manage" },
    errors: { types: [ValidationError, NotFoundError] },
    input: {
      clientId: t.input.globalID({ for: ClientRef }),
      name: t.input.string(),
      hourlyRateCents: t.input.field({ type: "Money" }),
      currency: t.input.string({ required: false, defaultValue: "USD" }),
      billAgentTime: t.input.boolean({ required: false, defaultValue: false }),
    },
    resolve: async (_r, { input: args }, ctx) => {
      const workspaceId = ctx.viewer!.workspaceId;
      checkProject(args);
      const client = await ctx.db.client.findFirst({ where: { id: args.clientId.id, workspaceId } });
      if (!client) throw new NotFoundError("Client");
      const name = args.name.trim();
      await assertNameFree(ctx, name);
      return ctx.db.project.create({
        data: {
          workspaceId,
          clientId: client.id,
          name,
          hourlyRate: args.hourlyRateCents,
          currency: (args.currency ?? "USD").toUpperCase(),
          billAgentTime: args.billAgentTime ?? false,
        },
      });
    },
  }),
);

builder.mutationField("updateProject", (t) =>
  t.fieldWithInput({
    type: ProjectRef,
    description: "Changes a project. Sessions already started keep the Bill agent time they started with.",
    authScopes: { permission: "billing.manage" },
    errors: { types: [ValidationError, NotFoundError] },
    input: {
      id: t.input.globalID({ for: ProjectRef }),
      name: t.input.string({ required: false }),
      hourlyRateCents: t.input.field({ type: "Money", required: false }),
      currency: t.input.string({ required: false }),
      billAgentTime: t.input.boolean({ required: false }),
    },
    resolve: async (_r, { input: args }, ctx) => {
      checkProject(args);
      const project = await ctx.db.project.findFirst({ where: { id: args.id.id, workspaceId: ctx.viewer!.workspaceId } });
      if (!project) throw new NotFoundError("Project");
      const name = args.name?.trim();
      if (name) await assertNameFree(ctx, name, project.id);
      return ctx.db.project.update({
        where: { id: project.id },
        data: {
          name,
          hourlyRate: args.hourlyRateCents ?? undefined,
          currency: args.currency?.toUpperCase(),
          billAgentTime: args.billAgentTime ?? undefined,
        },
      });
    },
  }),
);

/** Archiving only hides a project from new time, so restoring it is the same write undone. */
function archiveField(name: "archiveProject" | "restoreProject", archived: boolean, description: string) {
  builder.mutationField(name, (t) =>
    t.fieldWithInput({
      type: ProjectRef,
      description,
      authScopes: { permission: "billing.manage" },
      errors: { types: [NotFoundError] },
      input: { id: t.input.globalID({ for: ProjectRef }) },
      resolve: async (_r, { input: args }, ctx) => {
        const where = { id: args.id.id, workspaceId: ctx.viewer!.workspaceId };
        // Only a change of state stamps the time: archiving twice keeps the first archivedAt.
        await ctx.db.project.updateMany({ where: { ...where, archivedAt: archived ? null : { not: null } }, data: { archivedAt: archived ? new Date() : null } });
        const project = await ctx.db.project.findFirst({ where });
        if (!project) throw new NotFoundError("Project");
        return project;
      },
    }),
  );
}

archiveField("archiveProject", true, "Archives a project: it leaves the pickers and takes no new entries, timers or agent sessions; its history and invoices stay.");
archiveField("restoreProject", false, "Restores an archived project, so it takes time again.");
