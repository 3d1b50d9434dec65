// `nodes(ids:)`, written here rather than left to the relay plugin: a client can't make the API
// run unbounded work through it (a cap on ids), and each type costs one query, not one per id.
import { resolveNodes } from "@pothos/plugin-relay";
import { builder } from "../builder.js";
import { batchedById } from "./batched-db.js";
import { ValidationError } from "./errors.js";

export const MAX_NODE_IDS = 100;

builder.queryField("nodes", (t) =>
  t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description: `Objects by global ID, null for any you may not see; at most ${MAX_NODE_IDS} IDs.`,
    args: { ids: t.arg.globalIDList({ required: true, extensions: { relayGlobalIDAlwaysParse: true } }) },
    resolve: (_root, args, ctx, info) => {
      if (args.ids.length > MAX_NODE_IDS) throw ValidationError.field("ids", `At most ${MAX_NODE_IDS} IDs at once`);
      return resolveNodes(builder, { ...ctx, db: batchedById(ctx.db) }, info, args.ids);
    },
  }),
);
