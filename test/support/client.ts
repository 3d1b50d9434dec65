// How a third party talks to the API: GraphQL over HTTP and graphql-ws, nothing of ours in between.
import { decodeGlobalID } from "@pothos/plugin-relay";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { DEMO_PASSWORD } from "../../prisma/seed.js";

/** The database row's id behind a GraphQL global id, for checks in SQL. */
export function rowId(globalId: string): string {
  return decodeGlobalID(globalId).id;
}

export interface Auth {
  token?: string;
  cookie?: string;
}

export interface GqlResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
}

export async function gql<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, auth: Auth = {}): Promise<GqlResponse<T>> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/graphql-response+json" };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.cookie) {
    headers.cookie = auth.cookie;
    headers.origin = url;
  }
  const res = await fetch(`${url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

/** Asserts success and returns data. */
export async function ok<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, auth: Auth = {}): Promise<T> {
  const res = await gql<T>(url, query, variables, auth);
  if (res.status !== 200 || res.body.errors) throw new Error(`GraphQL failed (${res.status}): ${JSON.stringify(res.body)}`);
  return res.body.data!;
}

export async function signIn(url: string, email: string, password = DEMO_PASSWORD): Promise<string> {
  const res = await gql(url, `mutation($e:String!,$p:String!){ signIn(input: { email: $e, password: $p }){ __typename ... on Error { message } } }`, { e: email, p: password });
  if (res.body.data?.signIn.__typename !== "SignInPayload") throw new Error(`sign-in failed: ${JSON.stringify(res.body)}`);
  const setCookie = res.headers.get("set-cookie") ?? "";
  return setCookie.split(";")[0];
}

/** Signs in and creates a personal access token, as the desktop app or an agent would get one. */
export async function tokenFor(url: string, email: string): Promise<string> {
  const cookie = await signIn(url, email);
  const data = await ok(url, `mutation { createPersonalAccessToken(input: { name: "test" }) { ... on CreatedToken { secret } } }`, {}, { cookie });
  return data.createPersonalAccessToken.secret;
}

export function wsClient(url: string, connectionParams: Record<string, unknown> | undefined, headers: Record<string, string> = {}): Client {
  class AuthedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  return createClient({
    url: url.replace(/^http/, "ws") + "/graphql",
    webSocketImpl: AuthedWebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
  });
}

/** A socket speaking graphql-transport-ws with no client library, and everything it hears until it closes. */
export function rawSocket(url: string, options: { autoPong?: boolean } = {}) {
  const socket = new WebSocket(url.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws", options);
  const heard: { type: string }[] = [];
  socket.on("message", (data) => heard.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.on("close", (code, reason) => resolve({ code, reason: String(reason), at: Date.now() })),
  );
  const opened = new Promise<number>((resolve) => socket.on("open", () => resolve(Date.now())));
  return { socket, heard, closed, opened };
}

/** Collects a subscription's payloads; `next(predicate)` waits for one that matches. */
export function subscribe<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const values: T[] = [];
  const errors: unknown[] = [];
  const waiters: { match: (v: T) => boolean; resolve: (v: T) => void }[] = [];
  let completed = false;
  let consumed = 0;
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(result.errors);
        const value = result.data as T;
        values.push(value);
        for (const w of [...waiters]) if (w.match(value)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(value));
      },
      error: (error) => errors.push(Array.isArray(error) ? error : ((error as Error).message ?? (error as { reason?: string }).reason ?? error)),
      complete: () => (completed = true),
    },
  );
  return {
    values,
    errors,
    get completed() {
      return completed;
    },
    dispose,
    /** The next payload, after the last one returned, that matches. */
    next(match: (v: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
      const index = values.findIndex((v, i) => i >= consumed && match(v));
      if (index >= 0) {
        consumed = index + 1;
        return Promise.resolve(values[index]);
      }
      consumed = values.length;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching payload in ${timeoutMs} ms; got ${JSON.stringify(values)} ${JSON.stringify(errors)}`)), timeoutMs);
        waiters.push({ match, resolve: (v) => (clearTimeout(timer), (consumed = values.length), resolve(v)) });
      });
    },
  };
}
