import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DateTime } from "luxon";
import { gql, ok, rowId } from "../support/client.js";
import { query, queuedBehind } from "../support/queued.js";
import { calendar, instant, isoDate, isoMonth } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let ws: TestWorkspace;
let lisa: string;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  ws = await newWorkspace(url, "Europe/Berlin");
  lisa = ws.manager.token;
});
afterAll(() => stack?.stop());

// Wednesday of the second week of last month: the days around it (D-9 .. D+2) stay in one past month.
const D = calendar("Europe/Berlin").firstMondayOf(-1).plus({ days: 9 });
const day = (offset = 0) => isoDate(D.plus({ days: offset }));
const MONTH = isoMonth(D);
const post = async (token: string, events: unknown[]) => {
  const res = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  return { status: res.status, body: await res.json() };
};
const SESSIONS = `query($f: LocalDate!, $t: LocalDate!, $e: ID) { workSessions(from: $f, to: $t, employeeId: $e) { nodes { id startedAt endedAt endReason manual notes netSeconds afkSeconds breakSeconds lunchSeconds employee { name } afkPeriods { id startedAt endedAt reason } apps { name seconds } urls { name seconds } } } }`;
/** Local (Berlin) wall time on D + offset, as an instant. */
const at = (hhmm: string, offset = 0) => instant(D.plus({ days: offset }), hhmm);
const win = (id: string, time: string, app = "Code", title = "main.ts", extra: object = {}, duration = 0) => ({ id, type: "window", timestamp: at(time), duration, data: { app, title, ...extra } });

describe("recording from the desktop app", () => {
  it("merges heartbeats, records AFK from the last input, is idempotent, and closes on request", async () => {
    const tom = ws.employee.token;
    const batch = [
      win("a1", "09:00"),
      win("a2", "09:00:50".slice(0, 5)),
      { id: "a3", type: "window", timestamp: at("09:01"), data: { app: "Code", title: "main.ts" } },
      win("a4", "09:02", "Chromium", "Docs", { url: "https://example.org/docs" }, 480),
      { id: "a5", type: "window", timestamp: at("09:10"), duration: 0, data: { app: "Chromium", title: "Docs", url: "https://example.org/docs" } },
      { id: "k1", type: "afk", timestamp: at("09:10"), duration: 1800, data: { status: "afk" } },
      { id: "k2", type: "afk", timestamp: at("09:40"), data: { status: "not-afk" } },
      win("a6", "09:41", "Code", "main.ts", {}, 19 * 60),
      { id: "c1", type: "close", timestamp: at("10:00") },
      { id: "bad1", type: "window", timestamp: at("09:05").slice(0, 19), data: { app: "X" } },
      { id: "bad2", type: "teleport", timestamp: at("09:05") },
      { id: "bad3", type: "window", timestamp: DateTime.now().plus({ years: 1 }).toUTC().toISO(), data: { app: "X" } },
      { id: "bad4", type: "window", timestamp: DateTime.now().minus({ minutes: 1 }).toUTC().toISO(), duration: 3600, data: { app: "X" } },
    ];
    const first = await post(tom, batch);
    expect(first.status).toBe(200);
    expect(first.body.accepted).toBe(9);
    expect(first.body.rejected.map((r: { id: string; reason: string }) => [r.id, r.reason])).toEqual([
      ["bad1", "timestamp must be ISO-8601 with an offset"],
      ["bad2", 'type must be "window", "afk" or "close"'],
      ["bad3", "timestamp is in the future"],
      ["bad4", "timestamp + duration ends in the future"],
    ]);
    const again = await post(tom, batch);
    expect(again.body.duplicates).toBe(9);

    const { workSessions } = await ok(url, SESSIONS, { f: day(), t: day() }, { token: tom });
    expect(workSessions.nodes).toHaveLength(1);
    const s = workSessions.nodes[0];
    expect(s).toMatchObject({ startedAt: at("09:00"), endedAt: at("10:00"), endReason: "APP_CLOSED", afkSeconds: 1800, netSeconds: 1800 });
    expect(s.afkPeriods).toEqual([expect.objectContaining({ startedAt: at("09:10"), endedAt: at("09:40"), reason: null })]);
    expect(s.apps).toEqual([{ name: "Code", seconds: 60 + 19 * 60 }, { name: "Chromium", seconds: 480 }]);
    expect(s.urls).toEqual([{ name: "https://example.org/docs", seconds: 480 }]);

    // The AFK dialog: Tom says it was lunch.
    const afkId = s.afkPeriods[0].id;
    await ok(url, `mutation($id: ID!) { setAfkReason(input: { afkPeriodId: $id, reason: LUNCH }) { __typename } }`, { id: afkId }, { token: tom });
    const after = (await ok(url, SESSIONS, { f: day(), t: day() }, { token: tom })).workSessions.nodes[0];
    expect(after.lunchSeconds).toBe(1800);
  });

  it("puts a late, out-of-order batch into the right session and starts new sessions after a reopen", async () => {
    const emma = ws.employee2.token;
    await post(emma, [win("m1", "08:00", "Code", "x", {}, 1800), win("m2", "08:30", "Code", "y", {}, 1800), { id: "m3", type: "close", timestamp: at("09:00") }]);
    await post(emma, [win("n1", "13:00", "Code", "x", {}, 1800), win("n2", "13:30")]);
    // A day-old laptop finally uploads what it recorded in the morning, out of order.
    await post(emma, [win("l2", "08:45"), win("l1", "08:40")]);
    const nodes = (await ok(url, SESSIONS, { f: day(), t: day() }, { token: emma })).workSessions.nodes;
    expect(nodes.map((n: { startedAt: string; endedAt: string }) => [n.startedAt, n.endedAt])).toEqual([
      [at("13:00"), at("13:30")], // auto-closed at its last activity (long past the timeout)
      [at("08:00"), at("09:00")],
    ]);
  });

  it("batches sent at once (several devices, retries) come out as if sent one after another", async () => {
    // Two hours of windows every 5 minutes, an away period, overlapping batches with repeated events.
    const minute = (m: number) => DateTime.fromISO(at("09:00", -5)).plus({ minutes: m }).toUTC().toISO()!;
    const windows = Array.from({ length: 24 }, (_, i) => ({ id: `c${i}`, type: "window", timestamp: minute(5 * i), duration: 300, data: { app: i % 2 ? "Code" : "Slack", title: `t${i}` } }));
    const away = [{ id: "k1", type: "afk", timestamp: minute(60), duration: 900, data: { status: "afk" } }, { id: "k2", type: "afk", timestamp: minute(75), data: { status: "not-afk" } }];
    const batches = [0, 1, 2, 3, 4, 5].map((b) => [...windows.slice(b * 4, b * 4 + 6), ...(b === 3 ? away : [])]);
    const sequential = ws.owner;
    for (const batch of batches) expect((await post(sequential.token, batch)).status).toBe(200);
    const concurrent = ws.manager;
    const answers = await Promise.all(batches.map((batch) => post(concurrent.token, batch)));
    expect(answers.map((a) => a.status)).toEqual(batches.map(() => 200));
    // 36 events sent, 26 distinct: each one is new to exactly one batch.
    expect(answers.reduce((n, a) => n + a.body.accepted, 0)).toBe(36);
    expect(answers.reduce((n, a) => n + a.body.duplicates, 0)).toBe(10);

    const sessionsOf = async (member: { id: string; token: string }) =>
      (await ok(url, SESSIONS, { f: day(-5), t: day(-5), e: member.id }, { token: member.token })).workSessions.nodes.map((n: Record<string, unknown>) => ({
        startedAt: n.startedAt,
        endedAt: n.endedAt,
        netSeconds: n.netSeconds,
        afkSeconds: n.afkSeconds,
        apps: n.apps,
        afk: (n.afkPeriods as { startedAt: string; endedAt: string }[]).map((p) => [p.startedAt, p.endedAt]),
      }));
    const expected = await sessionsOf(sequential);
    expect(expected).toEqual([expect.objectContaining({ startedAt: at("09:00", -5), afkSeconds: 900, afk: [[at("10:00", -5), at("10:15", -5)]] })]);
    expect(await sessionsOf(concurrent)).toEqual(expected);
  });

  it("a late event that bridges two sessions makes them one", async () => {
    const sam = ws.staff.token;
    const w = (id: string, time: string, duration: number) => ({ id, type: "window", timestamp: at(time, 1), duration, data: { app: "Code", title: "x" } });
    await post(sam, [w("b1", "08:00", 3600)]); // 08:00-09:00, then quiet
    await post(sam, [w("b2", "09:20", 2400)]); // a new session 09:20-10:00
    expect((await ok(url, SESSIONS, { f: day(1), t: day(1) }, { token: sam })).workSessions.nodes).toHaveLength(2);
    await post(sam, [w("b3", "09:00", 1200)]); // the laptop's missing 09:00-09:20 arrives late
    const nodes = (await ok(url, SESSIONS, { f: day(1), t: day(1) }, { token: sam })).workSessions.nodes;
    expect(nodes.map((n: { startedAt: string; endedAt: string; netSeconds: number }) => [n.startedAt, n.endedAt, n.netSeconds])).toEqual([
      [at("08:00", 1), at("10:00", 1), 7200],
    ]);
  });

  it("a batch after a quiet spell closes the open session and opens the next one, in one request", async () => {
    // Events may be up to a minute ahead of the server's clock: the second batch starts a new session
    // while the first, still open, has been quiet for longer than the timeout (15 minutes by default).
    const own = await newWorkspace(url, "Europe/Berlin");
    const now = Date.now();
    const lastInput = new Date(now - 15 * 60_000 + 30_000);
    const next = new Date(now + 50_000);
    const w = (id: string, start: Date, duration: number) => ({ id, type: "window", timestamp: start.toISOString(), duration, data: { app: "Code", title: "x" } });
    expect((await post(own.employee.token, [w("q1", new Date(lastInput.getTime() - 60_000), 60)])).status).toBe(200);
    expect((await post(own.employee.token, [w("q2", next, 0)])).body).toMatchObject({ accepted: 1, sessions: 2 });
    const today = calendar("Europe/Berlin").today;
    const nodes = (await ok(url, SESSIONS, { f: isoDate(today.minus({ days: 1 })), t: isoDate(today.plus({ days: 1 })) }, { token: own.employee.token })).workSessions.nodes;
    expect(nodes.map((n: { startedAt: string; endedAt: string | null; endReason: string | null }) => [n.startedAt, n.endedAt, n.endReason])).toEqual([
      [next.toISOString(), null, null],
      [new Date(lastInput.getTime() - 60_000).toISOString(), lastInput.toISOString(), "INACTIVITY"],
    ]);
  });

  it("rejects a batch without a token, and malformed JSON", async () => {
    expect((await fetch(`${url}/api/work/events`, { method: "POST", body: "{}" })).status).toBe(401);
    const tom = ws.employee.token;
    const res = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${tom}` }, body: "{ nope" });
    expect(res.status).toBe(400);
  });
});

describe("manager actions", () => {
  const ADD = `mutation($e: ID!, $s: DateTime!, $t: DateTime!, $n: String) { addManualTime(input: { employeeId: $e, start: $s, end: $t, note: $n }) { __typename ... on WorkSession { id manual notes netSeconds } ... on ConflictError { code conflictingIds } ... on ValidationError { problems { path message } } ... on Error { code } } }`;

  it("adds manual time, back to back is fine, overlaps are rejected naming the session", async () => {
    const sam = ws.staff.id;
    const added = (await ok(url, ADD, { e: sam, s: at("12:30", -1), t: at("14:00", -1), n: "Remote work — VPN, desktop app not opened" }, { token: lisa })).addManualTime;
    expect(added).toMatchObject({ __typename: "WorkSession", manual: true, netSeconds: 5400 });
    const next = (await ok(url, ADD, { e: sam, s: at("14:00", -1), t: at("15:00", -1) }, { token: lisa })).addManualTime;
    expect(next.__typename).toBe("WorkSession");
    const clash = (await ok(url, ADD, { e: sam, s: at("13:00", -1), t: at("13:30", -1) }, { token: lisa })).addManualTime;
    expect(clash).toEqual({ __typename: "ConflictError", code: "CONFLICT", conflictingIds: [added.id] });
    const backwards = (await ok(url, ADD, { e: sam, s: at("16:00", -1), t: at("15:00", -1) }, { token: lisa })).addManualTime;
    expect(backwards.__typename).toBe("ValidationError");
  });

  it("an open session is listed, and manual time over it is refused naming it", async () => {
    const owner = ws.owner.token;
    const ownerId = ws.owner.id;
    const now = Date.now();
    await post(owner, [{ id: "open1", type: "window", timestamp: new Date(now - 10 * 60_000).toISOString(), duration: 540, data: { app: "Code", title: "x" } }]);
    // Today and yesterday in the workspace's zone, where the filter works.
    const { today } = calendar("Europe/Berlin");
    const list = (await ok(url, SESSIONS, { f: isoDate(today.minus({ days: 1 })), t: isoDate(today), e: ownerId }, { token: lisa })).workSessions.nodes;
    const open = list.find((n: { endedAt: string | null }) => n.endedAt === null);
    expect(open).toBeTruthy();
    const clash = (await ok(url, ADD, { e: ownerId, s: new Date(now - 5 * 60_000).toISOString(), t: new Date(now - 60_000).toISOString() }, { token: lisa })).addManualTime;
    expect(clash).toEqual({ __typename: "ConflictError", code: "CONFLICT", conflictingIds: [open.id] });
  });

  it("two managers adding overlapping time at the same moment: exactly one succeeds", async () => {
    const owner = ws.owner.token;
    const emma = ws.employee2.id;
    const results = await Promise.all(
      [lisa, owner, lisa, owner].map((token, i) => gql(url, ADD, { e: emma, s: at("10:00", -2), t: at("11:00", -2) }, { token })),
    );
    const kinds = results.map((r) => r.body.data.addManualTime.__typename).sort();
    expect(kinds).toEqual(["ConflictError", "ConflictError", "ConflictError", "WorkSession"]);
  });

  it("the session notes report lists only sessions with notes", async () => {
    const notes = await ok(url, `{ workSessions(from: "${day(-1)}", to: "${day(-1)}", withNotes: true) { nodes { notes employee { name } } } }`, {}, { token: lisa });
    expect(notes.workSessions.nodes).toEqual([{ notes: "Remote work — VPN, desktop app not opened", employee: { name: "Sam Staff" } }]);
  });

  it("employees can't use manager operations, and see only their own sessions", async () => {
    const tom = ws.employee.token;
    const res = await gql(url, ADD, { e: ws.employee2.id, s: at("10:00", -3), t: at("11:00", -3) }, { token: tom });
    expect(res.body.data.addManualTime.code).toBe("FORBIDDEN");
    const someoneElse = await gql(url, SESSIONS, { f: day(-2), t: day(), e: ws.employee2.id }, { token: tom });
    expect(someoneElse.body.errors![0].extensions!.code).toBe("FORBIDDEN");
    const own = await ok(url, SESSIONS, { f: day(-2), t: day() }, { token: tom });
    expect(own.workSessions.nodes.every((n: { employee: { name: string } }) => n.employee.name === "Tom Employee")).toBe(true);
  });

  it("edits a completed session, trimming AFK outside the new bounds; refuses overlaps", async () => {
    const tom = ws.employee.token;
    const s = (await ok(url, SESSIONS, { f: day(), t: day() }, { token: tom })).workSessions.nodes[0];
    const EDIT = `mutation($id: ID!, $s: DateTime!, $t: DateTime!, $n: String) { editWorkSession(input: { id: $id, start: $s, end: $t, notes: $n }) { __typename ... on WorkSession { startedAt endedAt netSeconds afkSeconds notes afkPeriods { startedAt endedAt } } ... on Error { code message } } }`;
    const edited = (await ok(url, EDIT, { id: s.id, s: at("09:20"), t: at("09:30"), n: "Corrected" }, { token: lisa })).editWorkSession;
    expect(edited).toMatchObject({ startedAt: at("09:20"), endedAt: at("09:30"), afkSeconds: 600, netSeconds: 0, notes: "Corrected" });
    expect(edited.afkPeriods).toEqual([{ startedAt: at("09:20"), endedAt: at("09:30") }]);
  });
});

describe("lengths", () => {
  it("refuses manual time or a correction longer than 24 hours at its end, storing nothing; a longer recorded session can be trimmed", async () => {
    const own = await newWorkspace(url, "Europe/Berlin");
    const manager = { token: own.manager.token };
    const ADD = `mutation($e: ID!, $s: DateTime!, $t: DateTime!) { addManualTime(input: { employeeId: $e, start: $s, end: $t }) { __typename ... on ValidationError { problems { path message } } } }`;
    const EDIT = `mutation($id: ID!, $s: DateTime!, $t: DateTime!, $n: String) { editWorkSession(input: { id: $id, start: $s, end: $t, notes: $n }) { __typename ... on WorkSession { startedAt endedAt notes } ... on ValidationError { problems { path message } } } }`;
    const TOO_LONG = [{ path: ["end"], message: "At most 24 hours per session; add another session for the rest" }];
    // A year typed wrong: ten years and a day.
    const typo = await ok(url, ADD, { e: own.employee.id, s: instant(D.minus({ years: 10 }), "09:00"), t: at("17:00") }, manager);
    expect(typo.addManualTime).toEqual({ __typename: "ValidationError", problems: TOO_LONG });
    expect((await ok(url, ADD, { e: own.employee.id, s: at("09:00", -3), t: at("09:01", -2) }, manager)).addManualTime.problems).toEqual(TOO_LONG);
    expect((await ok(url, SESSIONS, { f: day(-3), t: day(), e: own.employee.id }, manager)).workSessions.nodes).toEqual([]);

    // Recorded through a night: 26 hours, which a correction may shorten or annotate, not lengthen.
    await post(own.employee.token, [win("night-1", "08:00", "Code", "main.ts", {}, 86_400), { ...win("night-2", "08:00", "Code", "main.ts", {}, 7200), timestamp: at("08:00", 1) }]);
    const [night] = (await ok(url, SESSIONS, { f: day(), t: day(1), e: own.employee.id }, manager)).workSessions.nodes;
    expect(night).toMatchObject({ startedAt: at("08:00"), endedAt: at("10:00", 1) });
    expect((await ok(url, EDIT, { id: night.id, s: at("07:00"), t: at("10:00", 1) }, manager)).editWorkSession.problems).toEqual(TOO_LONG);
    expect((await ok(url, EDIT, { id: night.id, s: at("08:00"), t: at("10:00", 1), n: "Release night" }, manager)).editWorkSession).toMatchObject({ notes: "Release night" });
    expect((await ok(url, EDIT, { id: night.id, s: at("09:00"), t: at("10:00", 1) }, manager)).editWorkSession).toMatchObject({ startedAt: at("09:00"), endedAt: at("10:00", 1) });
  });

  it("reports span at most 366 days, named at `to`", async () => {
    const summary = await gql(url, `{ workSummary(from: "${day(-366)}", to: "${day()}") { netSeconds } }`, {}, { token: lisa });
    expect(summary.body.errors?.[0]).toMatchObject({ message: "to: The range may span at most 366 days", extensions: { code: "VALIDATION" } });
    expect((await ok(url, `{ workSummary(from: "${day(-365)}", to: "${day()}") { netSeconds } }`, {}, { token: lisa })).workSummary).toBeInstanceOf(Array);
  });
});

describe("a correction racing a desktop batch", () => {
  it("waits for the batch writing the session back, then trims what it added", async () => {
    if (!stack.databaseUrl) return; // the embedded database belongs to the server process
    const own = await newWorkspace(url, "Europe/Berlin");
    const worker = own.employee.token;
    expect((await post(worker, [win("day-long", "08:00", "Code", "main.ts", {}, 3600)])).status).toBe(200);
    const [session] = (await ok(url, SESSIONS, { f: day(), t: day() }, { token: worker })).workSessions.nodes;
    expect(session).toMatchObject({ startedAt: at("08:00"), endedAt: at("09:00") });
    // Holding the session's row, a late batch has read it and waits to store what it adds to it.
    const EDIT = `mutation($id: ID!, $s: DateTime!, $t: DateTime!) { editWorkSession(input: { id: $id, start: $s, end: $t }) { __typename ... on WorkSession { startedAt endedAt } } }`;
    const [late, corrected] = await queuedBehind(stack.databaseUrl, [`SELECT 1 FROM "WorkSession" WHERE id = $1 FOR UPDATE`, [rowId(session.id)]], [
      () => post(worker, [win("late-chat", "08:30", "Slack", "general", {}, 600)]),
      () => ok(url, EDIT, { id: session.id, s: at("08:00"), t: at("08:20") }, { token: own.manager.token }),
    ]);
    expect((late as { status: number }).status).toBe(200);
    expect((corrected as { editWorkSession: unknown }).editWorkSession).toEqual({ __typename: "WorkSession", startedAt: at("08:00"), endedAt: at("08:20") });
    const outside = await query(stack.databaseUrl, `SELECT app FROM "WorkActivity" WHERE "sessionId" = $1 AND ("startedAt" < $2 OR "endedAt" > $3)`, [rowId(session.id), at("08:00"), at("08:20")]);
    expect(outside).toEqual([]);
  });
});

describe("reports", () => {
  it("groups by employee and reports a month per employee, as CSV too", async () => {
    const summary = await ok(url, `{ workSummary(from: "${day(-2)}", to: "${day()}") { employee { name } sessionCount netSeconds manualSeconds firstArrival lastDeparture } }`, {}, { token: lisa });
    const sam = summary.workSummary.find((s: { employee: { name: string } }) => s.employee.name === "Sam Staff");
    expect(sam).toMatchObject({ sessionCount: 2, netSeconds: 5400 + 3600, manualSeconds: 9000, firstArrival: at("12:30", -1), lastDeparture: at("15:00", -1) });

    const tom = ws.employee.token;
    const report = (await ok(url, `{ workMonthlyReport(month: "${MONTH}") { month daysWorked netSeconds days { date netSeconds lunchSeconds } csvUrl } }`, {}, { token: tom })).workMonthlyReport;
    expect(report.netSeconds).toBe(report.days.reduce((sum: number, d: { netSeconds: number }) => sum + d.netSeconds, 0));
    expect(report.daysWorked).toBe(report.days.filter((d: { netSeconds: number }) => d.netSeconds > 0).length);
    const csv = await fetch(url + report.csvUrl, { headers: { authorization: `Bearer ${tom}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split("\n");
    expect(lines[0]).toBe("employee,date,net_hours,afk_hours,break_hours,meeting_hours,lunch_hours,call_hours,manual_hours,counted_as_work_hours");
    expect(lines.at(-1)).toBe(`Tom Employee,days_worked,${report.daysWorked}`);
    // Someone else's report is refused to an employee.
    const emmaId = ws.employee2.id;
    expect((await fetch(`${url}/api/work/report.csv?month=${MONTH}&employee=${encodeURIComponent(emmaId)}`, { headers: { authorization: `Bearer ${tom}` } })).status).toBe(403);
  });
  it("group by employee reads an open session at its last whole second, as the session itself is read", async () => {
    // Its own workspace: the summary of today holds only this open session, started at an odd fraction of a second.
    const own = await newWorkspace(url, "Europe/Berlin");
    const start = Date.now() - 10 * 60_000 - 437;
    const opened = await post(own.employee.token, [
      { id: "o1", type: "window", timestamp: new Date(start).toISOString(), duration: 300, pulsetime: 600, data: { app: "Code", title: "x" } },
      { id: "o2", type: "window", timestamp: new Date(Date.now() - 2000).toISOString(), duration: 1, pulsetime: 600, data: { app: "Code", title: "x" } },
    ]);
    expect(opened.status).toBe(200);
    // From the day it started to today: in the first ten minutes after midnight in Berlin, the
    // session began yesterday, and today alone would cut it at midnight.
    const [from, today] = [isoDate(DateTime.fromMillis(start, { zone: "Europe/Berlin" })), isoDate(calendar("Europe/Berlin").today)];
    const read = async () => {
      const q = `query($f: LocalDate!, $t: LocalDate!) { workSummary(from: $f, to: $t) { netSeconds serverTime } workSessions(from: $f, to: $t) { nodes { netSeconds serverTime } } }`;
      const data = await ok(url, q, { f: from, t: today }, { token: own.manager.token });
      return { summary: data.workSummary[0], session: data.workSessions.nodes[0] };
    };
    for (const { summary, session } of [await read(), await new Promise((r) => setTimeout(r, 1300)).then(read)]) {
      // Net time is exact at serverTime: whole seconds since the start, and no fraction lost to rounding.
      expect(Date.parse(summary.serverTime) - start).toBe(summary.netSeconds * 1000);
      expect((Date.parse(summary.serverTime) - Date.parse(session.serverTime)) / 1000).toBe(summary.netSeconds - session.netSeconds);
    }
  });
  it("group by employee agrees with each monthly report, and clips a session at the range's edge", async () => {
    const emma = ws.employee2.id;
    // 23:30-00:30 in Berlin: half of it on D + 1, half on D + 2.
    const add = `mutation($e: ID!) { addManualTime(input: { employeeId: $e, start: "${at("23:30", 1)}", end: "${at("00:30", 2)}" }) { __typename } }`;
    expect((await ok(url, add, { e: emma }, { token: lisa })).addManualTime.__typename).toBe("WorkSession");
    const FIELDS = "netSeconds afkSeconds breakSeconds meetingSeconds lunchSeconds callSeconds manualSeconds";
    const summary = async (from: string, to: string, e: string | null) =>
      (await ok(url, `query($f: LocalDate!, $t: LocalDate!, $e: ID) { workSummary(from: $f, to: $t, employeeId: $e) { employee { id } sessionCount lastDeparture ${FIELDS} } }`, { f: from, t: to, e }, { token: lisa })).workSummary;
    const [oneDay] = await summary(day(1), day(1), emma);
    expect(oneDay).toMatchObject({ sessionCount: 1, netSeconds: 1800, manualSeconds: 1800 });
    // Someone with an open session ticks between the two requests: compare the others.
    const closed = (await summary(isoDate(D.startOf("month")), isoDate(D.endOf("month")), null)).filter((row: { lastDeparture: string | null }) => row.lastDeparture);
    expect(closed.length).toBeGreaterThan(2);
    for (const { employee, sessionCount, lastDeparture: _, ...totals } of closed) {
      const report = (await ok(url, `query($e: ID) { workMonthlyReport(month: "${MONTH}", employeeId: $e) { ${FIELDS} } }`, { e: employee.id }, { token: lisa })).workMonthlyReport;
      expect(sessionCount).toBeGreaterThan(0);
      expect(totals).toEqual(report);
    }
  });
});

describe("ActivityWatch import", () => {
  // As ActivityWatch writes them: UTC with microseconds, on D - 6.
  const aw = (hhmm: string) => at(hhmm, -6).replace(".000Z", ".000000+00:00");
  const exported = {
    buckets: {
      "aw-watcher-window_laptop": {
        id: "aw-watcher-window_laptop",
        type: "currentwindow",
        events: [
          { timestamp: aw("08:00"), duration: 1800, data: { app: "Code", title: "api.ts" } },
          { timestamp: aw("08:30"), duration: 900, data: { app: "Firefox", title: "Docs" } },
          { timestamp: aw("08:45"), duration: 900, data: { app: "Code", title: "api.ts" } },
        ],
      },
      "aw-watcher-afk_laptop": {
        id: "aw-watcher-afk_laptop",
        type: "afkstatus",
        events: [
          { timestamp: aw("08:00"), duration: 2400, data: { status: "not-afk" } },
          { timestamp: aw("08:40"), duration: 300, data: { status: "afk" } },
          { timestamp: aw("08:45"), duration: 900, data: { status: "not-afk" } },
        ],
      },
      "aw-watcher-web-firefox": {
        id: "aw-watcher-web-firefox",
        type: "web.tab.current",
        events: [{ timestamp: aw("08:29"), duration: 1000, data: { url: "https://docs.example.org/", title: "Docs" } }],
      },
    },
  };

  it("backfills an employee's sessions through the same rules, and importing twice changes nothing", async () => {
    const emmaToken = ws.employee2.token;
    const emmaId = ws.employee2.id;
    const send = (token: string, employee?: string) =>
      fetch(`${url}/api/work/import${employee ? `?employee=${encodeURIComponent(employee)}` : ""}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(exported),
      });
    const first = await send(lisa, emmaId);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ buckets: 3, rejected: [] });
    expect((await (await send(lisa, emmaId)).json()).duplicates).toBeGreaterThan(0);
    const imported = (await ok(url, SESSIONS, { f: day(-6), t: day(-6) }, { token: emmaToken })).workSessions.nodes;
    expect(imported).toHaveLength(1);
    expect(imported[0]).toMatchObject({ startedAt: at("08:00", -6), endedAt: at("09:00", -6), afkSeconds: 300, netSeconds: 3300 });
    // Firefox's last five minutes were AFK: as in ActivityWatch, only active window time counts.
    expect(imported[0].apps).toEqual([{ name: "Code", seconds: 2700 }, { name: "Firefox", seconds: 600 }]);
    expect(imported[0].urls).toEqual([{ name: "https://docs.example.org/", seconds: 600 }]);
    // An employee can't import for someone else.
    expect((await send(ws.employee.token, emmaId)).status).toBe(403);
  });
});

describe("screenshots", () => {
  // A 1x1 PNG.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
  const upload = (token: string, takenAt: string, type = "image/png") =>
    fetch(`${url}/api/work/screenshots?takenAt=${encodeURIComponent(takenAt)}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": type }, body: png });

  it("attach to the session of their moment and are served only to those who may see it", async () => {
    const tom = ws.employee.token;
    const res = await upload(tom, at("09:25"));
    expect(res.status).toBe(201);
    const { id } = await res.json();
    const session = (await ok(url, SESSIONS.replace("apps {", "screenshots { id url takenAt mime size } apps {"), { f: day(), t: day() }, { token: tom })).workSessions.nodes[0];
    expect(session.screenshots).toEqual([{ id, url: `/api/work/screenshots/${id}`, takenAt: at("09:25"), mime: "image/png", size: png.length }]);
    const own = await fetch(url + session.screenshots[0].url, { headers: { authorization: `Bearer ${tom}` } });
    expect([own.status, own.headers.get("content-type"), Buffer.from(await own.arrayBuffer()).equals(png)]).toEqual([200, "image/png", true]);
    expect((await fetch(url + session.screenshots[0].url, { headers: { authorization: `Bearer ${lisa}` } })).status).toBe(200);
    const emma = ws.employee2.token;
    expect((await fetch(url + session.screenshots[0].url, { headers: { authorization: `Bearer ${emma}` } })).status).toBe(404);
  });

  it("refuse other file types and moments without a session", async () => {
    const tom = ws.employee.token;
    expect((await upload(tom, at("09:25"), "application/pdf")).status).toBe(415);
    expect((await upload(tom, at("03:00", -9))).status).toBe(409);
  });

  it("refuse a takenAt that isn't an instant the API takes, with a 400 naming it", async () => {
    const tom = ws.employee.token;
    // A year before 1900 (here year -1, which PostgreSQL can't read as written) or a wall time without an offset.
    for (const takenAt of ["-000001-01-01T00:00:00Z", "1899-12-31T23:59:59Z", at("09:25").slice(0, 19)]) {
      const res = await upload(tom, takenAt);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatch(/^takenAt must be/);
    }
  });
});
