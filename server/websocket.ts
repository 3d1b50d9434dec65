import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { GraphQLError, getOperationAST, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { SubscribePayload } from "graphql-ws";
import { WebSocketServer, type WebSocket } from "ws";
import type { Viewer } from "../schema/common/context.js";
import { type Authenticator, credentialsFrom, originAllowed } from "./auth.js";
import type { Config } from "./config.js";
import type { GraphQLServer } from "./graphql.js";
import { SharedSubscriptions } from "./shared-subscriptions.js";

interface SocketState {
  viewer: Viewer;
  subscriptions: Set<string>;
}

/** How an accepted operation will run: with its own enveloped execution, or by joining a shared one. */
type Plan =
  | { kind: "own"; enveloped: ReturnType<GraphQLServer["getEnveloped"]> }
  | { kind: "shared"; key: string; document: DocumentNode; start: () => Promise<ReturnType<ReturnType<GraphQLServer["getEnveloped"]>["subscribe"]>> };

/** Everything that can change a state subscription's payload: who asks, and what they ask. */
function sharedKey(viewer: Viewer, payload: SubscribePayload) {
  const who = [viewer.workspaceId, viewer.userId, [...viewer.permissions].sort().join(",")].join("|");
  return `${who}|${payload.operationName ?? ""}|${JSON.stringify(payload.variables ?? {})}|${payload.query}`;
}

/** Root fields marked `sharedState` (each payload is complete state) may be executed once for many sockets. */
function isSharedState(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null) {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== "subscription" || operation.selectionSet.selections.length !== 1) return false;
  const selection = operation.selectionSet.selections[0];
  if (selection.kind !== "Field") return false;
  return schema.getSubscriptionType()?.getFields()[selection.name.value]?.extensions?.sharedState === true;
}

/**
 * graphql-ws on /graphql. Auth happens once per connection (cookie with an Origin check, or a
 * token in connectionParams); limits run through the same envelop plugins as HTTP.
 */
export function createWebSocketServer(yoga: GraphQLServer, auth: Authenticator, config: Config) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxBodyBytes });
  const states = new WeakMap<WebSocket, SocketState>();
  const byToken = new Map<string, Set<WebSocket>>();
  const plans = new WeakMap<object, Plan>();
  const shared = new SharedSubscriptions();

  auth.whenRevoked((tokenId) => {
    for (const socket of byToken.get(tokenId) ?? []) socket.close(4401, "Token revoked");
  });

  const schema = yoga.getEnveloped().schema;
  const envelop = (viewer: Viewer, request: IncomingMessage, payload: SubscribePayload) =>
    yoga.getEnveloped({ wsViewer: viewer, request, params: payload });
  const operation = (document: DocumentNode, payload: SubscribePayload) => ({
    schema,
    document,
    operationName: payload.operationName,
    variableValues: payload.variables,
  });

  const disposable = useServer(
    {
      execute: (args) => {
        const plan = plans.get(args.contextValue as object) as Extract<Plan, { kind: "own" }>;
        return plan.enveloped.execute(args);
      },
      subscribe: (args) => {
        const plan = plans.get(args.contextValue as object)!;
        if (plan.kind === "own") return plan.enveloped.subscribe(args);
        return shared.join(plan.key, plan.document, plan.start);
      },
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        const params = (ctx.connectionParams ?? {}) as { token?: string; authorization?: string };
        const bearer = params.token ? `Bearer ${params.token}` : params.authorization;
        const credentials = credentialsFrom(bearer, request.headers.cookie);
        if (!credentials) {
          socket.close(4401, "Unauthorized: send a token in connectionParams or sign in");
          return false;
        }
        if (credentials.viaCookie && !originAllowed(request.headers.origin, request.headers.host, config.allowedOrigins)) {
          socket.close(4403, "Forbidden origin");
          return false;
        }
        const viewer = await auth.viewerFor(credentials.secret);
        if (!viewer) {
          socket.close(4401, "Unauthorized");
          return false;
        }
        const set = byToken.get(viewer.tokenId) ?? new Set();
        set.add(socket);
        byToken.set(viewer.tokenId, set);
        socket.once("close", () => {
          set.delete(socket);
          if (!set.size) byToken.delete(viewer.tokenId);
        });
        states.set(socket, { viewer, subscriptions: new Set() });
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const state = states.get(ctx.extra.socket)!;
        if (state.subscriptions.size >= config.maxSubscriptionsPerSocket) {
          return [new GraphQLError(`Too many operations on one connection (limit ${config.maxSubscriptionsPerSocket})`, { extensions: { code: "LIMIT" } })];
        }
        const request = ctx.extra.request as IncomingMessage;
        const accept = (plan: Plan, document: DocumentNode, contextValue: object): ExecutionArgs => {
          plans.set(contextValue, plan);
          state.subscriptions.add(id);
          return { ...operation(document, payload), contextValue };
        };

        const key = sharedKey(state.viewer, payload);
        const running = shared.documentFor(key);
        if (running) {
          // The same viewer already runs this exact operation here: join it, nothing to re-check.
          const start = async () => {
            const enveloped = envelop(state.viewer, request, payload);
            return enveloped.subscribe({ ...operation(running, payload), contextValue: await enveloped.contextFactory() });
          };
          return accept({ kind: "shared", key, document: running, start }, running, {});
        }

        const enveloped = envelop(state.viewer, request, payload);
        let document: DocumentNode;
        // Armor's limits throw from parse and validate; answer them as errors of this operation only.
        try {
          document = enveloped.parse(payload.query);
          const errors = enveloped.validate(enveloped.schema, document);
          if (errors.length) return errors;
        } catch (error) {
          return [error as GraphQLError];
        }
        const contextValue = await enveloped.contextFactory();
        if (!isSharedState(schema, document, payload.operationName)) return accept({ kind: "own", enveloped }, document, contextValue);
        const start = async () => enveloped.subscribe({ ...operation(document, payload), contextValue });
        return accept({ kind: "shared", key, document, start }, document, contextValue);
      },
      onComplete: (ctx, id) => {
        states.get(ctx.extra.socket)?.subscriptions.delete(id);
      },
    },
    wss,
  );

  return {
    wss,
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
    },
    async close() {
      for (const client of wss.clients) client.close(1001, "Server shutting down");
      await disposable.dispose();
    },
  };
}
