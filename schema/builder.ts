import SchemaBuilder from "@pothos/core";
import { createGraphQLError } from "graphql-yoga";
import ErrorsPlugin from "@pothos/plugin-errors";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import type { Context } from "./common/context.js";
import { ForbiddenError } from "./common/errors.js";
import { actsAsPerson, can, type Permission } from "./common/policy.js";

export const builder = new SchemaBuilder<{
  Context: Context;
  // person: a browser session or personal token, never an API key (identity and credential management).
  AuthScopes: { signedIn: boolean; person: boolean; permission: Permission };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    LocalDate: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}>({
  // Errors wraps scope-auth, so a missing permission on a mutation comes back as a typed ForbiddenError.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, RelayPlugin],
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      signedIn: ctx.viewer !== null,
      person: actsAsPerson(ctx.viewer),
      permission: (p) => can(ctx.viewer, p),
    }),
    unauthorizedError: (_parent, ctx) =>
      ctx.viewer
        ? new ForbiddenError()
        : createGraphQLError("Sign in first", { extensions: { code: "UNAUTHENTICATED" } }),
  },
  errors: { defaultTypes: [ForbiddenError], directResult: true },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodesOnConnection: true,
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
