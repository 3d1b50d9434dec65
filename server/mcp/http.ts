// MCP over Streamable HTTP at /mcp, stateless: a fresh server and transport per request. Tools run
// their GraphQL in-process through yoga with the caller's bearer token, so auth, permissions and
// limits are exactly the API's.
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { GraphQLServer } from "../graphql.js";
import { createMcpServer, graphqlRunner, ToolError, type Run } from "./tools.js";

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

async function signedIn(run: Run): Promise<boolean> {
  try {
    return (await run(`{ viewer { role } }`)).viewer !== null;
  } catch (error) {
    if (error instanceof ToolError && error.code === "UNAUTHENTICATED") return false;
    throw error;
  }
}

export function createMcpRoute(yoga: GraphQLServer) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Only bearer tokens: the browser cookie is never forwarded, so a web page can't drive tools.
    const authorization = req.headers.authorization ?? "";
    const run = graphqlRunner(async (body) =>
      yoga.fetch("http://internal/graphql", {
        method: "POST",
        headers: { authorization, "content-type": "application/json", accept: "application/graphql-response+json" },
        body,
      }),
    );
    if (!/^Bearer\s+\S+$/i.test(authorization) || !(await signedIn(run))) {
      const message = authorization ? "Unknown, expired or revoked token" : "Send a personal access token as Authorization: Bearer <token>";
      return json(res, 401, { errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] }, { "www-authenticate": "Bearer" });
    }
    // Stateless: there is no server-initiated stream to open (GET) and no session to end (DELETE).
    if (req.method !== "POST")
      return json(res, 405, { jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed." }, id: null }, { allow: "POST" });

    const server = createMcpServer(run);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
}
