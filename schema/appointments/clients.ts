// Clients as a practice keeps them: renamed, removed when nothing refers to them, with history.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { builder } from "../builder.js";
import { ConflictError, NotFoundError, ValidationError } from "../common/errors.js";
import { ClientRef, manageClients } from "../clients/types.js";
import { conflictIfUsed } from "./service.js";

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
