import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { GraphQLError, getOperationAST, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from "graphql";
import { CloseCode, handleProtocols, makeServer, type ServerOptions, type SubscribePayload } from "graphql-ws";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { Viewer } from "../schema/common/context.js";
import { log } from "../schema/common/log.js";
import { RateLimitedError, type RateLimits } from "../schema/identity/rate-limits.js";
import { type Authenticator, credentialsFrom, originAllowed } from "./auth.js";
import type { Config } from "../platform/config.js";
import { rateLimited, type GraphQLServer } from "./graphql.js";
import type { Metrics } from "./metrics.js";
import { SharedSubscriptions, type Start } from "./shared-subscriptions.js";
import { atExpiry, onIdentityChange, standing } from "./standing.js";

interface SocketState {
  viewer: Viewer;
  /** Kept to re-resolve the viewer when its credential or membership changes. */
  secret: string;
  /** graphql-ws's own record of the socket's running operations, by id. */
  operations: Readonly<Record<string, unknown>>;
}

/**
 * What a socket keeps of its upgrade request: graphql-ws holds whatever it is given for the socket's
 * whole life, and the request (its streams, raw headers, socket) would cost more than the rest of
 * the socket's state. onConnect reads these headers; nothing else reads the request.
 */
type Upgrade = { headers: Pick<IncomingHttpHeaders, "cookie" | "origin" | "host"> };
const upgradeOf = ({ headers: { cookie, origin, host } }: IncomingMessage): Upgrade => ({ headers: { cookie, origin, host } });

/** Each interval's pings go out in this many slices, spread over it. */
const PING_SLICES = 20;

/**
 * Pings every socket from one timer, instead of graphql-ws's interval, pong listener and timeout per
 * socket: a socket that hasn't answered the previous ping by the next one is dropped. The sockets
 * are pinged a slice at a time over the interval: pinging tens of thousands in one go (and reading
 * their pongs) held the process for hundreds of milliseconds, and every request with it.
 */
function keepAlive(wss: WebSocketServer, open: ReadonlySet<WebSocket>, everyMs: number) {
  const unanswered = new WeakSet<WebSocket>();
  function answered(this: WebSocket) {
    unanswered.delete(this);
  }
  wss.on("connection", (socket: WebSocket) => socket.on("pong", answered));
  let round: WebSocket[] = [];
  let next = 0;
  const timer = setInterval(() => {
    if (next >= round.length) [round, next] = [[...open], 0];
    const end = Math.min(round.length, next + Math.ceil(round.length / PING_SLICES));
    for (; next < end; next++) {
      const socket = round[next];
      if (unanswered.has(socket)) socket.terminate();
      else if (socket.readyState === socket.OPEN) {
        unanswered.add(socket);
        socket.ping();
      }
    }
  }, everyMs / PING_SLICES);
  timer.unref();
  return () => clearInterval(timer);
}

/** What graphql-ws is told of each socket. */
interface Extra {
  readonly socket: WebSocket;
  readonly request: Upgrade;
}

/** How long a new socket may take to send connection_init (graphql-ws's default). */
const INIT_WAIT_MS = 3_000;

function initTimedOut(socket: WebSocket) {
  socket.close(CloseCode.ConnectionInitialisationTimeout, "Connection initialisation timeout");
}

/** A socket's failure: logged, and the socket closed. `this` is the socket, so no socket keeps a closure for it. */
function failed(this: WebSocket, error: unknown) {
  log.error({ err: error }, "WebSocket operation failed");
  this.close(CloseCode.InternalServerError, "Internal server error");
}

/**
 * One socket as graphql-ws sees it, with methods on the prototype rather than closures per socket:
 * tsx names every function it sees assigned (`__name`), which gives each closure a property table
 * of its own, about 256 bytes, and a wall display holds thousands of sockets.
 */
class Connection {
  readonly protocol: string;
  private handle: ((data: string) => Promise<void>) | null = null;
  /** graphql-ws's cleanup, once the socket closes. */
  closed: ((code?: number, reason?: string) => Promise<void>) | null = null;

  constructor(
    private readonly socket: WebSocket,
    private readonly open: Set<WebSocket>,
  ) {
    this.protocol = socket.protocol;
    open.add(socket);
  }

  send(data: string) {
    return new Promise<void>((resolve, reject) => {
      if (this.socket.readyState !== this.socket.OPEN) return resolve();
      this.socket.send(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(code?: number, reason?: string) {
    this.socket.close(code, reason);
  }

  onMessage(handle: (data: string) => Promise<void>) {
    this.handle = handle;
    this.socket.on("message", this.received.bind(this));
  }

  /**
   * graphql-ws takes a message parsed or not, and its handler holds what it was given for as long as
   * the operation runs: parsed here, the text is garbage at once. Text that isn't JSON goes on as it
   * is, for graphql-ws to refuse (4400).
   */
  private received(data: RawData) {
    const text = String(data);
    let message: unknown = text;
    try {
      message = JSON.parse(text);
    } catch {}
    void this.handle!(message as string).catch((error) => failed.call(this.socket, error));
  }

  ended(code: number, reason: Buffer) {
    this.open.delete(this.socket);
    void this.closed?.(code, String(reason)).catch((error) => failed.call(this.socket, error));
  }
}

/**
 * graphql-ws's protocol on the ws sockets, as graphql-ws/use/ws runs it but keeping less per socket:
 * no timers of its own (keepAlive pings every socket from one; the wait for connection_init is timed
 * here, as graphql-ws would keep its spent timer for the socket's whole life), no handler frame
 * holding the message's text for as long as the operation it started runs, and no closures or
 * `once` wrappers of its own (a socket emits `close` once, and is closed on its first `error`).
 * Returns the open sockets: tracked here rather than by ws (`clientTracking`), which would add a
 * closure and a second `close` listener to every socket.
 */
function serve(options: ServerOptions<undefined, Extra>, wss: WebSocketServer): ReadonlySet<WebSocket> {
  const open = new Set<WebSocket>();
  const awaitingInit = new WeakMap<WebSocket, NodeJS.Timeout>();
  const server = makeServer({
    ...options,
    connectionInitWaitTimeout: Infinity,
    onConnect: (ctx) => {
      clearTimeout(awaitingInit.get(ctx.extra.socket));
      awaitingInit.delete(ctx.extra.socket);
      return options.onConnect?.(ctx);
    },
  });
  wss.options.handleProtocols = handleProtocols;
  wss.on("connection", (socket: WebSocket, request: Upgrade) => {
    socket.on("error", failed);
    awaitingInit.set(socket, setTimeout(initTimedOut, INIT_WAIT_MS, socket));
    const connection = new Connection(socket, open);
    connection.closed = server.opened(connection, { socket, request });
    socket.on("close", connection.ended.bind(connection));
  });
  return open;
}

/**
 * Query texts seen lately, so that thousands of sockets running one query hold one copy of its text.
 * Only short texts, and at most a thousand: a client sending many large ones can't pin memory here.
 */
const queryTexts = new Map<string, string>();
const QUERY_TEXTS_KEPT = 1_000;
const QUERY_TEXT_LONGEST = 4_096;

function sharedText(query: string) {
  if (query.length > QUERY_TEXT_LONGEST) return query;
  const known = queryTexts.get(query);
  if (known !== undefined) return known;
  if (queryTexts.size >= QUERY_TEXTS_KEPT) queryTexts.clear();
  queryTexts.set(query, query);
  return query;
}

type ConnectionParams = { token?: unknown; authorization?: string };

/**
 * A token in connectionParams is the secret as it is: cut from "Bearer <token>", the secret would
 * be a slice keeping that joined text alive for the socket's whole life, beside the token itself.
 */
function credentialsOf(params: ConnectionParams, cookie: string | undefined) {
  if (typeof params.token === "string" && /^\S+$/.test(params.token)) return { secret: params.token, viaCookie: false };
  return credentialsFrom(params.authorization, cookie);
}

/** How an accepted operation will run: with its own enveloped execution, or by joining a shared one. */
type Plan =
  | { kind: "own"; enveloped: ReturnType<GraphQLServer["getEnveloped"]> }
  | { kind: "shared"; key: string; changes: boolean; socket: WebSocket; id: string; start: Start };

/** Names whose payloads a viewer shares: viewers with the same audience get the very same payload. */
type Audience = (viewer: Viewer) => string;

/** Everything that can change a state subscription's payload: what the viewer may see, and what they ask. */
function sharedKey(audience: string, payload: SubscribePayload) {
  return `${audience}|${payload.operationName ?? ""}|${JSON.stringify(payload.variables ?? {})}|${payload.query}`;
}

/**
 * Root fields whose `sharedState` extension names their audience (each payload is complete state,
 * decided only by what the viewer may see) may be executed once for many sockets; so may those whose
 * `sharedChanges` does (the whole state first, then changes to it).
 */
function sharedAudience(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): { audience: Audience; changes: boolean } | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== "subscription" || operation.selectionSet.selections.length !== 1) return null;
  const selection = operation.selectionSet.selections[0];
  if (selection.kind !== "Field") return null;
  const extensions = schema.getSubscriptionType()?.getFields()[selection.name.value]?.extensions;
  if (typeof extensions?.sharedState === "function") return { audience: extensions.sharedState as Audience, changes: false };
  if (typeof extensions?.sharedChanges === "function") return { audience: extensions.sharedChanges as Audience, changes: true };
  return null;
}

/**
 * graphql-ws on /graphql. Auth happens once per connection (cookie with an Origin check, or a
 * token in connectionParams); limits run through the same envelop plugins as HTTP.
 */
export function createWebSocketServer(yoga: GraphQLServer, auth: Authenticator, limits: RateLimits, config: Config, metrics: Metrics) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxBodyBytes, clientTracking: false });
  const states = new Map<WebSocket, SocketState>();
  const plans = new WeakMap<object, Plan>();
  /** Subscriptions waiting for their first payload, by their context: how long a wall display waits. */
  const firstPayload = new WeakMap<object, () => void>();
  const shared = new SharedSubscriptions((result) => metrics.countErrors(result.errors ?? []));

  // Running operations were authorized with the old viewer: a socket whose credential died is
  // closed (4401), one whose permissions changed is closed so the client reconnects with the new ones (4403).
  onIdentityChange(auth, states, (socket, secret, viewer) => {
    void standing(auth, secret, viewer).then(
      (outcome) => {
        if (outcome === "revoked") socket.close(4401, "Token revoked");
        else if (outcome === "changed") socket.close(4403, "Permissions changed; reconnect");
      },
      () => socket.close(1011, "Re-authorization failed"),
    );
  });

  const schema = yoga.getEnveloped().schema;
  const envelop = (viewer: Viewer, payload: SubscribePayload) => yoga.getEnveloped({ wsViewer: viewer, params: payload });
  const operation = (document: DocumentNode, payload: SubscribePayload) => ({
    schema,
    document,
    operationName: payload.operationName,
    variableValues: payload.variables,
  });

  const open = serve(
    {
      execute: (args) => {
        const plan = plans.get(args.contextValue as object) as Extract<Plan, { kind: "own" }>;
        return plan.enveloped.execute(args);
      },
      subscribe: (args) => {
        const timer = metrics.operationSeconds.startTimer({ type: "subscription" });
        const plan = plans.get(args.contextValue as object)!;
        // Used once: a socket that joined a group keeps no envelop or closure of its own.
        plans.delete(args.contextValue as object);
        if (plan.kind === "shared") return shared.join(plan.key, plan.changes, plan.start, plan.socket, plan.id, timer);
        firstPayload.set(args.contextValue as object, timer);
        return plan.enveloped.subscribe(args);
      },
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        const credentials = credentialsOf((ctx.connectionParams ?? {}) as ConnectionParams, request.headers.cookie);
        if (!credentials) {
          socket.close(4401, "Unauthorized: send a token in connectionParams or sign in");
          return false;
        }
        if (credentials.viaCookie && !originAllowed(request.headers.origin, request.headers.host, config.allowedOrigins)) {
          socket.close(4403, "Forbidden origin");
          return false;
        }
        let viewer: Viewer | null;
        try {
          viewer = await auth.viewerFor(credentials.secret);
        } catch (error) {
          if (!(error instanceof RateLimitedError)) throw error;
          socket.close(4429, `Too many requests; retry in ${error.retryAfterSeconds} s`);
          return false;
        }
        if (!viewer) {
          socket.close(4401, "Unauthorized");
          return false;
        }
        states.set(socket, { viewer, secret: credentials.secret, operations: ctx.subscriptions });
        socket.once("close", atExpiry(viewer.expiresAt, () => socket.close(4401, "Token expired")));
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const state = states.get(ctx.extra.socket)!;
        // graphql-ws holds the payload while the operation runs; wall displays all send the same text.
        (payload as { query: string }).query = sharedText(payload.query);
        // graphql-ws counts this operation among the socket's before calling here, and forgets it when
        // it ends or fails: operations sent together can't all pass the cap.
        if (Object.keys(ctx.subscriptions).length > config.maxSubscriptionsPerSocket) {
          return [new GraphQLError(`Too many operations on one connection (limit ${config.maxSubscriptionsPerSocket})`, { extensions: { code: "LIMIT" } })];
        }
        try {
          return await prepare(state, payload, ctx.extra.socket, id);
        } catch (error) {
          if (error instanceof RateLimitedError) return [rateLimited(error, false)];
          throw error;
        }
      },
      onNext: (_ctx, _id, _payload, args, result) => {
        metrics.countErrors(result.errors ?? []);
        const context = args.contextValue as object;
        firstPayload.get(context)?.();
        firstPayload.delete(context);
      },
      onError: (_ctx, _id, _payload, errors) => void metrics.countErrors(errors),
      onClose: (ctx) => void states.delete(ctx.extra.socket),
    },
    wss,
  );
  const stopPinging = keepAlive(wss, open, config.wsPingMs);

  /** Counts the operation against the credential's limit, then plans how it runs (or answers its errors). */
  async function prepare(state: SocketState, payload: SubscribePayload, socket: WebSocket, id: string): Promise<ExecutionArgs | readonly GraphQLError[]> {
    await limits.consume("tokenUse", state.viewer.tokenId);
    const enveloped = envelop(state.viewer, payload);
    let document: DocumentNode;
    // Armor's limits throw from parse and validate (both cached by yoga); answer them as errors of this operation only.
    try {
      document = enveloped.parse(payload.query);
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length) return errors;
    } catch (error) {
      return [error as GraphQLError];
    }
    const accept = (plan: Plan, contextValue: object): ExecutionArgs => {
      plans.set(contextValue, plan);
      return { ...operation(document, payload), contextValue };
    };
    const sharing = sharedAudience(schema, document, payload.operationName);
    if (!sharing) return accept({ kind: "own", enveloped }, await enveloped.contextFactory());
    // Only the first of a group builds a context and runs the operation; the others just join it.
    const start: Start = async (onChangeFeed) =>
      enveloped.subscribe({ ...operation(document, payload), contextValue: Object.assign(await enveloped.contextFactory(), { onChangeFeed }) });
    const key = sharedKey(sharing.audience(state.viewer), payload);
    return accept({ kind: "shared", key, changes: sharing.changes, socket, id, start }, {});
  }

  return {
    wss,
    /** Open sockets and the operations running on them, for the metrics. */
    stats() {
      let operations = 0;
      for (const state of states.values()) operations += Object.keys(state.operations).length;
      return { sockets: states.size, operations };
    },
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, upgradeOf(request)));
    },
    async close() {
      stopPinging();
      for (const client of open) client.close(1001, "Server shutting down");
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
