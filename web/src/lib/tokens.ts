// Personal access tokens and API keys (a kiosk link is an API key): listing, creating, revoking.
import type { AccessTokenFragment, Permission } from "./generated/graphql";
import { gql, graphql, unwrap } from "./graphql";

graphql(`fragment AccessToken on AccessToken { id kind name scopes createdAt lastUsedAt expiresAt }`);

export type Token = AccessTokenFragment;

/** Null when signed out. */
export async function fetchTokens(): Promise<Token[] | null> {
  const data = await gql(graphql(`query Tokens { viewer { tokens(first: 100) { nodes { ...AccessToken } } } }`));
  return data.viewer?.tokens.nodes ?? null;
}

/** A new token and its secret, which is shown only now. */
export async function createToken(name: string) {
  const { createPersonalAccessToken } = await gql(
    graphql(`
      mutation CreateToken($name: String!) {
        createPersonalAccessToken(input: { name: $name }) { __typename ...Failure ...Problems ... on CreatedToken { secret token { ...AccessToken } } }
      }
    `),
    { name },
  );
  return unwrap(createPersonalAccessToken, "CreatedToken");
}

/** A new API key and its secret, which is shown only now. */
export async function createApiKey(name: string, scopes: Permission[]) {
  const { createApiKey } = await gql(
    graphql(`
      mutation CreateApiKey($name: String!, $scopes: [Permission!]!) {
        createApiKey(input: { name: $name, scopes: $scopes }) { __typename ...Failure ...Problems ... on CreatedToken { secret token { ...AccessToken } } }
      }
    `),
    { name, scopes },
  );
  return unwrap(createApiKey, "CreatedToken");
}

export async function revokeToken(id: string) {
  const { revokeToken } = await gql(graphql(`mutation RevokeToken($id: ID!) { revokeToken(input: { id: $id }) { __typename ...Failure } }`), { id });
  unwrap(revokeToken, "AccessToken");
}
