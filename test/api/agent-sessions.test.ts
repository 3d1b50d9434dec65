import pg from "pg";
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, rowId, subscribe, tokenFor, wsClient } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: string;
let tom: string;
let projectId: string;
let agentProjectId: string;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  ws = await newWorkspace(url);
  owner = ws.owner.token;
  tom = ws.employee.token;
  const client = (await ok(url, `mutation { createClient(input: { name: "Globex" }) { ... on Client { id } } }`, {}, { token: owner })).createClient.id;
  const create = `mutation($c: ID!, $n: String!, $a: Boolean) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: 12000, billAgentTime: $a }) { ... on Project { id } } }`;
  projectId = (await ok(url, create, { c: client, n: "Globex API", a: false }, { token: owner })).createProject.id;
  agentProjectId = (await ok(url, create, { c: client, n: "Globex Agents", a: true }, { token: owner })).createProject.id;
});
afterAll(() => stack?.stop());

const SESSION = `id state endedAt billAgentTime billableSeconds agentSeconds beats { kind startedAt endedAt billable } timeEntry { id durationSeconds source }`;
const START = `mutation($p: ID!, $d: String!) { startAgentSession(input: { projectId: $p, description: $d }) { __typename ... on AgentSession { ${SESSION} } ... on Error { code message } } }`;
const BEAT = `mutation($s: ID!, $k: BeatKind!, $prev: BeatKind) { setBeat(input: { sessionId: $s, kind: $k, previousTo: $prev }) { __typename ... on AgentSession { ${SESSION} } ... on Error { code message } } }`;
const END = `mutation($s: ID!) { endAgentSession(input: { sessionId: $s }) { __typename ... on AgentSession { ${SESSION} } ... on Error { code message } } }`;

const start = async (token: string, d = "Refactor auth", p = projectId) => (await ok(url, START, { p, d }, { token })).startAgentSession;
const beat = async (token: string, s: string, k: string, prev?: string) => (await ok(url, BEAT, { s, k, prev }, { token })).setBeat;
const end = async (token: string, s: string) => (await ok(url, END, { s }, { token })).endAgentSession;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("agent sessions", () => {
  it("starts with an active beat; flips never create entries; ending writes one entry of the billable time", async () => {
    const token = ws.employee2.token;
    const session = await start(token);
    expect(session.state).toBe("ACTIVE");
    expect(session.beats).toHaveLength(1);
    await sleep(1100);
    await beat(token, session.id, "AGENT");
    await sleep(1100);
    await beat(token, session.id, "IDLE");
    const same = await beat(token, session.id, "IDLE");
    expect(same.beats).toHaveLength(3); // flipping to the current kind changes nothing
    const ended = await end(token, session.id);
    expect(ended.state).toBeNull();
    expect(ended.billableSeconds).toBeGreaterThanOrEqual(1); // active only: the project doesn't bill agent time
    expect(ended.billableSeconds).toBeLessThan(2);
    expect(ended.agentSeconds).toBeGreaterThanOrEqual(1);
    expect(ended.timeEntry).toMatchObject({ source: "session", durationSeconds: ended.billableSeconds });
  });

  it("bills agent time when the project did at start, and the flag is snapshotted", async () => {
    const token = ws.employee2.token;
    const session = await start(token, "Agent run", agentProjectId);
    expect(session.billAgentTime).toBe(true);
    await beat(token, session.id, "AGENT");
    // Turning the flag off meanwhile doesn't change what this session bills.
    const off = `mutation($id: ID!, $on: Boolean) { updateProject(input: { id: $id, billAgentTime: $on }) { ... on Project { billAgentTime } } }`;
    expect((await ok(url, off, { id: agentProjectId, on: false }, { token: owner })).updateProject.billAgentTime).toBe(false);
    await sleep(1100);
    const ended = await end(token, session.id);
    expect(ended.billAgentTime).toBe(true);
    expect(ended.billableSeconds).toBeGreaterThanOrEqual(1);
    expect(ended.beats.map((b: { billable: boolean }) => b.billable)).toEqual([true, true]);
    expect((await start(token, "After the change", agentProjectId)).billAgentTime).toBe(false);
    await ok(url, off, { id: agentProjectId, on: true }, { token: owner });
  });

  it("takes an ID whose UUID is in upper case as the same session", async () => {
    const token = ws.employee2.token;
    const session = await start(token, "Upper case");
    const { typename, id } = decodeGlobalID(session.id);
    const shouted = encodeGlobalID(typename, id.toUpperCase());
    expect((await beat(token, shouted, "AGENT")).id).toBe(session.id);
    expect(await end(token, shouted)).toMatchObject({ id: session.id, state: null });
  });

  it("a session with no billable time writes no entry but stays in the ended list", async () => {
    const token = ws.employee2.token;
    const session = await start(token, "Nothing billable");
    await beat(token, session.id, "IDLE");
    const ended = await end(token, session.id);
    expect(ended.timeEntry).toBeNull();
    const list = await ok(url, `{ agentSessions(ended: true) { nodes { id } } }`, {}, { token });
    expect(list.agentSessions.nodes.map((n: { id: string }) => n.id)).toContain(session.id);
  });

  it("focusing another session drops the previous one to idle, or to agent when asked", async () => {
    const token = ws.employee2.token;
    const a = await start(token, "A");
    const b = await start(token, "B");
    const afterB = await ok(url, `query($a: ID!) { node(id: $a) { ... on AgentSession { state } } }`, { a: a.id }, { token });
    expect(afterB.node.state).toBe("IDLE");
    await beat(token, a.id, "ACTIVE", "AGENT");
    const states = await ok(url, `query($a: ID!, $b: ID!) { a: node(id: $a) { ... on AgentSession { state } } b: node(id: $b) { ... on AgentSession { state } } }`, { a: a.id, b: b.id }, { token });
    expect([states.a.state, states.b.state]).toEqual(["ACTIVE", "AGENT"]);
    await end(token, a.id);
    await end(token, b.id);
  });

  it("starting a session stops the running timer and saves it; starting the timer idles the session", async () => {
    const token = ws.employee2.token;
    await ok(url, `mutation { startTimer(input: { description: "plain" }) { __typename } }`, {}, { token });
    const session = await start(token, "Takes over");
    expect((await ok(url, `{ runningTimer { id } }`, {}, { token })).runningTimer).toBeNull();
    await ok(url, `mutation { startTimer(input: { description: "back to plain" }) { __typename } }`, {}, { token });
    const { runningTimer } = await ok(url, `{ runningTimer { startedAt serverTime } }`, {}, { token });
    // The server's clock, so a client computes elapsed time without trusting its own.
    expect(Math.abs(Date.parse(runningTimer.serverTime) - Date.now())).toBeLessThan(5000);
    expect(Date.parse(runningTimer.serverTime)).toBeGreaterThanOrEqual(Date.parse(runningTimer.startedAt));
    const now = await ok(url, `query($s: ID!) { node(id: $s) { ... on AgentSession { state } } }`, { s: session.id }, { token });
    expect(now.node.state).toBe("IDLE");
    await ok(url, `mutation { stopTimer { __typename } }`, {}, { token });
    await end(token, session.id);
  });

  it("making a session active stops the running timer and saves it, in the same flip", async () => {
    const token = ws.employee2.token;
    const session = await start(token, "Focus later");
    await ok(url, `mutation { startTimer(input: { description: "interrupting" }) { __typename } }`, {}, { token });
    expect((await ok(url, `query($s: ID!) { node(id: $s) { ... on AgentSession { state } } }`, { s: session.id }, { token })).node.state).toBe("IDLE");
    const running = (await ok(url, `{ runningTimer { id } }`, {}, { token })).runningTimer;
    expect(await beat(token, session.id, "ACTIVE")).toMatchObject({ __typename: "AgentSession", state: "ACTIVE" });
    expect((await ok(url, `{ runningTimer { id } }`, {}, { token })).runningTimer).toBeNull();
    const saved = (await ok(url, `query($e: ID!) { node(id: $e) { ... on TimeEntry { description endedAt durationSeconds } } }`, { e: running.id }, { token })).node;
    expect(saved).toMatchObject({ description: "interrupting", durationSeconds: expect.any(Number) });
    expect(saved.endedAt).not.toBeNull();
    await end(token, session.id);
  });

  it("rejects zero or negative rates", async () => {
    const res = await ok(url, `mutation($id: ID!) { updateProject(input: { id: $id, hourlyRateCents: 0 }) { __typename ... on ValidationError { problems { path } } } }`, { id: projectId }, { token: owner });
    expect(res.updateProject).toEqual({ __typename: "ValidationError", problems: [{ path: ["hourlyRateCents"] }] });
  });

  it("answers bad input with typed errors and writes nothing", async () => {
    const token = ws.employee2.token;
    const unknown = Buffer.from("Project:00000000-0000-4000-8000-000000000000").toString("base64");
    expect((await ok(url, START, { p: unknown, d: "x" }, { token })).startAgentSession).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    expect((await ok(url, START, { p: projectId, d: "  " }, { token })).startAgentSession).toMatchObject({ __typename: "ValidationError" });
    const session = await start(token, "Short");
    await end(token, session.id);
    expect(await beat(token, session.id, "ACTIVE")).toMatchObject({ __typename: "ConflictError", code: "CONFLICT" });
    expect(await end(token, session.id)).toMatchObject({ __typename: "ConflictError" });
    // Another member's session is invisible.
    const other = await start(tom, "Tom's");
    expect(await beat(token, other.id, "IDLE")).toMatchObject({ __typename: "NotFoundError" });
    await end(tom, other.id);
  });

  it("shows on the Live board while open, ticking only while billable", async () => {
    const lisa = ws.manager.token;
    const client = wsClient(url, { token: lisa });
    type Board = { liveBoard: { sessions: { id: string; kind: string; state: string; ticking: boolean }[] } };
    const sub = subscribe<Board>(client, `subscription { liveBoard { sessions { id kind state ticking } } }`);
    await sub.next();
    const session = await start(tom, "On the wall");
    const row = (b: Board) => b.liveBoard.sessions.find((s) => s.id === session.id);
    expect(row(await sub.next((b) => !!row(b)))).toMatchObject({ kind: "AGENT", state: "ACTIVE", ticking: true });
    await beat(tom, session.id, "AGENT");
    expect(row(await sub.next((b) => row(b)?.state === "AGENT"))).toMatchObject({ ticking: false });
    await end(tom, session.id);
    await sub.next((b) => !row(b));
    await client.dispose();
  });
});

describe("concurrency", () => {
  it("50 concurrent flips across 5 sessions leave at most one active beat, and no overlaps or gaps", async () => {
    const token = ws.employee2.token;
    const sessions: string[] = [];
    for (let i = 0; i < 5; i++) sessions.push((await start(token, `S${i}`)).id);
    const kinds = ["ACTIVE", "AGENT", "IDLE"];
    const flips = Array.from({ length: 50 }, (_, i) => gql(url, BEAT, { s: sessions[i % 5], k: kinds[(i * 7) % 3], prev: i % 2 ? "AGENT" : "IDLE" }, { token }));
    const results = await Promise.all(flips);
    expect(results.every((r) => r.body.data?.setBeat.__typename === "AgentSession")).toBe(true);

    const all = await ok(url, `{ agentSessions(ended: false) { nodes { id state beats { kind startedAt endedAt } } } }`, {}, { token });
    const mine = all.agentSessions.nodes.filter((n: { id: string }) => sessions.includes(n.id));
    expect(mine.filter((n: { state: string }) => n.state === "ACTIVE").length).toBeLessThanOrEqual(1);
    for (const s of mine) {
      const beats = s.beats as { startedAt: string; endedAt: string | null }[];
      expect(beats.filter((b) => !b.endedAt)).toHaveLength(1);
      for (let i = 1; i < beats.length; i++) expect(beats[i].startedAt).toBe(beats[i - 1].endedAt); // contiguous
    }
    for (const id of sessions) await end(token, id);
  });

  it("concurrent flips through two API processes keep the invariants, and the running totals equal the sum of the beats", async () => {
    const token = ws.employee2.token;
    // A second API process on the same database (the embedded one belongs to the first process).
    const second = stack.databaseUrl ? await stack.startApi() : null;
    const urls = second ? [url, second.url] : [url];
    const sessions: string[] = [];
    for (let i = 0; i < 3; i++) sessions.push((await start(token, `T${i}`, agentProjectId)).id);
    const kinds = ["ACTIVE", "AGENT", "IDLE"];
    // Rounds over a second apart, so beats last whole seconds and the totals have something to add up.
    for (let round = 0; round < 3; round++) {
      const flips = Array.from({ length: 20 }, (_, i) =>
        gql(urls[i % urls.length], BEAT, { s: sessions[(i + round) % 3], k: kinds[(i * 5 + round) % 3], prev: i % 3 ? "AGENT" : "IDLE" }, { token }),
      );
      expect((await Promise.all(flips)).every((r) => r.body.data?.setBeat.__typename === "AgentSession")).toBe(true);
      await sleep(1100);
    }
    await second?.stop();

    type Beat = { kind: string; startedAt: string; endedAt: string | null; billable: boolean };
    const secondsOf = (beats: Beat[], until: string, which: (b: Beat) => boolean) =>
      beats.filter(which).reduce((sum, b) => sum + Math.floor((Date.parse(b.endedAt ?? until) - Date.parse(b.startedAt)) / 1000), 0);
    const READ = `query($s: ID!) { node(id: $s) { ... on AgentSession { state serverTime billableSeconds activeSeconds agentSeconds idleSeconds beats { kind startedAt endedAt billable } } } }`;
    let active = 0;
    let counted = 0;
    for (const id of sessions) {
      const open = (await ok(url, READ, { s: id }, { token })).node;
      const beats = open.beats as Beat[];
      expect(beats.filter((b) => !b.endedAt)).toHaveLength(1);
      for (let i = 1; i < beats.length; i++) expect(beats[i].startedAt).toBe(beats[i - 1].endedAt); // contiguous
      if (open.state === "ACTIVE") active++;
      // Open: the ended beats' running totals plus the open beat up to serverTime.
      expect(open.billableSeconds).toBe(secondsOf(beats, open.serverTime, (b) => b.billable));
      for (const kind of kinds) expect(open[`${kind.toLowerCase()}Seconds`]).toBe(secondsOf(beats, open.serverTime, (b) => b.kind === kind));
      const ended = await end(token, id);
      const all = ended.beats as Beat[];
      expect(ended.billableSeconds).toBe(secondsOf(all, "", (b) => b.billable));
      expect(ended.agentSeconds).toBe(secondsOf(all, "", (b) => b.kind === "AGENT"));
      expect(ended.timeEntry?.durationSeconds ?? 0).toBe(ended.billableSeconds);
      counted += secondsOf(all, "", () => true);
    }
    expect(active).toBeLessThanOrEqual(1);
    expect(counted).toBeGreaterThan(0);
  });

  it("two concurrent ends write exactly one entry", async () => {
    const token = ws.employee2.token;
    const session = await start(token, "Ended twice");
    await sleep(1100);
    const results = await Promise.all([gql(url, END, { s: session.id }, { token }), gql(url, END, { s: session.id }, { token })]);
    const kinds = results.map((r) => r.body.data.endAgentSession.__typename).sort();
    expect(kinds).toEqual(["AgentSession", "ConflictError"]);
    if (stack.databaseUrl) {
      const db = new pg.Client({ connectionString: stack.databaseUrl });
      await db.connect();
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM "TimeEntry" WHERE "agentSessionId" = $1`, [rowId(session.id)]);
      await db.end();
      expect(rows[0].n).toBe(1);
    }
  });

  it("the database itself refuses a second active beat for a user", async () => {
    if (!stack.databaseUrl) return; // the embedded database belongs to the server process
    const token = ws.employee2.token;
    const a = await start(token, "DB check A");
    const b = await start(token, "DB check B");
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    await expect(
      db.query(`UPDATE "Beat" SET kind = 'active' WHERE "sessionId" = $1 AND "endedAt" IS NULL`, [rowId(a.id)]),
    ).rejects.toThrow(/Beat_one_active_per_user/);
    await expect(
      db.query(`INSERT INTO "Beat" (id, "sessionId", "workspaceId", "userId", kind, "startedAt") SELECT gen_random_uuid(), "sessionId", "workspaceId", "userId", 'idle', "startedAt" FROM "Beat" WHERE "sessionId" = $1 LIMIT 1`, [rowId(b.id)]),
    ).rejects.toThrow(/Beat_one_open_per_session|Beat_no_overlap/);
    await db.end();
    await end(token, a.id);
    await end(token, b.id);
  });
});
