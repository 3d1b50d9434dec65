import type { IncomingMessage, ServerResponse } from "node:http";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { PothosValidationError } from "@pothos/core";
import { GraphQLError, getOperationAST } from "graphql";
import { createYoga, type Plugin, type YogaLogger } from "graphql-yoga";
import { schema } from "../schema/index.js";
import { compiledExecution } from "./compiled-execution.js";
import type { Context, CookieJar, Services, Viewer } from "../schema/common/context.js";
import { AppError } from "../schema/common/errors.js";
import { RateLimitedError } from "../schema/identity/rate-limits.js";
import { type Authenticator, arrivedOverHttps, clientAddress, credentialsFrom, originAllowed, unauthenticated } from "./auth.js";
import type { Config } from "../platform/config.js";
import { log, requestIdOf } from "../schema/common/log.js";
import type { Metrics } from "./metrics.js";
import { isUnavailable, unavailableGraphQLError } from "./unavailable.js";
import { eventStreams } from "./standing.js";

/** Limits for a public API; the same plugins run on HTTP and on graphql-ws (see websocket.ts). */
export const LIMITS = { depth: 10, aliases: 15, tokens: 2000, cost: 20_000, directives: 20 } as const;

function armor() {
  return EnvelopArmorPlugin({
    maxDepth: { n: LIMITS.depth, ignoreIntrospection: true },
    maxAliases: { n: LIMITS.aliases },
    maxTokens: { n: LIMITS.tokens },
    costLimit: { maxCost: LIMITS.cost },
    maxDirectives: { n: LIMITS.directives },
    blockFieldSuggestion: { enabled: true },
  });
}

/** What a resolver (or the context) threw, behind the GraphQLErrors wrapping it. */
function causeOf(error: unknown): unknown {
  let cause: unknown = error;
  while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
  return cause;
}

/** The API's own answers (typed errors, refused arguments, GraphQL's) keep their message; anything else is a failure. */
function isFailure(cause: unknown): boolean {
  return !(cause instanceof AppError || cause instanceof PothosValidationError || cause instanceof GraphQLError);
}

/** Failures logged already, with their request's id (see `logFailures`): masking doesn't log them again. */
const loggedFailures = new WeakSet<object>();

function logFailure(cause: unknown, requestId?: string) {
  if (typeof cause === "object" && cause !== null) {
    if (loggedFailures.has(cause)) return;
    loggedFailures.add(cause);
  }
  if (isUnavailable(cause)) log.warn({ err: (cause as Error).message, requestId }, "backing store unavailable");
  else log.error({ err: cause, requestId }, "unexpected GraphQL error");
}

/** Expected errors keep their message and code; anything else is masked (and logged, if not yet). */
function maskError(error: unknown, message: string): Error {
  const cause = causeOf(error);
  if (cause instanceof RateLimitedError) return rateLimited(cause);
  if (cause instanceof AppError) {
    const path = error instanceof GraphQLError ? error.path : undefined;
    return new GraphQLError(cause.message, { path, extensions: { code: cause.code } });
  }
  // Pothos refuses an argument it can't map, such as a global ID of another type where one is expected.
  if (cause instanceof PothosValidationError) return new GraphQLError(cause.message, { path: (error as GraphQLError).path, extensions: { code: "VALIDATION" } });
  if (cause instanceof GraphQLError) return cause;
  logFailure(cause);
  // Retryable, and said so: the database or Redis is restarting, nothing was half-done.
  return isUnavailable(cause) ? unavailableGraphQLError() : new GraphQLError(message, { extensions: { code: "INTERNAL" } });
}

/**
 * Logs an operation's failures with its request's id. Masking runs after this plugin and knows no
 * request: it logs only what is left, a subscription stream's failures and the context's (reading
 * the credential while the database is away, which the request's own line shows as its 503).
 */
const logFailures: Plugin<Context> = {
  onExecute({ args }) {
    return {
      onExecuteDone({ result }) {
        if (Symbol.asyncIterator in result) return;
        for (const error of result.errors ?? []) {
          const cause = causeOf(error);
          if (isFailure(cause)) logFailure(cause, args.contextValue.requestId);
        }
      },
    };
  },
};

/** The code and seconds to wait, for HTTP and WebSocket clients alike; over HTTP also 429 with Retry-After. */
export function rateLimited(error: RateLimitedError, overHttp = true): GraphQLError {
  const http = overHttp ? { status: 429, headers: { "Retry-After": String(error.retryAfterSeconds) } } : undefined;
  return new GraphQLError(error.message, { extensions: { code: error.code, retryAfter: error.retryAfterSeconds, ...(http && { http }) } });
}

/** Set-Cookie headers a resolver asked for, attached to the response by the plugin below. */
const pendingCookies = new WeakMap<Request, string[]>();

/** A request's cookie jar; it keeps nothing until a resolver sets a cookie, which few requests do. */
class ResponseCookies implements CookieJar {
  constructor(
    private readonly request: Request,
    private readonly secure: boolean,
  ) {}

  set(name: string, value: string, maxAge: number) {
    this.add(`${name}=${encodeURIComponent(value)}; Max-Age=${maxAge}`);
  }

  clear(name: string) {
    this.add(`${name}=; Max-Age=0`);
  }

  private add(cookie: string) {
    const list = pendingCookies.get(this.request) ?? [];
    pendingCookies.set(this.request, list);
    list.push(`${cookie}; Path=/; HttpOnly; SameSite=Lax${this.secure ? "; Secure" : ""}`);
  }
}

const setCookies: Plugin = {
  onResponse({ request, response }) {
    for (const cookie of pendingCookies.get(request) ?? []) response.headers.append("Set-Cookie", cookie);
  },
};

interface ServerContext {
  /** Set by the WebSocket server, which authenticates once per connection. */
  wsViewer?: Viewer | null;
  /** The Node request and response, when served over HTTP. */
  req?: IncomingMessage;
  res?: ServerResponse;
}

/** Operation latency (HTTP and WebSocket), and errors by code as answered over HTTP (after masking). */
function measure(metrics: Metrics): Plugin {
  return {
    onExecute({ args }) {
      const type = getOperationAST(args.document, args.operationName)?.operation ?? "unknown";
      const stop = metrics.operationSeconds.startTimer({ type });
      // A method, not an arrow property: tsx names every arrow it assigns, at a cost per request.
      return {
        onExecuteDone() {
          stop();
        },
      };
    },
    onResultProcess({ result }) {
      for (const single of Array.isArray(result) ? result : [result]) metrics.countErrors((single as { errors?: readonly GraphQLError[] }).errors ?? []);
    },
  };
}

/**
 * yoga's own lines, in the API's JSON log. yoga reports each error that masking replaced as an error:
 * a failure, which masking has logged already, or a refusal (a spent rate limit, an unknown token),
 * which is the client's and no error of ours. So only a failure not yet logged is written.
 */
const yogaLog: YogaLogger = {
  debug: (...args: unknown[]) => log.debug({ args }, "graphql-yoga"),
  info: (...args: unknown[]) => log.info({ args }, "graphql-yoga"),
  warn: (...args: unknown[]) => log.warn({ args }, "graphql-yoga"),
  error: (...args: unknown[]) => {
    for (const cause of args.map(causeOf)) if (isFailure(cause)) logFailure(cause);
  },
};

/** What every request pays for in yoga; the round-trip bench's hello world is built with it too. */
export function yogaBasics() {
  return {
    graphqlEndpoint: "/graphql",
    landingPage: false,
    // http.ts refuses bodies over the limit by their Content-Length and POSTs without one (411);
    // Node's parser then hands on no more than that length. yoga's own limiter would pipe every
    // body through a stream again (14% of a small query's CPU) to enforce a larger default.
    maxRequestBodySize: false as const,
    maskedErrors: { maskError },
    logging: yogaLog,
    plugins: [armor(), compiledExecution()],
  };
}

export function createGraphQL(services: Services, auth: Authenticator, config: Config, metrics: Metrics) {
  const basics = yogaBasics();
  // Only what a resolver may use: the context is copied again by every request (envelop merges it).
  const { db, pool, pubsub, jobs, live, mail, limits, credentialStamps } = services;
  const shared: Services = { db, pool, pubsub, jobs, live, mail, limits, credentialStamps };
  const streams = eventStreams(auth);
  return createYoga<ServerContext, Context>({
    ...basics,
    schema,
    graphiql: { title: "Sessions API", subscriptionsProtocol: "WS" },
    plugins: [...basics.plugins, setCookies, measure(metrics), logFailures],
    context: async ({ request, wsViewer, req, res }): Promise<Context> => {
      if (wsViewer !== undefined) return { ...shared, viewer: wsViewer };
      const requestId = requestIdOf(res);
      const credentials = credentialsFrom(request.headers.get("authorization"), request.headers.get("cookie"));
      const secure = req ? arrivedOverHttps(req, config.trustProxy) : new URL(request.url).protocol === "https:";
      const cookies = new ResponseCookies(request, secure);
      const address = req ? clientAddress(req, config.trustProxy) : undefined;
      if (!credentials) return { ...shared, viewer: null, cookies, clientAddress: address, requestId };
      if (credentials.viaCookie && !originAllowed(request.headers.get("origin"), request.headers.get("host"), config.allowedOrigins))
        throw unauthenticated("Cross-origin requests can't use the session cookie");
      const viewer = await auth.viewerFor(credentials.secret);
      if (!viewer) {
        // A stale browser cookie is cleared, so the page falls back to the sign-in form.
        if (credentials.viaCookie) cookies.clear("session");
        throw unauthenticated();
      }
      if (res && request.headers.get("accept")?.includes("text/event-stream")) streams.track(res, credentials.secret, viewer);
      return { ...shared, viewer, cookies, clientAddress: address, requestId };
    },
  });
}

export type GraphQLServer = ReturnType<typeof createGraphQL>;
