import { createServer, type Server } from "node:http";
import { createPubSub } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../prisma/generated/client.js";
import { finaliseSession } from "../../schema/analytics/enrichment.js";
import { ingestEvents } from "../../schema/analytics/ingestion.js";
import { validateBatch } from "../../schema/analytics/rules.js";
import { useLlmSummaries } from "../../schema/analytics/summariser.js";
import type { Services } from "../../schema/common/context.js";
import { freshDatabase } from "../support/database.js";

// A stand-in for an OpenAI-compatible endpoint: answers with whatever the test sets (status 0: never answers).
let reply: { status: number; content: string } = { status: 200, content: "{}" };
const requests: { auth: string | undefined; body: any }[] = [];
let server: Server;
const HANG_TIMEOUT_MS = 3000;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: PrismaClient;
let services: Services;
let app: { id: string; workspaceId: string; internal: boolean; internalUserIds: string[] };

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    requests.push({ auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString()) });
    if (reply.status === 0) return;
    res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify({ choices: [{ message: { role: "assistant", content: reply.content } }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  useLlmSummaries({ url: `http://127.0.0.1:${port}/v1`, apiKey: "sk-test", model: "tiny", timeoutMs: HANG_TIMEOUT_MS });
  database = await freshDatabase();
  db = database.db;
  services = { db, pubsub: createPubSub(), jobs: { enqueue: async () => {}, failed: async () => [] } } as unknown as Services;
  const workspace = await db.workspace.create({ data: { name: "W" } });
  app = await db.analyticsApp.create({ data: { workspaceId: workspace.id, name: "App", writeKeyHash: "h" } });
  await db.businessEventDefinition.create({ data: { appId: app.id, name: "Signed Up", eventName: "signup", descriptionTemplate: "Signed up" } });
  await db.businessEventDefinition.create({ data: { appId: app.id, name: "Upgraded", eventName: "upgrade", descriptionTemplate: "Upgraded" } });
});
afterAll(async () => {
  useLlmSummaries(null);
  server?.closeAllConnections();
  server?.close();
  await database?.stop();
});

async function finalisedSummary(userId: string) {
  const { events } = validateBatch({
    events: ["signup", "upgrade"].map((name, i) => ({ eventId: `${userId}-${i}`, userId, name, timestamp: new Date(Date.now() - (60 - i) * 60_000).toISOString() })),
  });
  const { changedSessionIds } = await ingestEvents(database, app, events);
  expect(await finaliseSession(services, changedSessionIds[0])).toBe("finalised");
  return db.userSession.findUniqueOrThrow({ where: { id: changedSessionIds[0] }, include: { summary: true, businessEvents: { orderBy: { position: "asc" } } } });
}

const answer = (extra: object = {}) =>
  JSON.stringify({ title: "New user upgraded", tldr: "Signed up and upgraded within a minute", narrative: "The user signed up (#1) and upgraded (#2).", events: [{ position: 2, description: "Moved to the Pro plan" }], ...extra });

describe("model summaries", () => {
  it("uses a well-formed answer about existing events, sending the key, the model and the session's events", async () => {
    reply = { status: 200, content: answer() };
    const s = await finalisedSummary("good");
    expect(s.summary).toMatchObject({ source: "llm", title: "New user upgraded", tldr: "Signed up and upgraded within a minute" });
    expect(s.businessEvents.map((e) => e.description)).toEqual(["Signed up", "Moved to the Pro plan"]);
    const sent = requests.at(-1)!;
    expect(sent.auth).toBe("Bearer sk-test");
    expect(sent.body.model).toBe("tiny");
    expect(JSON.parse(sent.body.messages[1].content).businessEvents.map((e: { name: string }) => e.name)).toEqual(["Signed Up", "Upgraded"]);
  });

  it.each([
    ["an event that does not exist in the narrative", { status: 200, content: answer({ narrative: "The user signed up (#1) and deleted their account (#7)." }) }],
    ["a description of an event that does not exist", { status: 200, content: answer({ events: [{ position: 3, description: "Churned" }] }) }],
    ["an answer that is not JSON", { status: 200, content: "Here is your summary: great session!" }],
    ["a missing field", { status: 200, content: JSON.stringify({ title: "x" }) }],
    ["an HTTP error", { status: 500, content: "" }],
  ])("falls back to the deterministic summary on %s", async (_what, scenario) => {
    reply = scenario;
    const s = await finalisedSummary(`bad-${requests.length}`);
    expect(s.summary).toMatchObject({ source: "deterministic", tldr: "Active for 1:00 - 2 business events" });
    expect(s.businessEvents.map((e) => e.description)).toEqual(["Signed up", "Upgraded"]);
  });

  it("uses the deterministic summary when the model hangs until the timeout, and the next session is summarised as usual", async () => {
    reply = { status: 0, content: "" };
    const started = Date.now();
    const hung = await finalisedSummary(`hung-${requests.length}`);
    expect(hung.summary).toMatchObject({ source: "deterministic" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(HANG_TIMEOUT_MS);
    reply = { status: 200, content: answer() };
    expect((await finalisedSummary(`after-hang-${requests.length}`)).summary).toMatchObject({ source: "llm" });
  });
});
