import { createClient, type Client } from "graphql-ws";
import type { TypedDocumentString } from "./generated/graphql";

/**
 * Every operation and fragment is written as `graphql(\`...\`)`: the generator reads these calls,
 * checks them against schema/schema.graphql and types their results. A fragment is declared by a
 * bare call and used by name (`...Appointment`); `Failure` and `Problems` are in errors.graphql.
 */
export { graphql } from "./generated";

export interface FieldProblem {
  path: string[];
  message: string;
}

/** A failed request (transport or GraphQL errors) or an Error result type such as ValidationError. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface ErrorResult {
  __typename: string;
  code?: string;
  message?: string;
  problems?: FieldProblem[];
}

/** The member `typename` of a result union (selected with `__typename ...Failure`), or its Error type thrown as an ApiError. */
export function unwrap<R extends { __typename: string }, N extends R["__typename"]>(result: R, typename: N): Extract<R, { __typename: N }> {
  if (result.__typename === typename) return result as Extract<R, { __typename: N }>;
  const error = result as ErrorResult;
  throw new ApiError(error.message ?? `Unexpected ${error.__typename}`, error.code ?? "UNKNOWN", error.problems);
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A `node(id:)` lookup with an id that isn't one of ours at all (a mistyped link): treat it as not found. */
export function isInvalidId(error: unknown) {
  return error instanceof ApiError && error.message.startsWith("Invalid global ID");
}

let unauthenticated = () => {};

/** Called whenever the API says the browser is not (or no longer) signed in. */
export function onUnauthenticated(handler: () => void) {
  unauthenticated = handler;
}

export const UNREACHABLE = "The server can't be reached: check your connection and try again";

/** Variables may be left out only when the operation has no required ones. */
type Arguments<V> = {} extends V ? [variables?: V, token?: string] : [variables: V, token?: string];

/**
 * Runs an operation written with `graphql(...)`, as the signed-in browser (its cookie), or with
 * `token` as a key's bearer, as a wall display does.
 */
export async function gql<T, V>(document: TypedDocumentString<T, V>, ...[variables, token]: Arguments<V>): Promise<T> {
  const response = await fetch("/graphql", {
    method: "POST",
    credentials: token ? "omit" : "same-origin",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: String(document), variables }),
  }).catch(() => {
    // The browser's own words ("Failed to fetch", "NetworkError when…") differ by browser and say nothing useful.
    throw new ApiError(UNREACHABLE, "NETWORK");
  });
  const body = (await response.json().catch(() => null)) as GraphQLResponse<T> | null;
  const first = body?.errors?.[0];
  if (response.status === 401 || first?.extensions?.code === "UNAUTHENTICATED") {
    unauthenticated();
    throw new ApiError(first?.message ?? "Sign in first", "UNAUTHENTICATED");
  }
  if (first) throw new ApiError(first.message, first.extensions?.code ?? "GRAPHQL");
  if (!response.ok || !body?.data) throw new ApiError(`The server answered ${response.status}`, `HTTP_${response.status}`);
  return body.data;
}

/** Subscribes to `document`: each payload to `data`; GraphQL errors or a fatal close to `failed`. Returns the unsubscribe. */
export function subscribe<T, V>(client: Client, document: TypedDocumentString<T, V>, on: { data: (data: T) => void; failed: (error: unknown) => void }) {
  return client.subscribe<T>(
    { query: String(document) },
    {
      next: (result) => {
        if (result.data) on.data(result.data);
        else if (result.errors) on.failed(new Error(result.errors.map((e) => e.message).join("; ")));
      },
      error: (error) => on.failed(Array.isArray(error) ? new Error(error.map((e) => e.message).join("; ")) : error),
      complete: () => {},
    },
  );
}

const PING_EVERY_MS = 10_000;
const PONG_WITHIN_MS = 5_000;

/**
 * A graphql-ws client on this origin, authenticated by the session cookie (or by `token`, a key's
 * secret). It reconnects forever and resubscribes active subscriptions, so a wall display survives
 * server restarts.
 */
export function createWsClient(token?: string): Client {
  const protocol = location.protocol === "https:" ? "wss:" : "ws:";
  let socket: WebSocket | null = null;
  let pongTimeout: ReturnType<typeof setTimeout> | undefined;
  return createClient({
    url: `${protocol}//${location.host}/graphql`,
    lazy: true,
    connectionParams: token ? { token } : undefined,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    // Exponential with jitter, capped so a long outage is retried every few seconds, not minutes.
    retryWait: (retries) =>
      new Promise((resolve) => setTimeout(resolve, Math.min(8_000, 500 * 2 ** retries) * (0.5 + Math.random() / 2))),
    // A half-open connection (sleeping laptop, dropped network) never fires `close`; a missing pong does it for us.
    keepAlive: PING_EVERY_MS,
    on: {
      connected: (s) => (socket = s as WebSocket),
      ping: (received) => {
        if (received) return;
        pongTimeout = setTimeout(() => {
          if (socket?.readyState === WebSocket.OPEN) socket.close(4408, "Pong timeout");
        }, PONG_WITHIN_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimeout);
      },
      closed: () => clearTimeout(pongTimeout),
    },
  });
}
