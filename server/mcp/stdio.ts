// `npm run mcp`: the MCP server over stdio, for agents running on the user's machine. It talks to a
// running API over HTTP with the user's personal access token. stdout is the protocol channel, so
// anything for humans goes to stderr.
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createMcpServer, graphqlRunner, ToolError } from "./tools.js";

const token = process.env.SESSIONS_TOKEN;
if (!token) {
  process.stderr.write(
    "SESSIONS_TOKEN is not set. Create a personal access token (web client > Tokens) and start with\n" +
      "  SESSIONS_TOKEN=<token> [SESSIONS_URL=http://localhost:4000] npm run mcp\n",
  );
  process.exit(1);
}
const endpoint = `${(process.env.SESSIONS_URL ?? "http://localhost:4000").replace(/\/+$/, "")}/graphql`;

const run = graphqlRunner(async (body) => {
  try {
    return await fetch(endpoint, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/graphql-response+json" },
      body,
    });
  } catch (error) {
    const reason = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new ToolError("UNAVAILABLE", `Can't reach the Sessions API at ${endpoint}: ${reason}`);
  }
});

await createMcpServer(run).connect(new StdioServerTransport());
process.stderr.write(`Sessions MCP server on stdio, API at ${endpoint}\n`);
