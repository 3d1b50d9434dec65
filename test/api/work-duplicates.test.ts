// "Merge duplicate sessions". The database refuses overlapping sessions, so the overlaps this tool
// repairs are written here the only way they can exist: with that constraint lifted, as in data
// loaded without it. Putting the constraint back afterwards proves the repair.
import { DateTime } from "luxon";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { gql, ok, tokenFor } from "../support/client.js";
import { calendar, instant, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const NO_OVERLAP = `ALTER TABLE "WorkSession" ADD CONSTRAINT "WorkSession_no_overlap"
  EXCLUDE USING gist ("userId" WITH =, tstzrange("startedAt", COALESCE("endedAt", 'infinity'), '[)') WITH &&)`;

describe.runIf(inject("databaseUrl"))("merge duplicate sessions", () => {
  let stack: Stack;
  let url: string;
  let db: pg.Client;
  let lisa: string;
  const ids: Record<string, string> = {};

  let ws: TestWorkspace;
  // A Tuesday of last month, at local (Berlin) times.
  const DAY = calendar("Europe/Berlin").firstMondayOf(-1).plus({ days: 1 });
  const at = (time: string) => instant(DAY, time);
  const hhmm = (iso: string) => DateTime.fromISO(iso, { zone: "Europe/Berlin" }).toFormat("HH:mm");
  const session = async (key: string, email: string, start: string, end: string, notes = "") => {
    const { rows } = await db.query(
      `INSERT INTO "WorkSession" (id, "workspaceId", "userId", "startedAt", "endedAt", "lastActivityAt", "endReason", notes, "updatedAt")
       SELECT gen_random_uuid(), m."workspaceId", u.id, $2, $3, $3, 'inactivity', $4, now()
       FROM "User" u JOIN "Membership" m ON m."userId" = u.id WHERE u.email = $1 RETURNING id`,
      [email, at(start), at(end), notes],
    );
    ids[key] = rows[0].id;
  };
  const afk = (key: string, start: string, end: string, reason: string | null) =>
    db.query(`INSERT INTO "AfkPeriod" (id, "sessionId", "startedAt", "endedAt", reason) VALUES (gen_random_uuid(), $1, $2, $3, $4)`, [ids[key], at(start), at(end), reason]);
  const activity = (key: string, app: string, start: string, end: string) =>
    db.query(`INSERT INTO "WorkActivity" (id, "sessionId", app, title, "startedAt", "endedAt") VALUES (gen_random_uuid(), $1, $2, 'x', $3, $4)`, [ids[key], app, at(start), at(end)]);

  const userId = async (email: string) => (await ok(url, `{ viewer { user { id } } }`, {}, { token: await tokenFor(url, email) })).viewer.user.id;
  const MERGE = `mutation($e: ID) { mergeDuplicateWorkSessions(input: { employeeId: $e }) { __typename
    ... on MutationMergeDuplicateWorkSessionsSuccess { data { id employee { name } mergedBy { name } session { id startedAt endedAt } before { sessionId startedAt endedAt notes } } }
    ... on Error { code message } } }`;
  const DUPLICATES = `query($e: ID) { workSessionDuplicates(employeeId: $e) { __typename
    ... on QueryWorkSessionDuplicatesSuccess { data { mergedStartedAt mergedEndedAt sessions { id employee { name } } } } ... on Error { code } } }`;
  const SESSIONS = `query($e: ID) { workSessions(from: "${isoDate(DAY)}", to: "${isoDate(DAY)}", employeeId: $e) { nodes {
    id startedAt endedAt notes afkSeconds breakSeconds netSeconds apps { name seconds } screenshots { takenAt } } } }`;

  beforeAll(async () => {
    stack = await startStack();
    url = stack.urls[0];
    ws = await newWorkspace(url, "Europe/Berlin");
    lisa = ws.manager.token;
    db = new pg.Client({ connectionString: stack.databaseUrl! });
    await db.connect();
    await db.query(`ALTER TABLE "WorkSession" DROP CONSTRAINT "WorkSession_no_overlap"`);
    // Tom: A and B overlap (and each recorded the same AFK and app time); C and D only touch.
    await session("A", ws.employee.email, "09:00", "10:00", "standup notes");
    await session("B", ws.employee.email, "09:30", "11:00");
    await session("C", ws.employee.email, "12:00", "13:00");
    await session("D", ws.employee.email, "13:00", "14:00");
    await afk("A", "09:45", "09:55", "break");
    await afk("B", "09:40", "09:50", null);
    await activity("A", "Code", "09:00", "09:50");
    await activity("B", "Code", "09:30", "10:30");
    await activity("B", "Slack", "10:30", "11:00");
    await db.query(`INSERT INTO "Screenshot" (id, "sessionId", "takenAt", mime, size, path) VALUES (gen_random_uuid(), $1, $2, 'image/png', 1, 'x.png')`, [ids.B, at("10:15")]);
    // Emma: two copies of one afternoon.
    await session("E1", ws.employee2.email, "14:00", "16:00");
    await session("E2", ws.employee2.email, "14:00", "16:00");
  });
  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  it("lists the groups it would merge, per employee or for everyone", async () => {
    const tom = await userId(ws.employee.email);
    const forTom = (await ok(url, DUPLICATES, { e: tom }, { token: lisa })).workSessionDuplicates.data;
    expect(forTom).toEqual([
      { mergedStartedAt: at("09:00"), mergedEndedAt: at("11:00"), sessions: [expect.objectContaining({ employee: { name: "Tom Employee" } }), expect.anything()] },
    ]);
    const everyone = (await ok(url, DUPLICATES, {}, { token: lisa })).workSessionDuplicates.data;
    expect(everyone.map((g: { sessions: unknown[] }) => g.sessions.length)).toEqual([2, 2]);
  });

  it("is for managers only, and names an unknown employee", async () => {
    const tomToken = await tokenFor(url, ws.employee.email);
    const denied = await gql(url, MERGE, {}, { token: tomToken });
    expect(denied.body.data.mergeDuplicateWorkSessions.code).toBe("FORBIDDEN");
    const unknown = (await ok(url, MERGE, { e: "VXNlcjowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=" }, { token: lisa })).mergeDuplicateWorkSessions;
    expect(unknown).toEqual({ __typename: "NotFoundError", code: "NOT_FOUND", message: "Employee not found" });
  });

  it("merges each group once, even run twice at the same moment, counting shared time once", async () => {
    const tom = await userId(ws.employee.email);
    const runs = await Promise.all([ok(url, MERGE, { e: tom }, { token: lisa }), ok(url, MERGE, { e: tom }, { token: lisa })]);
    const merges = runs.flatMap((r) => r.mergeDuplicateWorkSessions.data);
    expect(merges).toHaveLength(1);
    const [merge] = merges;
    expect(merge).toMatchObject({ employee: { name: "Tom Employee" }, mergedBy: { name: expect.stringContaining("Lisa") } });
    expect(merge.before.map((b: { startedAt: string; endedAt: string }) => [hhmm(b.startedAt), hhmm(b.endedAt)])).toEqual([
      ["09:00", "10:00"],
      ["09:30", "11:00"],
    ]);

    const nodes = (await ok(url, SESSIONS, { e: tom }, { token: lisa })).workSessions.nodes;
    expect(nodes.map((n: { startedAt: string; endedAt: string }) => `${hhmm(n.startedAt)}-${hhmm(n.endedAt)}`)).toEqual(["13:00-14:00", "12:00-13:00", "09:00-11:00"]);
    const merged = nodes[2];
    expect(merged.id).toBe(merge.session.id);
    // AFK 09:40-09:55 once (not 20 minutes), keeping the reason one copy had; Code 09:00-10:30 once.
    expect(merged).toMatchObject({ notes: "standup notes", afkSeconds: 900, breakSeconds: 900, netSeconds: 7200 - 900 });
    expect(merged.apps).toEqual([{ name: "Code", seconds: 5400 }, { name: "Slack", seconds: 1800 }]);
    expect(merged.screenshots).toEqual([{ takenAt: at("10:15") }]);
  });

  it("keeps an audit trail, finds nothing more to do, and leaves data the constraint accepts again", async () => {
    const rest = (await ok(url, MERGE, {}, { token: lisa })).mergeDuplicateWorkSessions.data;
    expect(rest.map((m: { employee: { name: string } }) => m.employee.name)).toEqual(["Emma Employee"]);
    expect((await ok(url, MERGE, {}, { token: lisa })).mergeDuplicateWorkSessions.data).toEqual([]);
    expect((await ok(url, DUPLICATES, {}, { token: lisa })).workSessionDuplicates.data).toEqual([]);
    const trail = (await ok(url, `{ workSessionMerges(first: 10) { nodes { employee { name } before { notes } } } }`, {}, { token: lisa })).workSessionMerges.nodes;
    expect(trail.map((m: { employee: { name: string } }) => m.employee.name)).toEqual(["Emma Employee", "Tom Employee"]);
    await expect(db.query(NO_OVERLAP)).resolves.toBeDefined();
  });
});
