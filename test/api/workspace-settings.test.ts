// The workspace settings screen's API: display settings and working hours per weekday saved with the
// other workspace fields, all or nothing, the appointment warnings that follow each day's hours, and
// the invitation link handed to the inviter only while mail goes to the server log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/client.js";
import { calendar, withOffset } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const UPDATE = `mutation($n: String, $z: String, $w: Int, $f: TimeFormat, $h: [WorkingDayInput!]) {
  updateWorkspace(input: { name: $n, timeZone: $z, weekStart: $w, timeFormat: $f, workingHours: $h }) {
    __typename ... on ValidationError { problems { path message } }
    ... on Workspace { name timeZone weekStart timeFormat workingHours { weekday start end } } } }`;
const READ = `{ viewer { workspace { name timeZone weekStart timeFormat workingHours { weekday start end } } } }`;
const INVITE = `mutation($e: String!) { inviteMember(input: { email: $e, role: EMPLOYEE }) { ... on Invitation { email acceptLink } } }`;

let stack: Stack;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack();
  ws = await newWorkspace(stack.urls[0], "Europe/Berlin");
});
afterAll(() => stack?.stop());

describe("workspace settings", () => {
  it("defaults to Monday weeks and the 24-hour clock, and saves every field together", async () => {
    const owner = { token: ws.owner.token };
    const before = await ok(stack.urls[0], READ, {}, owner);
    expect(before.viewer.workspace).toMatchObject({ weekStart: 1, timeFormat: "H24" });
    expect(before.viewer.workspace.workingHours).toEqual([1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: "09:00", end: "17:00" })));
    const hours = [
      { weekday: 1, start: "08:30", end: "16:00" },
      { weekday: 3, start: "10:00", end: "18:30" },
      { weekday: 6, start: "09:00", end: "12:00" },
    ];
    const { updateWorkspace } = await ok(stack.urls[0], UPDATE, { n: "Renamed", z: "America/New_York", w: 7, f: "H12", h: hours }, owner);
    expect(updateWorkspace).toEqual({ __typename: "Workspace", name: "Renamed", timeZone: "America/New_York", weekStart: 7, timeFormat: "H12", workingHours: hours });
    // Giving only one setting keeps the others.
    await ok(stack.urls[0], UPDATE, { w: 1 }, owner);
    expect((await ok(stack.urls[0], READ, {}, owner)).viewer.workspace).toMatchObject({ weekStart: 1, timeFormat: "H12", name: "Renamed" });
  });

  it("names each bad field and changes nothing", async () => {
    const owner = { token: ws.owner.token };
    const before = (await ok(stack.urls[0], READ, {}, owner)).viewer.workspace;
    const h = [
      { weekday: 1, start: "18:00", end: "09:00" },
      { weekday: 2, start: "9:00", end: "17:00" },
      { weekday: 1, start: "10:00", end: "11:00" },
      { weekday: 8, start: "10:00", end: "24:00" },
    ];
    const { updateWorkspace } = await ok(stack.urls[0], UPDATE, { n: "Not saved", z: "Mars/Base", w: 8, h }, owner);
    expect(updateWorkspace.__typename).toBe("ValidationError");
    expect(updateWorkspace.problems.map((p: { path: string[] }) => p.path.join("."))).toEqual([
      "timeZone",
      "weekStart",
      "workingHours.0.end",
      "workingHours.1.start",
      "workingHours.2.weekday",
      "workingHours.3.weekday",
      "workingHours.3.end",
    ]);
    expect((await ok(stack.urls[0], READ, {}, owner)).viewer.workspace).toEqual(before);
  });

  it("takes only zone names PostgreSQL reads as the API does, for a new workspace and a changed one", async () => {
    const owner = { token: ws.owner.token };
    const CREATE = `mutation($z: String!) { createWorkspace(input: { name: "Zoned", timeZone: $z }) { __typename ... on ValidationError { problems { path message } } } }`;
    // Abbreviations ICU takes and PostgreSQL reads otherwise (IST: India here, Israel there; CST:
    // Chicago with daylight saving, a fixed -6 there), and a name PostgreSQL no longer knows.
    for (const zone of ["IST", "CST", "US/Pacific-New"]) {
      const created = (await ok(stack.urls[0], CREATE, { z: zone }, owner)).createWorkspace;
      expect(created.problems, zone).toEqual([{ path: ["timeZone"], message: expect.stringContaining("full name, such as Asia/Kolkata") }]);
      const updated = (await ok(stack.urls[0], UPDATE, { z: zone }, owner)).updateWorkspace;
      expect(updated.problems, zone).toEqual([{ path: ["timeZone"], message: expect.stringContaining("full name, such as Asia/Kolkata") }]);
    }
    for (const zone of ["Asia/Kolkata", "America/Chicago", "UTC", "Australia/Eucla"]) {
      expect((await ok(stack.urls[0], CREATE, { z: zone }, owner)).createWorkspace.__typename, zone).toBe("Workspace");
    }
    expect((await ok(stack.urls[0], READ, {}, owner)).viewer.workspace.timeZone).not.toMatch(/^(IST|CST|US\/Pacific-New)$/);
  });

  it("warns about an appointment by the hours of its own weekday", async () => {
    const other = await newWorkspace(stack.urls[0], "Europe/Berlin");
    const owner = { token: other.owner.token };
    // Mondays 08:00-12:00, Tuesdays 14:00-20:00; no other working day.
    const h = [
      { weekday: 2, start: "14:00", end: "20:00" },
      { weekday: 1, start: "08:00", end: "12:00" },
    ];
    await ok(stack.urls[0], UPDATE, { h }, owner);
    const client = (await ok(stack.urls[0], `mutation { createClient(input: { name: "Hours Client" }) { ... on Client { id } } }`, {}, owner)).createClient.id;
    const monday = calendar("Europe/Berlin").monday(1);
    const warnings = async (day: number, time: string) => {
      const input = { name: "Check", clientId: client, startsAt: withOffset(monday.plus({ days: day }), time), durationMinutes: 60 };
      const { createAppointment } = await ok(
        stack.urls[0],
        `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ... on AppointmentPayload { warnings { kind message } } } }`,
        { i: input },
        owner,
      );
      return createAppointment.warnings;
    };
    expect(await warnings(0, "08:00")).toEqual([]);
    expect(await warnings(0, "15:00")).toEqual([{ kind: "OUTSIDE_WORKING_HOURS", message: "Outside working hours (Mon 08:00-12:00, Europe/Berlin)" }]);
    expect(await warnings(1, "15:00")).toEqual([]);
    expect(await warnings(1, "09:00")).toEqual([{ kind: "OUTSIDE_WORKING_HOURS", message: "Outside working hours (Tue 14:00-20:00, Europe/Berlin)" }]);
    expect(await warnings(2, "15:00")).toEqual([{ kind: "OUTSIDE_WORKING_HOURS", message: "Outside working hours (Wed is a day off, Europe/Berlin)" }]);
  });
});

describe("invitation link for the inviter", () => {
  it("is withheld when mail is delivered, and given when mail only goes to the server log", async () => {
    const owner = { token: ws.owner.token };
    const mailed = await ok(stack.urls[0], INVITE, { e: `mailed-${ws.id.slice(0, 8)}@test.example` }, owner);
    expect(mailed.inviteMember.acceptLink).toBeNull();

    const logOnly = await stack.startApi({ SEED_DEMO: "false", MAIL_OUTBOX: "" });
    const email = `logged-${ws.id.slice(0, 8)}@test.example`;
    const { inviteMember } = await ok(logOnly.url, INVITE, { e: email }, owner);
    const link = new URL(inviteMember.acceptLink);
    expect(link.pathname).toBe("/invitations/accept");
    const accepted = await ok(
      logOnly.url,
      `mutation($t: String!) { acceptInvitation(input: { token: $t, name: "Logged Invitee", password: "invitee-password" }) { __typename } }`,
      { t: link.searchParams.get("token") },
    );
    expect(accepted.acceptInvitation.__typename).toBe("Workspace");
  });
});
