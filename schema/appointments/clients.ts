// Clients as a practice keeps them: renamed, removed when nothing refers to them, with history,
// and their profile: the practice's own client fields (FieldDefinition target client).
import { encodeGlobalID, resolveArrayConnection } from "@pothos/plugin-relay";
import { builder } from "../builder.js";
import { ConflictError, NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { can, rowsWhere } from "../common/policy.js";
import { ClientRef, manageClients } from "../clients/types.js";
import { listDefinitions } from "./fields.js";
import { clientFieldFilter, conflictIfUsed, saveClientFields } from "./service.js";

builder.mutationField("updateClient", (t) =>
  t.fieldWithInput({
    type: ClientRef,
    authScopes: manageClients,
    errors: { types: [ValidationError, NotFoundError] },
    input: { id: t.input.globalID({ for: ClientRef }), name: t.input.string() },
    resolve: async (_r, { input: args }, ctx) => {
      const workspaceId = ctx.viewer!.workspaceId;
      const name = args.name.trim();
      if (!name) throw ValidationError.field("name", "Required");
      const client = await ctx.db.client.findFirst({ where: { id: args.id.id, workspaceId } });
      if (!client) throw new NotFoundError("Client");
      if (await ctx.db.client.findFirst({ where: { workspaceId, name, NOT: { id: client.id } } })) throw ValidationError.field("name", "A client with this name exists");
      return ctx.db.client.update({ where: { id: client.id }, data: { name } });
    },
  }),
);

const DeletedClientRef = builder.objectRef<{ id: string }>("DeletedClient").implement({
  fields: (t) => ({ id: t.id({ resolve: (d) => encodeGlobalID("Client", d.id) }) }),
});

builder.mutationField("deleteClient", (t) =>
  t.fieldWithInput({
    type: DeletedClientRef,
    description: "Only a client without sessions, projects or invoices can be deleted (the database refuses otherwise).",
    authScopes: manageClients,
    errors: { types: [NotFoundError, ConflictError] },
    input: { id: t.input.globalID({ for: ClientRef }) },
    resolve: async (_r, { input: args }, ctx) => {
      const { count } = await ctx.db.client.deleteMany({ where: { id: args.id.id, workspaceId: ctx.viewer!.workspaceId } }).catch((e) => conflictIfUsed(e, "This client"));
      if (!count) throw new NotFoundError("Client");
      return { id: args.id.id };
    },
  }),
);

builder.objectField(ClientRef, "fieldValues", (t) =>
  t.field({
    type: "JSON",
    nullable: true,
    description: "The client's profile fields by key; null unless the viewer reads client sessions.",
    resolve: (c, _a, ctx) => (can(ctx.viewer, "session.read") ? c.fieldValues : null),
  }),
);

builder.mutationField("saveClientFields", (t) =>
  t.fieldWithInput({
    type: ClientRef,
    description: "Replaces a client's profile field values (the client fields); a field left out or empty is cleared.",
    authScopes: { permission: "session.update" },
    errors: { types: [ValidationError, NotFoundError] },
    input: { id: t.input.globalID({ for: ClientRef }), fields: t.input.field({ type: "JSON" }) },
    resolve: (_r, { input: args }, ctx) => saveClientFields(ctx, args.id.id, args.fields),
  }),
);

builder.queryField("clientsByFields", (t) =>
  t.connection({
    type: ClientRef,
    description: "Clients whose filterable profile fields hold these values (a multi-select holds the value among its choices), by name.",
    authScopes: { permission: "session.read" },
    args: { fields: t.arg({ type: "JSON", description: 'By key, e.g. {"referral": "GP"}.' }) },
    resolve: async (_r, args, ctx) => {
      const definitions = await listDefinitions(ctx.db, ctx.viewer!.workspaceId, ["client"], false);
      const problems = new Problems();
      const where = clientFieldFilter(definitions, args.fields, problems);
      problems.throwIfAny();
      const clients = await ctx.db.client.findMany({ where: { ...rowsWhere(ctx.viewer, "client"), AND: where }, orderBy: { name: "asc" } });
      return resolveArrayConnection({ args }, clients);
    },
  }),
);
