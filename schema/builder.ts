import SchemaBuilder from "@pothos/core";
import { createGraphQLError } from "graphql-yoga";
import ErrorsPlugin from "@pothos/plugin-errors";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import WithInputPlugin from "@pothos/plugin-with-input";
import type { Context } from "./common/context.js";
import InputLimitsPlugin, { decodeId } from "./common/input-limits.js";
import { ForbiddenError } from "./common/errors.js";
import { actsAsPerson, can, type Permission } from "./common/policy.js";

interface BuilderTypes {
  Context: Context;
  // person: a browser session or personal token, never an API key (identity and credential management).
  AuthScopes: { signedIn: boolean; person: boolean; permission: Permission };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    LocalDate: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
    Money: { Input: bigint; Output: bigint };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}

/** A builder with the API's plugins and options; also the round-trip bench's hello world, so it pays for the same plugins. */
export function newBuilder() {
  return new SchemaBuilder<BuilderTypes>({
    // Errors wraps scope-auth, so a missing permission on a mutation comes back as a typed ForbiddenError.
    // Input limits run innermost: after auth, on arguments with global IDs already decoded.
    // With-input gives every mutation its one `input` argument (the contract's convention).
    plugins: [ErrorsPlugin, ScopeAuthPlugin, RelayPlugin, WithInputPlugin, InputLimitsPlugin],
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
    withInput: {
      // `updateAppointment` takes `UpdateAppointmentInput`, not the plugin's `MutationUpdateAppointmentInput`.
      typeOptions: { name: ({ fieldName }) => `${fieldName[0]!.toUpperCase()}${fieldName.slice(1)}Input` },
    },
    errors: { defaultTypes: [ForbiddenError], directResult: true },
    relay: {
      clientMutationId: "omit",
      cursorType: "String",
      nodesOnConnection: true,
      // Defined in common/nodes.ts: capped and batched.
      nodesQueryOptions: false,
      decodeGlobalID: decodeId,
    },
  });
}

export const builder = newBuilder();

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
