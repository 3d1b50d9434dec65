import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, rowId, tokenFor } from "../support/client.js";
import { query } from "../support/queued.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: string;
let lisa: string;
let tom: string;
let client: string;
let tomId: string;
let ws: TestWorkspace;

beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  ws = await newWorkspace(url);
  [owner, lisa, tom] = [ws.owner.token, ws.manager.token, ws.employee.token];
  client = (await ok(url, `mutation { createClient(input: { name: "Jane van Dyke" }) { ... on Client { id } } }`, {}, { token: owner })).createClient.id;
  tomId = (await ok(url, `{ viewer { user { id } } }`, {}, { token: tom })).viewer.user.id;
});
afterAll(() => stack?.stop());

/** The next given month-day from today: a winter and a summer date, both within the feed's year ahead. */
function next(monthDay: string) {
  const today = new Date().toISOString().slice(0, 10);
  const year = Number(today.slice(0, 4));
  return `${year}-${monthDay}` > today ? `${year}-${monthDay}` : `${year + 1}-${monthDay}`;
}
const WINTER = next("01-15");
const SUMMER = next("07-15");
const dayAfter = (date: string, days: number) => new Date(Date.parse(date + "T12:00:00Z") + days * 86_400_000).toISOString().slice(0, 10);

const CREATE = `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ... on AppointmentPayload { appointment { id sequence } } ... on Error { code message } } }`;
const FEED = `mutation($s: CalendarFeedScope!) { createCalendarFeed(input: { scope: $s }) { ... on CreatedCalendarFeed { path feed { id } } ... on ValidationError { problems { path message } } } }`;

async function fetchFeed(path: string) {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** Parses a feed as a calendar app would: its VTIMEZONE registered, events read with their zone. */
function parse(text: string) {
  return parseAll(text).filter((e) => /J\. v\. D\.|Jane van Dyke/.test(e.summary));
}

/** Every event; the demo workspace's own sessions included. */
function parseAll(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const tz of calendar.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(tz);
  return calendar.getAllSubcomponents("vevent").map((v) => {
    const event = new ICAL.Event(v);
    return {
      uid: event.uid,
      summary: event.summary,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      tzid: v.getFirstProperty("dtstart")?.getParameter("tzid"),
      zone: event.startDate.zone?.tzid,
      sequence: event.sequence,
      status: v.getFirstPropertyValue("status"),
    };
  });
}

describe("calendar feeds", () => {
  it("serve a member's sessions with stable UIDs, zone-correct times across DST, initials, rising SEQUENCE and cancellations", async () => {
    // Employees don't book: the owner books Tom's sessions, Tom subscribes to them.
    const summer = (await ok(url, CREATE, { i: { name: "Summer check", clientId: client, staffId: tomId, date: SUMMER, time: "10:00" } }, { token: owner })).createAppointment.appointment;
    const winter = (await ok(url, CREATE, { i: { name: "Winter check", clientId: client, staffId: tomId, date: WINTER, time: "10:00", durationMinutes: 45 } }, { token: owner })).createAppointment.appointment;
    await ok(url, CREATE, { i: { name: "Owner's own", clientId: client, date: dayAfter(WINTER, 1) } }, { token: owner });

    const { createCalendarFeed } = await ok(url, FEED, { s: "MINE" }, { token: tom });
    expect(createCalendarFeed.path).toMatch(/^\/api\/appointments\/feeds\/sf_[\w-]+\.ics$/);
    const first = await fetchFeed(createCalendarFeed.path);
    expect(first.status).toBe(200);
    expect(first.type).toContain("text/calendar");
    expect(first.text).toContain("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin");
    const events = parse(first.text);
    expect(events.map((e) => e.summary).sort()).toEqual(["Summer check - J. v. D.", "Winter check - J. v. D."]);
    expect(first.text).not.toContain("Jane van Dyke");
    const w = events.find((e) => e.summary.startsWith("Winter"))!;
    const s = events.find((e) => e.summary.startsWith("Summer"))!;
    // 10:00 in Berlin is 09:00 UTC in winter (CET) and 08:00 UTC in summer (CEST).
    expect(w).toMatchObject({ start: `${WINTER}T09:00:00.000Z`, end: `${WINTER}T09:45:00.000Z`, tzid: "Europe/Berlin", zone: "Europe/Berlin", status: "CONFIRMED" });
    expect(s).toMatchObject({ start: `${SUMMER}T08:00:00.000Z`, end: `${SUMMER}T09:00:00.000Z`, tzid: "Europe/Berlin" });

    // Moved, then cancelled: same UID, higher SEQUENCE each time, then STATUS:CANCELLED.
    await ok(url, `mutation($id: ID!) { updateAppointment(input: { id: $id, changes: { time: "11:30" } }) { __typename } }`, { id: winter.id }, { token: lisa });
    const moved = parse((await fetchFeed(createCalendarFeed.path)).text).find((e) => e.uid === w.uid)!;
    expect(moved.start).toBe(`${WINTER}T10:30:00.000Z`);
    expect(moved.sequence).toBeGreaterThan(w.sequence);
    await ok(url, `mutation($id: ID!) { setAppointmentStatus(input: { id: $id, status: CANCELLED }) { __typename } }`, { id: winter.id }, { token: lisa });
    const cancelled = parse((await fetchFeed(createCalendarFeed.path)).text).find((e) => e.uid === w.uid)!;
    expect(cancelled.status).toBe("CANCELLED");
    expect(cancelled.sequence).toBeGreaterThan(moved.sequence);
    expect(parse((await fetchFeed(createCalendarFeed.path)).text).find((e) => e.uid === s.uid)!.sequence).toBe(s.sequence);

    // Full names only when the workspace opts in.
    await ok(url, `mutation { updateAppointmentSettings(input: { clientNamesInFeeds: true }) { __typename } }`, {}, { token: owner });
    expect(parse((await fetchFeed(createCalendarFeed.path)).text).map((e) => e.summary)).toContain("Summer check - Jane van Dyke");
    expect(summer.id).toBeTruthy();
  });

  it("the workspace feed is for those who see everyone; revoked or unpermitted feeds show nothing", async () => {
    const denied = await ok(url, FEED, { s: "WORKSPACE" }, { token: tom });
    expect(denied.createCalendarFeed.problems).toEqual([{ path: ["scope"], message: "You can only subscribe to your own sessions" }]);
    const all = (await ok(url, FEED, { s: "WORKSPACE" }, { token: lisa })).createCalendarFeed;
    expect(parse((await fetchFeed(all.path)).text).map((e) => e.summary.split(" - ")[0]).sort()).toEqual(["Owner's own", "Summer check", "Winter check"]);

    // Staff without session.read: their feed stops showing sessions.
    const sam = await tokenFor(url, ws.staff.email);
    await ok(url, `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { __typename } }`, { i: { name: "Sam's", clientId: client, date: dayAfter(WINTER, 2) } }, { token: sam });
    const samFeed = (await ok(url, FEED, { s: "MINE" }, { token: sam })).createCalendarFeed;
    expect(parse((await fetchFeed(samFeed.path)).text)).toHaveLength(1);
    await ok(url, `mutation { setStaffPermissions(input: { permissions: [SESSION_CREATE] }) { __typename } }`, {}, { token: owner });
    const blocked = await fetchFeed(samFeed.path);
    expect(blocked.status).toBe(403);
    expect(blocked.text).not.toContain("BEGIN:VEVENT");
    await ok(url, `mutation { setStaffPermissions(input: { permissions: null }) { __typename } }`, {}, { token: owner });

    await ok(url, `mutation($id: ID!) { revokeCalendarFeed(input: { id: $id }) { __typename } }`, { id: all.feed.id }, { token: lisa });
    expect((await fetchFeed(all.path)).status).toBe(404);
    expect((await fetchFeed("/api/appointments/feeds/sf_guessedguessedguessedguessed.ics")).status).toBe(404);
    expect(tomId).toBeTruthy();
  });

  it("a removed member's feeds are revoked: joining again doesn't bring them back", async () => {
    const own = await newWorkspace(url);
    const feed = (await ok(url, FEED, { s: "MINE" }, { token: own.employee.token })).createCalendarFeed;
    expect((await fetchFeed(feed.path)).status).toBe(200);
    const members = (await ok(url, `{ viewer { workspace { members { nodes { id role user { id email } } } } } }`, {}, { token: own.owner.token })).viewer.workspace.members.nodes;
    const tomAsMember = members.find((m: { user: { email: string } }) => m.user.email === own.employee.email);
    await ok(url, `mutation($m: ID!) { removeMember(input: { memberId: $m }) { __typename } }`, { m: tomAsMember.id }, { token: own.owner.token });
    expect((await fetchFeed(feed.path)).status).toBe(404);
    if (!stack.databaseUrl) return; // the embedded database belongs to the server process
    // Back in the workspace (as accepting a new invitation would make him): the old link stays dead.
    await query(stack.databaseUrl, `INSERT INTO "Membership" (id, "workspaceId", "userId", role) VALUES (gen_random_uuid(), $1, $2, 'employee')`, [rowId(own.id), rowId(tomAsMember.user.id)]);
    expect((await fetchFeed(feed.path)).status).toBe(404);
  });
});
