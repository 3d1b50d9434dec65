// The MCP server as an agent sees it, through the SDK's own client on both transports.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, signIn, subscribe, tokenFor, wsClient } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let token: string;
let agent: Client;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  ws = await newWorkspace(url);
  token = ws.employee.token;
  // The projects the agent works on, as a freelancer's workspace would have them.
  const client = (await ok(url, `mutation { createClient(input: { name: "Acme Corp" }) { ... on Client { id } } }`, {}, { token: ws.owner.token })).createClient.id;
  await ok(url, `mutation($c: ID!) { createProject(input: { clientId: $c, name: "Acme Website", hourlyRateCents: 9000 }) { ... on Project { id } } }`, { c: client }, { token: ws.owner.token });
  agent = await connectHttp(token);
});
afterAll(async () => {
  await agent?.close();
  await stack?.stop();
});

async function connectHttp(secret: string) {
  const client = new Client({ name: "test-agent", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${secret}` } } });
  await client.connect(transport);
  return client;
}

/** Calls a tool and returns its structured result, failing the test on a tool error. */
async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  expect(JSON.parse((result.content[0] as { text: string }).text)).toEqual(result.structuredContent);
  return result.structuredContent as any;
}

async function callError(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError).toBe(true);
  return { text: (result.content[0] as { text: string }).text, ...(result.structuredContent as { error: { code: string; message: string } }).error };
}

describe("MCP over Streamable HTTP", () => {
  it("lists the seven tools, with input schemas", async () => {
    const { tools } = await agent.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      ["list_projects", "list_sessions", "session_beat", "session_end", "session_start", "timer_start", "timer_stop"].sort(),
    );
    const beat = tools.find((t) => t.name === "session_beat")!;
    expect(beat.inputSchema.required).toEqual(["session", "kind"]);
    expect((beat.inputSchema.properties!.kind as { enum: string[] }).enum).toEqual(["active", "agent", "idle"]);
  });

  it("finds projects by part of their name", async () => {
    const { projects } = await call(agent, "list_projects", { search: "acme" });
    expect(projects).toContainEqual(expect.objectContaining({ name: "Acme Website", client: expect.objectContaining({ name: "Acme Corp" }) }));
    expect((await call(agent, "list_projects", { search: "no such thing" })).projects).toEqual([]);
  });

  it("runs a session: start by partial name, beat, list, end", async () => {
    const { session } = await call(agent, "session_start", { project: "acme web", description: "Refactor the login" });
    expect(session).toMatchObject({ state: "active", description: "Refactor the login", project: { name: "Acme Website" } });
    expect((await call(agent, "session_beat", { session: session.id, kind: "agent" })).session.state).toBe("agent");
    const open = (await call(agent, "list_sessions")).sessions;
    expect(open.find((s: { id: string }) => s.id === session.id)).toMatchObject({ state: "agent", endedAt: null });
    const ended = (await call(agent, "session_end", { session: session.id })).session;
    expect(ended).toMatchObject({ id: session.id, state: null });
    expect(ended.endedAt).toBeTruthy();
    expect((await call(agent, "list_sessions")).sessions.map((s: { id: string }) => s.id)).not.toContain(session.id);
    expect((await call(agent, "list_sessions", { status: "ended" })).sessions.map((s: { id: string }) => s.id)).toContain(session.id);
    expect((await call(agent, "list_sessions", { status: "all" })).sessions.map((s: { id: string }) => s.id)).toContain(session.id);
  });

  it("starts by project id too", async () => {
    const { projects } = await call(agent, "list_projects", { search: "Acme Website" });
    const { session } = await call(agent, "session_start", { project: projects[0].id, description: "By id" });
    expect(session.project.id).toBe(projects[0].id);
    await call(agent, "session_end", { session: session.id });
  });

  it("maps failures to tool errors with codes", async () => {
    expect(await callError(agent, "session_start", { project: "zzz-nothing", description: "x" })).toMatchObject({ code: "NOT_FOUND" });
    const unknownId = Buffer.from("Project:00000000-0000-4000-8000-000000000000").toString("base64");
    expect(await callError(agent, "session_start", { project: unknownId, description: "x" })).toMatchObject({ code: "NOT_FOUND" });
    expect(await callError(agent, "session_start", { project: "acme", description: "   " })).toMatchObject({ code: "VALIDATION" });

    const { session } = await call(agent, "session_start", { project: "Acme Website", description: "Short" });
    await call(agent, "session_end", { session: session.id });
    const conflict = await callError(agent, "session_beat", { session: session.id, kind: "active" });
    expect(conflict).toMatchObject({ code: "CONFLICT" });
    expect(conflict.text).toMatch(/^CONFLICT: /);
    expect(await callError(agent, "session_end", { session: session.id })).toMatchObject({ code: "CONFLICT" });

    // Input the schema rejects never reaches the API.
    const bad = (await agent.callTool({ name: "session_beat", arguments: { session: session.id, kind: "sleeping" } })) as CallToolResult;
    expect(bad.isError).toBe(true);
  });

  it("asks for a more specific project when a name matches several", async () => {
    const owner = ws.owner.token;
    const client = (await ok(url, `mutation { createClient(input: { name: "Initech" }) { ... on Client { id } } }`, {}, { token: owner })).createClient.id;
    const create = `mutation($c: ID!, $n: String!) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: 10000 }) { ... on Project { id } } }`;
    await ok(url, create, { c: client, n: "Initech Portal" }, { token: owner });
    await ok(url, create, { c: client, n: "Initech Portal v2" }, { token: owner });
    await ok(url, create, { c: client, n: "Initech Billing" }, { token: owner });
    const error = await callError(agent, "timer_start", { project: "initech" });
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toContain("Initech Billing");
    expect(error.message).toContain("Initech Portal v2");
    // An exact name wins over longer names that contain it.
    const { timeEntry } = await call(agent, "timer_start", { project: "initech portal" });
    expect(timeEntry.project.name).toBe("Initech Portal");
    await call(agent, "timer_stop");
  });

  it("starts and stops the timer", async () => {
    const started = (await call(agent, "timer_start", { project: "Acme Website", description: "Reading specs" })).timeEntry;
    expect(started).toMatchObject({ description: "Reading specs", endedAt: null, project: { name: "Acme Website" } });
    const stopped = (await call(agent, "timer_stop")).timeEntry;
    expect(stopped).toMatchObject({ id: started.id, durationSeconds: expect.any(Number) });
    expect(stopped.endedAt).toBeTruthy();
    expect(await callError(agent, "timer_stop")).toMatchObject({ code: "NOT_FOUND" });
    const plain = (await call(agent, "timer_start")).timeEntry;
    expect(plain).toMatchObject({ description: "", project: null });
    await call(agent, "timer_stop");
  });

  it("answers 401 before MCP without a valid personal access token", async () => {
    const initialize = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    });
    const post = (headers: Record<string, string>) =>
      fetch(`${url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: initialize });
    const attempts: Record<string, string>[] = [{}, { authorization: "Bearer not-a-token" }, { authorization: token }];
    for (const headers of attempts) {
      const res = await post(headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      expect((await res.json()).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    }
    // The browser cookie doesn't count on /mcp.
    expect((await post({ cookie: await signIn(url, ws.employee.email) })).status).toBe(401);
    // With a token, plain HTTP works too; stateless, so no GET stream.
    expect((await post({ authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await fetch(`${url}/mcp`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } })).status).toBe(405);
    // The SDK client surfaces it as a StreamableHTTPError with the status as its code.
    await expect(connectHttp("not-a-token")).rejects.toMatchObject({ code: 401, message: expect.stringContaining("UNAUTHENTICATED") });
  });

  it("shows a session_beat on the Live board within a second", async () => {
    const lisa = ws.manager.token;
    const socket = wsClient(url, { token: lisa });
    type Board = { liveBoard: { sessions: { id: string; state: string }[] } };
    const board = subscribe<Board>(socket, `subscription { liveBoard { sessions { id state } } }`);
    await board.next();
    const { session } = await call(agent, "session_start", { project: "acme", description: "Watched" });
    const row = (b: Board) => b.liveBoard.sessions.find((s) => s.id === session.id);
    await board.next((b) => row(b)?.state === "ACTIVE");

    await call(agent, "session_beat", { session: session.id, kind: "agent" });
    const returned = Date.now();
    await board.next((b) => row(b)?.state === "AGENT", 1000);
    expect(Date.now() - returned).toBeLessThan(1000);

    await call(agent, "session_end", { session: session.id });
    await board.next((b) => !row(b));
    await socket.dispose();
  });
});

describe("MCP over stdio", () => {
  const cwd = fileURLToPath(new URL("../..", import.meta.url));

  it("runs tools against the API with SESSIONS_URL and SESSIONS_TOKEN", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ["--import", "tsx", "server/mcp/stdio.ts"],
      cwd,
      env: { SESSIONS_URL: url, SESSIONS_TOKEN: token },
      stderr: "pipe",
    });
    const client = new Client({ name: "stdio-agent", version: "1.0.0" });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools).toHaveLength(7);
      expect((await call(client, "list_projects", { search: "acme" })).projects.map((p: { name: string }) => p.name)).toContain("Acme Website");
      const { session } = await call(client, "session_start", { project: "Acme Website", description: "From stdio" });
      await call(client, "session_end", { session: session.id });
    } finally {
      await client.close();
    }
  });

  it("reports a bad token as a tool error, and exits without one", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ["--import", "tsx", "server/mcp/stdio.ts"],
      cwd,
      env: { SESSIONS_URL: url, SESSIONS_TOKEN: "revoked-or-wrong" },
      stderr: "pipe",
    });
    const client = new Client({ name: "stdio-agent", version: "1.0.0" });
    await client.connect(transport);
    expect(await callError(client, "list_sessions")).toMatchObject({ code: "UNAUTHENTICATED" });
    await client.close();

    const { spawnSync } = await import("node:child_process");
    const { SESSIONS_TOKEN: _, ...env } = process.env;
    const bare = spawnSync(process.execPath, ["--import", "tsx", "server/mcp/stdio.ts"], { cwd, env, encoding: "utf8", input: "" });
    expect(bare.status).toBe(1);
    expect(bare.stdout).toBe("");
    expect(bare.stderr).toContain("SESSIONS_TOKEN is not set");
  });
});
