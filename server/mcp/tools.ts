// MCP tools for AI agents. Each tool is a GraphQL operation against our own API, so every rule
// (permissions, validation, billing) stays in the domain services; transports only supply `run`.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

/** Executes one GraphQL operation as the agent's user and resolves to `data`; throws ToolError. */
export type Run = (query: string, variables?: Record<string, unknown>) => Promise<any>;

/** An expected failure, shown to the agent as a tool error with a stable code. */
export class ToolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A `run` over any GraphQL-over-HTTP endpoint; `post` sends the JSON body with the agent's token. */
export function graphqlRunner(post: (body: string) => Promise<Response>): Run {
  return async (query, variables = {}) => {
    const response = await post(JSON.stringify({ query, variables }));
    const body = (await response.json().catch(() => ({}))) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
    const error = body.errors?.[0];
    // Errors without a code are request errors, e.g. a malformed id.
    if (error) throw new ToolError(error.extensions?.code ?? "VALIDATION", error.message);
    if (!response.ok || !body.data) throw new ToolError("INTERNAL", `The Sessions API answered HTTP ${response.status}`);
    return body.data;
  };
}

const PROJECT = `id name currency hourlyRateCents billAgentTime client { id name }`;
const SESSION = `id description project { id name } state startedAt endedAt billAgentTime billableSeconds activeSeconds agentSeconds idleSeconds serverTime timeEntry { id durationSeconds }`;
const ENTRY = `id description startedAt endedAt durationSeconds project { id name }`;
const ERROR = `__typename ... on Error { code message }`;
const ERROR_TYPES = new Set(["ValidationError", "NotFoundError", "ConflictError", "ForbiddenError"]);

/** Typed error results of a mutation become tool errors. */
function unwrap<T extends { __typename: string; code?: string; message?: string }>(value: T): Omit<T, "__typename"> {
  if (ERROR_TYPES.has(value.__typename)) throw new ToolError(value.code!, value.message!);
  const { __typename, ...rest } = value;
  return rest;
}

interface Project {
  id: string;
  name: string;
  client: { id: string; name: string };
}

async function findProjects(run: Run, search?: string): Promise<{ nodes: Project[]; pageInfo: { hasNextPage: boolean } }> {
  const query = `query($search: String) { projects(search: $search, first: 100) { nodes { ${PROJECT} } pageInfo { hasNextPage } } }`;
  return (await run(query, { search })).projects;
}

function isProjectId(value: string) {
  return Buffer.from(value, "base64").toString("utf8").startsWith("Project:");
}

/** A project ID, or a partial name that must pick exactly one project (an exact name wins). */
async function resolveProject(run: Run, project: string): Promise<string> {
  if (isProjectId(project)) return project;
  const { nodes } = await findProjects(run, project);
  const exact = nodes.filter((p) => p.name.toLowerCase() === project.trim().toLowerCase());
  const matches = exact.length === 1 ? exact : nodes;
  if (matches.length === 1) return matches[0].id;
  if (!matches.length) throw new ToolError("NOT_FOUND", `No project matches "${project}". Call list_projects to see the projects.`);
  const list = matches.map((p) => `- ${p.name} (client ${p.client.name}, id ${p.id})`).join("\n");
  throw new ToolError("VALIDATION", `"${project}" matches ${matches.length} projects; pass one of their ids or a more specific name:\n${list}`);
}

function ok(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(data, null, 2) }], structuredContent: data };
}

function failed(error: ToolError): CallToolResult {
  const details = { code: error.code, message: error.message };
  return { isError: true, content: [{ type: "text", text: `${error.code}: ${error.message}` }], structuredContent: { error: details } };
}

/** Runs a tool body; expected failures become `isError` results, anything else is the SDK's to report. */
function tool<A>(body: (args: A) => Promise<Record<string, unknown>>) {
  return async (args: A): Promise<CallToolResult> => {
    try {
      return ok(await body(args));
    } catch (error) {
      if (error instanceof ToolError) return failed(error);
      throw error;
    }
  };
}

const projectArg = z
  .string()
  .min(1)
  .describe('The project: its id from list_projects, or part of its name (case-insensitive, e.g. "acme") that matches exactly one project.');
const sessionArg = z.string().min(1).describe("The session id returned by session_start (or found with list_sessions).");
const beatKind = z.enum(["active", "agent", "idle"]);

/** The tools keep their lower-case beat kinds (what agents are configured with); the API's are UPPER_SNAKE. */
const toolSession = (s: { state?: string | null }) => ({ ...s, state: s.state?.toLowerCase() ?? null });

export function createMcpServer(run: Run): McpServer {
  const server = new McpServer(
    { name: "sessions", version: "0.1.0" },
    {
      instructions:
        "Track billable time for the work you do. Start a session (session_start) when you begin a task, report " +
        "with session_beat whenever who is working changes (active: the human is driving; agent: you work on your " +
        "own; idle: paused or waiting), and end it with session_end when the task is done.",
    },
  );

  server.registerTool(
    "list_projects",
    {
      description: "List the workspace's projects: id, name, client, hourly rate (minor units of its currency) and whether agent time is billable.",
      inputSchema: { search: z.string().optional().describe("Only projects whose project or client name contains this text (case-insensitive).") },
      annotations: { readOnlyHint: true },
    },
    tool(async ({ search }) => {
      const { nodes, pageInfo } = await findProjects(run, search);
      return { projects: nodes, ...(pageInfo.hasNextPage ? { more: "Only the first 100 are listed; narrow with search." } : {}) };
    }),
  );

  server.registerTool(
    "list_sessions",
    {
      description:
        "List your agent sessions, open ones first, then the most recently started, with their state and seconds " +
        "(billable, active, agent, idle) as of serverTime. state is null once a session has ended.",
      inputSchema: {
        status: z.enum(["open", "ended", "all"]).default("open").describe("open (default), ended, or all sessions."),
      },
      annotations: { readOnlyHint: true },
    },
    tool(async ({ status }) => {
      const ended = status === "all" ? null : status === "ended";
      const query = `query($ended: Boolean) { agentSessions(ended: $ended, first: 50) { nodes { ${SESSION} } } }`;
      return { sessions: (await run(query, { ended })).agentSessions.nodes.map(toolSession) };
    }),
  );

  server.registerTool(
    "session_start",
    {
      description:
        "Start an agent session on a project for one block of work (a task, an issue). It starts in the active beat; " +
        "a running timer is stopped and saved. Keep the returned session id for session_beat and session_end.",
      inputSchema: {
        project: projectArg,
        description: z.string().min(1).describe('What the work is, in a short sentence (e.g. "Fix the login redirect"). Becomes the time entry\'s description.'),
      },
    },
    tool(async ({ project, description }) => {
      const projectId = await resolveProject(run, project);
      const query = `mutation($projectId: ID!, $description: String!) { startAgentSession(input: { projectId: $projectId, description: $description }) { ${ERROR} ... on AgentSession { ${SESSION} } } }`;
      return { session: toolSession(unwrap((await run(query, { projectId, description })).startAgentSession)) };
    }),
  );

  server.registerTool(
    "session_beat",
    {
      description:
        "Report who is working in a session now; call it whenever that changes. active: the human is driving " +
        "(typing, prompting, reviewing), always billable. agent: you work on your own, billable only if the project " +
        "bills agent time. idle: paused, waiting or away, never billable. Repeating the current kind changes nothing. " +
        "Making a session active focuses it: the running timer stops and the previously active session drops to previous_to.",
      inputSchema: {
        session: sessionArg,
        kind: beatKind.describe("active, agent or idle."),
        previous_to: z
          .enum(["agent", "idle"])
          .optional()
          .describe("Only with kind active: what your other active session (if any) drops to; idle unless an agent keeps working there."),
      },
      annotations: { idempotentHint: true },
    },
    tool(async ({ session, kind, previous_to }) => {
      const query = `mutation($session: ID!, $kind: BeatKind!, $previousTo: BeatKind) { setBeat(input: { sessionId: $session, kind: $kind, previousTo: $previousTo }) { ${ERROR} ... on AgentSession { ${SESSION} } } }`;
      // `previousTo` has a schema default; sending null would override it.
      const variables = { session, kind: kind.toUpperCase(), ...(previous_to ? { previousTo: previous_to.toUpperCase() } : {}) };
      return { session: toolSession(unwrap((await run(query, variables)).setBeat)) };
    }),
  );

  server.registerTool(
    "session_end",
    {
      description:
        "End a session when its work is done. Writes one time entry with its billable seconds (none if nothing was " +
        "billable). An ended session can't be changed or ended again.",
      inputSchema: { session: sessionArg },
    },
    tool(async ({ session }) => {
      const query = `mutation($session: ID!) { endAgentSession(input: { sessionId: $session }) { ${ERROR} ... on AgentSession { ${SESSION} } } }`;
      return { session: toolSession(unwrap((await run(query, { session })).endAgentSession)) };
    }),
  );

  server.registerTool(
    "timer_start",
    {
      description:
        "Start your plain timer (time that is not an agent session). A running timer is stopped and saved first, " +
        "and an active session drops to idle.",
      inputSchema: {
        project: projectArg.optional(),
        description: z.string().optional().describe("What the time is for; empty if omitted."),
      },
    },
    tool(async ({ project, description }) => {
      const projectId = project ? await resolveProject(run, project) : null;
      const query = `mutation($projectId: ID, $description: String) { startTimer(input: { projectId: $projectId, description: $description }) { ${ERROR} ... on TimeEntry { ${ENTRY} } } }`;
      return { timeEntry: unwrap((await run(query, { projectId, description: description ?? "" })).startTimer) };
    }),
  );

  server.registerTool(
    "timer_stop",
    {
      description: "Stop your running timer and save its time entry. Fails with NOT_FOUND when no timer runs.",
    },
    tool(async () => {
      const query = `mutation { stopTimer { ${ERROR} ... on TimeEntry { ${ENTRY} } } }`;
      return { timeEntry: unwrap((await run(query)).stopTimer) };
    }),
  );

  return server;
}
