// The workspace settings screen's API: display settings saved with the other workspace fields, all
// or nothing, and the invitation link handed to the inviter only while mail goes to the server log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const UPDATE = `mutation($n: String, $z: String, $w: Int, $f: TimeFormat, $h: WorkingHoursInput) {
  updateWorkspace(input: { name: $n, timeZone: $z, weekStart: $w, timeFormat: $f, workingHours: $h }) {
    __typename ... on ValidationError { problems { path message } }
    ... on Workspace { name timeZone weekStart timeFormat workingHours { days start end } } } }`;
const READ = `{ viewer { workspace { name timeZone weekStart timeFormat workingHours { days start end } } } }`;
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
    const hours = { days: [1, 2, 3, 4, 6], start: "08:30", end: "16:00" };
    const { updateWorkspace } = await ok(stack.urls[0], UPDATE, { n: "Renamed", z: "America/New_York", w: 7, f: "H12", h: hours }, owner);
    expect(updateWorkspace).toEqual({ __typename: "Workspace", name: "Renamed", timeZone: "America/New_York", weekStart: 7, timeFormat: "H12", workingHours: hours });
    // Giving only one setting keeps the others.
    await ok(stack.urls[0], UPDATE, { w: 1 }, owner);
    expect((await ok(stack.urls[0], READ, {}, owner)).viewer.workspace).toMatchObject({ weekStart: 1, timeFormat: "H12", name: "Renamed" });
  });

  it("names each bad field and changes nothing", async () => {
    const owner = { token: ws.owner.token };
    const before = (await ok(stack.urls[0], READ, {}, owner)).viewer.workspace;
    const { updateWorkspace } = await ok(stack.urls[0], UPDATE, { n: "Not saved", z: "Mars/Base", w: 8, h: { days: [1], start: "18:00", end: "09:00" } }, owner);
    expect(updateWorkspace.__typename).toBe("ValidationError");
    expect(updateWorkspace.problems.map((p: { path: string[] }) => p.path.join("."))).toEqual(["timeZone", "weekStart", "workingHours.end"]);
    expect((await ok(stack.urls[0], READ, {}, owner)).viewer.workspace).toEqual(before);
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
