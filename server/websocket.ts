import type { IncomingMessage } from "node:http";
import { GraphQLError, type ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import type { Viewer } from "../schema/common/context.js";
import { type Authenticator, credentialsFrom, originAllowed } from "./auth.js";
import type { Config } from "./config.js";
import type { GraphQLServer } from "./graphql.js";

interface SocketState {
  viewer: Viewer;
  subscriptions: Set<string>;
}

type Enveloped = ReturnType<GraphQLServer["getEnveloped"]>;

/**
 * graphql-ws on /graphql. Auth happens once per connection (cookie with an Origin check, or a
 * token in connectionParams); limits run through the same envelop plugins as HTTP.
 */
export function createWebSocketServer(yoga: GraphQLServer, auth: Authenticator, config: Config) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxBodyBytes });
  const states = new WeakMap<WebSocket, SocketState>();
  const byToken = new Map<string, Set<WebSocket>>();
  const envelopedFor = new WeakMap<object, Enveloped>();

  auth.whenRevoked((tokenId) => {
    for (const socket of byToken.get(tokenId) ?? []) socket.close(4401, "Token revoked");
  });

  const disposable = useServer(
    {
      execute: (args) => envelopedFor.get(args.contextValue as object)!.execute(args),
      subscribe: (args) => envelopedFor.get(args.contextValue as object)!.subscribe(args),
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
        const enveloped = yoga.getEnveloped({ wsViewer: state.viewer, request: ctx.extra.request as IncomingMessage, params: payload });
        // Armor's limits throw from parse and validate; answer them as errors of this operation only.
        let document;
        try {
          document = enveloped.parse(payload.query);
          const errors = enveloped.validate(enveloped.schema, document);
          if (errors.length) return errors;
        } catch (error) {
          return [error as GraphQLError];
        }
        state.subscriptions.add(id);
        const contextValue = await enveloped.contextFactory();
        envelopedFor.set(contextValue, enveloped);
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
        return args;
      },
      onComplete: (ctx, id) => {
        states.get(ctx.extra.socket)?.subscriptions.delete(id);
      },
    },
    wss,
  );

  return {
    wss,
    handleUpgrade(request: IncomingMessage, socket: import("node:stream").Duplex, head: Buffer) {
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
    },
    async close() {
      for (const client of wss.clients) client.close(1001, "Server shutting down");
      await disposable.dispose();
    },
  };
}
