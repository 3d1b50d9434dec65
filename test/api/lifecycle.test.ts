// Members and credentials over their life: invitations, removal, role changes, passwords, sign-out
// everywhere and expiry, each taking effect on the next request and on open WebSockets.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { gql, ok, rowId, signIn, subscribe, tokenFor, wsClient } from "../support/client.js";
import { createMember, mailedTokens, waitForToken } from "../support/mail.js";
import { query, queuedBehind } from "../support/queued.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let url: string;
let owner: string;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  owner = await tokenFor(url, "owner@demo.test");
});
afterAll(() => stack?.stop());

const PASSWORD = "member-password";
const BOARD = `subscription { liveBoard { sessions { id } } }`;
const ME = `{ viewer { role permissions workspace { id } } }`;
const INVITE = `mutation($e: String!, $r: Role!) { inviteMember(input: { email: $e, role: $r }) {
  __typename ... on Invitation { id email role expiresAt acceptedAt } ... on ValidationError { code problems { path message } } ... on Error { code } } }`;
const ACCEPT = `mutation($t: String!, $n: String, $p: String) { acceptInvitation(input: { token: $t, name: $n, password: $p }) {
  __typename ... on Workspace { id name } ... on ValidationError { problems { path message } } } }`;
const MEMBERS = `{ viewer { workspace { members { nodes { id role user { email } } } } } }`;

const email = (name: string) => `${name}-${randomUUID().slice(0, 8)}@lifecycle.test`;

async function memberId(token: string, who: string): Promise<string> {
  const data = await ok(url, MEMBERS, {}, { token });
  return data.viewer.workspace.members.nodes.find((m: { user: { email: string } }) => m.user.email === who).id;
}

/** A new account in the demo workspace, with a personal token. */
async function newMember(role: string) {
  const address = email(role.toLowerCase());
  await createMember(url, { token: owner }, { email: address, role, password: PASSWORD });
  const cookie = await signIn(url, address, PASSWORD);
  const token = (await ok(url, `mutation { createPersonalAccessToken(input: { name: "t" }) { ... on CreatedToken { secret } } }`, {}, { cookie })).createPersonalAccessToken.secret;
  return { email: address, cookie, token };
}

function closeCode(client: ReturnType<typeof wsClient>) {
  return new Promise<number>((resolve) => client.on("closed", (event) => resolve((event as { code: number }).code)));
}

/** An open liveBoard subscription and a promise of the code its socket closes with. */
async function openSocket(token: string) {
  const client = wsClient(url, { token });
  const closed = closeCode(client);
  const sub = subscribe(client, BOARD);
  await sub.next();
  return { client, closed };
}

/** An open liveBoard subscription over SSE (one HTTP response) and a promise that it ended. */
async function openStream(token: string) {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: BOARD }),
  });
  const reader = res.body!.getReader();
  let text = "";
  while (!text.includes("event: next")) text += new TextDecoder().decode((await reader.read()).value);
  const ended = (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // cut mid-stream: ended all the same
    }
    return "ended" as const;
  })();
  return { ended };
}

/** Resolves with how it closed (a socket's code, a stream's "ended"), or "open" if it is still open after `ms`. */
const within = <T>(closed: Promise<T>, ms: number) => Promise.race([closed, new Promise<string>((r) => setTimeout(() => r("open"), ms))]);

async function sql(query: string, values: unknown[]) {
  const client = new pg.Client({ connectionString: stack.databaseUrl! });
  await client.connect();
  try {
    return (await client.query(query, values)).rows;
  } finally {
    await client.end();
  }
}

describe("invitations", () => {
  it("mails a link; the invitee accepts once and joins with the invited role", async () => {
    const invitee = email("new");
    const invited = (await ok(url, INVITE, { e: invitee.toUpperCase(), r: "EMPLOYEE" }, { token: owner })).inviteMember;
    expect(invited).toMatchObject({ __typename: "Invitation", email: invitee, role: "EMPLOYEE", acceptedAt: null });
    // Not a member before accepting.
    expect((await ok(url, MEMBERS, {}, { token: owner })).viewer.workspace.members.nodes.map((m: { user: { email: string } }) => m.user.email)).not.toContain(invitee);

    const token = await waitForToken(url, invitee, "invitations/accept");
    const missing = (await ok(url, ACCEPT, { t: token, n: " ", p: "short" })).acceptInvitation;
    expect(missing.problems.map((p: { path: string[] }) => p.path.join("."))).toEqual(["name", "password"]);
    const accepted = (await ok(url, ACCEPT, { t: token, n: "Nora New", p: PASSWORD })).acceptInvitation;
    expect(accepted.__typename).toBe("Workspace");
    const again = (await ok(url, ACCEPT, { t: token, n: "Someone", p: PASSWORD })).acceptInvitation;
    expect(again).toEqual({ __typename: "ValidationError", problems: [{ path: ["token"], message: "This invitation is unknown, used, revoked or expired" }] });

    const cookie = await signIn(url, invitee, PASSWORD);
    expect((await ok(url, ME, {}, { cookie })).viewer).toMatchObject({ role: "EMPLOYEE", workspace: { id: accepted.id } });
  });

  it("one link makes one member, also when it is accepted twice at the same moment", async () => {
    const invitee = email("race");
    await ok(url, INVITE, { e: invitee, r: "EMPLOYEE" }, { token: owner });
    const token = await waitForToken(url, invitee, "invitations/accept");
    const results = await Promise.all(["First", "Second"].map((n) => ok(url, ACCEPT, { t: token, n, p: PASSWORD })));
    expect(results.map((r) => r.acceptInvitation.__typename).sort()).toEqual(["ValidationError", "Workspace"]);
    const members = (await ok(url, MEMBERS, {}, { token: owner })).viewer.workspace.members.nodes;
    expect(members.filter((m: { user: { email: string } }) => m.user.email === invitee)).toHaveLength(1);
  });

  it("an existing account is neither named nor added until it accepts, signed in as itself", async () => {
    const cookie = await signIn(url, "owner@demo.test");
    const created = await ok(url, `mutation { createWorkspace(input: { name: "Invites ${randomUUID()}" }) { ... on Workspace { id } } }`, {}, { cookie });
    const workspaceId = created.createWorkspace.id;
    await ok(url, `mutation($id: ID!) { switchWorkspace(input: { workspaceId: $id }) { __typename } }`, { id: workspaceId }, { cookie });

    const res = await gql(url, INVITE.replace("acceptedAt }", "acceptedAt } ... on Invitation { __typename }"), { e: "tom@demo.test", r: "STAFF" }, { cookie });
    expect(JSON.stringify(res.body)).not.toContain("Tom Employee");
    expect(res.body.data.inviteMember).toMatchObject({ __typename: "Invitation", email: "tom@demo.test", role: "STAFF" });
    const token = await waitForToken(url, "tom@demo.test", "invitations/accept");

    // The link alone doesn't attach Tom's account, nor can it create a second one.
    const anonymous = (await ok(url, ACCEPT, { t: token, n: "Mallory", p: PASSWORD })).acceptInvitation;
    expect(anonymous.problems).toEqual([{ path: ["token"], message: "Sign in as the invited account, then accept" }]);
    const lisa = await signIn(url, "lisa@demo.test");
    expect((await ok(url, ACCEPT, { t: token }, { cookie: lisa })).acceptInvitation.__typename).toBe("ValidationError");
    expect((await ok(url, MEMBERS, {}, { cookie })).viewer.workspace.members.nodes).toHaveLength(1);

    const tom = await signIn(url, "tom@demo.test");
    expect((await ok(url, ACCEPT, { t: token }, { cookie: tom })).acceptInvitation).toMatchObject({ __typename: "Workspace", id: workspaceId });
    const members = (await ok(url, MEMBERS, {}, { cookie })).viewer.workspace.members.nodes;
    expect(members.map((m: { role: string; user: { email: string } }) => [m.user.email, m.role]).sort()).toEqual([["owner@demo.test", "OWNER"], ["tom@demo.test", "STAFF"]]);
    const list = await ok(url, `{ invitations(includeClosed: true) { nodes { email acceptedAt } } }`, {}, { cookie });
    expect(list.invitations.nodes).toHaveLength(1);
    expect(list.invitations.nodes[0].acceptedAt).not.toBeNull();
  });

  it("is revocable, replaced by a new invitation, and expires", async () => {
    const invitee = email("revoked");
    const first = (await ok(url, INVITE, { e: invitee, r: "EMPLOYEE" }, { token: owner })).inviteMember;
    const firstToken = await waitForToken(url, invitee, "invitations/accept");
    await ok(url, INVITE, { e: invitee, r: "STAFF" }, { token: owner });
    const secondToken = await waitForToken(url, invitee, "invitations/accept", 2);
    expect((await ok(url, ACCEPT, { t: firstToken, n: "R", p: PASSWORD })).acceptInvitation.__typename).toBe("ValidationError");

    const open = await ok(url, `{ invitations { nodes { id email role } } }`, {}, { token: owner });
    const mine = open.invitations.nodes.filter((i: { email: string }) => i.email === invitee);
    expect(mine).toEqual([expect.objectContaining({ role: "STAFF" })]);
    expect(mine[0].id).not.toBe(first.id);
    const revoked = await ok(url, `mutation($id: ID!) { revokeInvitation(input: { id: $id }) { ... on Invitation { revokedAt } } }`, { id: mine[0].id }, { token: owner });
    expect(revoked.revokeInvitation.revokedAt).not.toBeNull();
    expect((await ok(url, ACCEPT, { t: secondToken, n: "R", p: PASSWORD })).acceptInvitation.__typename).toBe("ValidationError");

    if (!stack.databaseUrl) return; // the embedded database belongs to the server process
    const later = email("expired");
    await ok(url, INVITE, { e: later, r: "EMPLOYEE" }, { token: owner });
    const token = await waitForToken(url, later, "invitations/accept");
    await sql(`UPDATE "Invitation" SET "expiresAt" = now() - interval '1 second' WHERE email = $1`, [later]);
    expect((await ok(url, ACCEPT, { t: token, n: "Late", p: PASSWORD })).acceptInvitation.__typename).toBe("ValidationError");
  });

  it("refuses bad input, an owner invitation from a non-owner, and API keys whatever their scopes", async () => {
    const bad = (await ok(url, INVITE, { e: "not-an-email", r: "EMPLOYEE" }, { token: owner })).inviteMember;
    expect(bad).toMatchObject({ __typename: "ValidationError", problems: [{ path: ["email"], message: "Not an email address" }] });
    const member = (await ok(url, INVITE, { e: "tom@demo.test", r: "EMPLOYEE" }, { token: owner })).inviteMember;
    expect(member.problems).toEqual([{ path: ["email"], message: "Already a member of this workspace" }]);
    // A key can't even be given identity scopes; one with every other scope still can't manage members.
    const identityKey = await ok(url, `mutation { createApiKey(input: { name: "all", scopes: [MEMBERS_MANAGE, TOKENS_MANAGE, TEAM_READ] }) { __typename } }`, {}, { token: owner });
    expect(identityKey.createApiKey.__typename).toBe("ValidationError");
    const key = await ok(url, `mutation { createApiKey(input: { name: "data", scopes: [TEAM_READ, SESSION_READ, SESSION_CREATE, SESSION_UPDATE, SESSION_DELETE] }) { ... on CreatedToken { secret } } }`, {}, { token: owner });
    const secret = key.createApiKey.secret;
    expect((await ok(url, INVITE, { e: email("key"), r: "EMPLOYEE" }, { token: secret })).inviteMember).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    const tom = await memberId(owner, "tom@demo.test");
    const removed = await ok(url, `mutation($m: ID!) { removeMember(input: { memberId: $m }) { __typename } }`, { m: tom }, { token: secret });
    expect(removed.removeMember.__typename).toBe("ForbiddenError");
    const employee = await tokenFor(url, "tom@demo.test");
    expect((await ok(url, INVITE, { e: email("x"), r: "EMPLOYEE" }, { token: employee })).inviteMember.__typename).toBe("ForbiddenError");
  });
});

describe("removal and role changes", () => {
  it("a removed member's next request is refused and their open socket and SSE stream close", async () => {
    const member = await newMember("EMPLOYEE");
    const socket = await openSocket(member.token);
    const stream = await openStream(member.token);
    expect((await ok(url, ME, {}, { token: member.token })).viewer.role).toBe("EMPLOYEE"); // cached now
    const removed = await ok(url, `mutation($m: ID!) { removeMember(input: { memberId: $m }) { __typename } }`, { m: await memberId(owner, member.email) }, { token: owner });
    expect(removed.removeMember.__typename).toBe("Done");
    expect((await gql(url, ME, {}, { token: member.token })).status).toBe(401);
    expect((await gql(url, ME, {}, { cookie: member.cookie })).status).toBe(401);
    expect(await within(socket.closed, 1000)).toBe(4401);
    expect(await within(stream.ended, 1000)).toBe("ended");
    const again = await gql(url, `mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { __typename ... on ValidationError { problems { path } } } }`, { e: member.email, p: PASSWORD });
    expect(again.body.data.signIn.__typename).toBe("ValidationError"); // no workspace left to sign in to
  });

  it("a role change applies to the next request, and open sockets and SSE streams reconnect", async () => {
    const member = await newMember("EMPLOYEE");
    expect((await ok(url, ME, {}, { token: member.token })).viewer.permissions).not.toContain("TEAM_READ");
    const socket = await openSocket(member.token);
    const stream = await openStream(member.token);
    const changed = await ok(url, `mutation($m: ID!) { changeMemberRole(input: { memberId: $m, role: MANAGER }) { ... on Member { role } } }`, { m: await memberId(owner, member.email) }, { token: owner });
    expect(changed.changeMemberRole.role).toBe("MANAGER");
    expect((await ok(url, ME, {}, { token: member.token })).viewer).toMatchObject({ role: "MANAGER", permissions: expect.arrayContaining(["TEAM_READ"]) });
    expect(await within(socket.closed, 1000)).toBe(4403);
    expect(await within(stream.ended, 1000)).toBe("ended");
  });

  it("staff permissions changed for the workspace apply to the next request of the same token", async () => {
    const staff = await tokenFor(url, "sam@demo.test");
    expect((await ok(url, ME, {}, { token: staff })).viewer.permissions).toContain("SESSION_READ");
    try {
      await ok(url, `mutation { setStaffPermissions(input: { permissions: [SESSION_CREATE] }) { __typename } }`, {}, { token: owner });
      expect((await ok(url, ME, {}, { token: staff })).viewer.permissions).toEqual(["SESSION_CREATE"]);
    } finally {
      await ok(url, `mutation { setStaffPermissions(input: { permissions: null }) { __typename } }`, {}, { token: owner });
    }
  });

  it("an owner's member changes queued behind their own removal are refused", async () => {
    if (!stack.databaseUrl) return; // the embedded database belongs to the server process
    const founder = email("founder");
    await createMember(url, { token: owner }, { email: founder, role: "EMPLOYEE", password: PASSWORD });
    const cookie = await signIn(url, founder, PASSWORD);
    const workspaceId = (await ok(url, `mutation { createWorkspace(input: { name: "Queued" }) { ... on Workspace { id } } }`, {}, { cookie })).createWorkspace.id;
    await ok(url, `mutation($id: ID!) { switchWorkspace(input: { workspaceId: $id }) { __typename } }`, { id: workspaceId }, { cookie });
    const join = async (who: string, role: string) => {
      await ok(url, INVITE, { e: who, r: role }, { cookie });
      await ok(url, ACCEPT, { t: await waitForToken(url, who, "invitations/accept"), n: role, p: PASSWORD });
      return signIn(url, who, PASSWORD);
    };
    const cofounder = email("cofounder");
    const other = await join(cofounder, "OWNER");
    const manager = email("manager");
    await join(manager, "MANAGER");
    const members = (await ok(url, MEMBERS, {}, { cookie })).viewer.workspace.members.nodes as { id: string; role: string; user: { email: string } }[];
    const idOf = (who: string) => members.find((m) => m.user.email === who)!.id;
    const pending = email("pending");
    const invitationId = (await ok(url, INVITE, { e: pending, r: "EMPLOYEE" }, { cookie })).inviteMember.id;

    const [removed, demoted, invited, revoked] = await queuedBehind(stack.databaseUrl, [`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`members:${rowId(workspaceId)}`]], [
      () => ok(url, `mutation($m: ID!) { removeMember(input: { memberId: $m }) { __typename } }`, { m: idOf(cofounder) }, { cookie }),
      () => ok(url, `mutation($m: ID!) { changeMemberRole(input: { memberId: $m, role: EMPLOYEE }) { __typename } }`, { m: idOf(manager) }, { cookie: other }),
      () => ok(url, INVITE, { e: email("ally"), r: "MANAGER" }, { cookie: other }),
      () => ok(url, `mutation($id: ID!) { revokeInvitation(input: { id: $id }) { __typename } }`, { id: invitationId }, { cookie: other }),
    ]);
    expect(removed).toEqual({ removeMember: { __typename: "Done" } });
    expect(demoted).toEqual({ changeMemberRole: { __typename: "ForbiddenError" } });
    expect((invited as { inviteMember: unknown }).inviteMember).toEqual({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    expect(revoked).toEqual({ revokeInvitation: { __typename: "ForbiddenError" } });
    const after = (await ok(url, MEMBERS, {}, { cookie })).viewer.workspace.members.nodes as { role: string; user: { email: string } }[];
    expect(after.map((m) => [m.user.email, m.role]).sort()).toEqual([[founder, "OWNER"], [manager, "MANAGER"]].sort());
    const open = await ok(url, `{ invitations { nodes { email } } }`, {}, { cookie });
    expect(open.invitations.nodes).toEqual([{ email: pending }]);
  });

  it("keeps at least one owner, also when two owners demote each other at once", async () => {
    const founder = email("founder");
    await createMember(url, { token: owner }, { email: founder, role: "EMPLOYEE", password: PASSWORD });
    const cookie = await signIn(url, founder, PASSWORD);
    const created = await ok(url, `mutation { createWorkspace(input: { name: "Owners" }) { ... on Workspace { id } } }`, {}, { cookie });
    await ok(url, `mutation($id: ID!) { switchWorkspace(input: { workspaceId: $id }) { __typename } }`, { id: created.createWorkspace.id }, { cookie });
    const cofounder = email("cofounder");
    await ok(url, INVITE, { e: cofounder, r: "OWNER" }, { cookie });
    await ok(url, ACCEPT, { t: await waitForToken(url, cofounder, "invitations/accept"), n: "Co", p: PASSWORD });
    const other = await signIn(url, cofounder, PASSWORD);
    const members = (await ok(url, MEMBERS, {}, { cookie })).viewer.workspace.members.nodes as { id: string; user: { email: string } }[];
    const idOf = (who: string) => members.find((m) => m.user.email === who)!.id;

    const DEMOTE = `mutation($m: ID!) { changeMemberRole(input: { memberId: $m, role: MANAGER }) { __typename ... on ValidationError { problems { path message } } } }`;
    const results = await Promise.all([
      ok(url, DEMOTE, { m: idOf(cofounder) }, { cookie }),
      ok(url, DEMOTE, { m: idOf(founder) }, { cookie: other }),
    ]);
    // One wins; the other finds itself no longer an owner once it gets its turn.
    expect(results.map((r) => r.changeMemberRole.__typename).sort()).toEqual(["ForbiddenError", "Member"]);
    const lastOwner = results[0].changeMemberRole.__typename === "Member" ? { cookie, id: idOf(founder) } : { cookie: other, id: idOf(cofounder) };
    const roles = (await ok(url, MEMBERS, {}, { cookie: lastOwner.cookie })).viewer.workspace.members.nodes;
    expect(roles.filter((m: { role: string }) => m.role === "OWNER").map((m: { id: string }) => m.id)).toEqual([lastOwner.id]);

    const self = await ok(url, DEMOTE, { m: lastOwner.id }, { cookie: lastOwner.cookie });
    expect(self.changeMemberRole).toEqual({ __typename: "ValidationError", problems: [{ path: ["role"], message: "A workspace needs at least one owner" }] });
    const removal = await ok(url, `mutation($m: ID!) { removeMember(input: { memberId: $m }) { __typename ... on ValidationError { problems { path } } } }`, { m: lastOwner.id }, { cookie: lastOwner.cookie });
    expect(removal.removeMember).toEqual({ __typename: "ValidationError", problems: [{ path: ["memberId"] }] });
  });
});

describe("passwords and sessions", () => {
  const CHANGE = `mutation($c: String!, $n: String!) { changePassword(input: { currentPassword: $c, newPassword: $n }) { __typename ... on ValidationError { problems { path message } } } }`;

  it("changing the password signs out the other browser sessions, not this one", async () => {
    const member = await newMember("EMPLOYEE");
    const other = await signIn(url, member.email, PASSWORD);
    const wrong = await ok(url, CHANGE, { c: "not-it", n: "another-password" }, { cookie: member.cookie });
    expect(wrong.changePassword.problems).toEqual([{ path: ["currentPassword"], message: "Wrong password" }]);
    const short = await ok(url, CHANGE, { c: PASSWORD, n: "short" }, { cookie: member.cookie });
    expect(short.changePassword.problems[0].path).toEqual(["newPassword"]);
    expect((await ok(url, CHANGE, { c: PASSWORD, n: "another-password" }, { cookie: member.cookie })).changePassword.__typename).toBe("Done");
    expect((await gql(url, ME, {}, { cookie: other })).status).toBe(401);
    expect((await gql(url, ME, {}, { cookie: member.cookie })).status).toBe(200);
    expect((await gql(url, ME, {}, { token: member.token })).status).toBe(200); // tokens are not browser sessions
    await expect(signIn(url, member.email, PASSWORD)).rejects.toThrow();
    await signIn(url, member.email, "another-password");
  });

  it("a reset gives the same answer for unknown emails and mails a single-use link that ends every session", async () => {
    const member = await newMember("EMPLOYEE");
    const REQUEST = `mutation($e: String!) { requestPasswordReset(input: { email: $e }) { __typename ... on Done { done } } }`;
    const unknown = email("nobody");
    const [known, stranger] = await Promise.all([gql(url, REQUEST, { e: member.email }), gql(url, REQUEST, { e: unknown })]);
    expect(known.body).toEqual(stranger.body);
    const token = await waitForToken(url, member.email, "password-reset");
    expect(mailedTokens(url, unknown, "password-reset")).toEqual([]);

    const RESET = `mutation($t: String!, $p: String!) { resetPassword(input: { token: $t, newPassword: $p }) { __typename ... on ValidationError { problems { path message } } } }`;
    expect((await ok(url, RESET, { t: "sw_reset_forged", p: "brand-new-password" })).resetPassword.problems[0].path).toEqual(["token"]);
    expect((await ok(url, RESET, { t: token, p: "brand-new-password" })).resetPassword.__typename).toBe("Done");
    expect((await ok(url, RESET, { t: token, p: "third-password" })).resetPassword.__typename).toBe("ValidationError");
    expect((await gql(url, ME, {}, { cookie: member.cookie })).status).toBe(401);
    await signIn(url, member.email, "brand-new-password");
  });

  const RESET = `mutation($t: String!, $p: String!) { resetPassword(input: { token: $t, newPassword: $p }) { __typename } }`;
  const resetToken = async (address: string) => {
    await gql(url, `mutation($e: String!) { requestPasswordReset(input: { email: $e }) { __typename } }`, { e: address });
    return waitForToken(url, address, "password-reset");
  };

  it("a sign-in or password change checked against the password a reset replaces meanwhile is refused", async () => {
    if (!stack.databaseUrl) return; // the embedded database belongs to the server process
    const member = await newMember("EMPLOYEE");
    const token = await resetToken(member.email);
    const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { __typename ... on ValidationError { problems { path message } } } }`;
    const [reset, signedIn, changed] = await queuedBehind(stack.databaseUrl, [`SELECT 1 FROM "User" WHERE email = $1 FOR UPDATE`, [member.email]], [
      () => ok(url, RESET, { t: token, p: "owner-chosen-password" }),
      () => ok(url, SIGN_IN, { e: member.email, p: PASSWORD }),
      () => ok(url, CHANGE, { c: PASSWORD, n: "thief-chosen-password" }, { cookie: member.cookie }),
    ]);
    expect(reset).toEqual({ resetPassword: { __typename: "Done" } });
    expect(signedIn).toEqual({ signIn: { __typename: "ValidationError", problems: [{ path: ["password"], message: "Email or password is wrong" }] } });
    expect((changed as { changePassword: unknown }).changePassword).toMatchObject({ __typename: "ValidationError", problems: [{ path: ["currentPassword"], message: "Wrong password" }] });
    const open = await query(stack.databaseUrl, `SELECT count(*)::int AS n FROM "AccessToken" t JOIN "User" u ON u.id = t."userId" WHERE u.email = $1 AND t.kind = 'browser' AND t."revokedAt" IS NULL`, [member.email]);
    expect(open).toEqual([{ n: 0 }]);
    await signIn(url, member.email, "owner-chosen-password");
  });

  it("signing out everywhere ends every browser session of the account; tokens stay", async () => {
    const member = await newMember("EMPLOYEE");
    const other = await signIn(url, member.email, PASSWORD);
    const res = await gql(url, `mutation { signOutEverywhere { __typename } }`, {}, { cookie: member.cookie });
    expect(res.body.data.signOutEverywhere.__typename).toBe("Done");
    expect(res.headers.get("set-cookie")).toMatch(/^session=; Max-Age=0/);
    expect((await gql(url, ME, {}, { cookie: other })).status).toBe(401);
    expect((await gql(url, ME, {}, { cookie: member.cookie })).status).toBe(401);
    expect((await gql(url, ME, {}, { token: member.token })).status).toBe(200);
  });
});

describe("expiry", () => {
  it("an expired token is refused on the next request and its open socket and SSE stream close at expiry", async () => {
    const expiresAt = new Date(Date.now() + 4000);
    const created = await ok(url, `mutation($at: DateTime) { createPersonalAccessToken(input: { name: "short", expiresAt: $at }) { ... on CreatedToken { secret } } }`, { at: expiresAt.toISOString() }, { token: owner });
    const secret = created.createPersonalAccessToken.secret;
    const socket = await openSocket(secret);
    const stream = await openStream(secret);
    expect((await gql(url, ME, {}, { token: secret })).status).toBe(200);
    const code = await within(socket.closed, expiresAt.getTime() - Date.now() + 1000);
    expect(code).toBe(4401);
    expect(await within(stream.ended, 500)).toBe("ended");
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
    expect((await gql(url, ME, {}, { token: secret })).status).toBe(401);
  });
});

describe("cookies without TRUST_PROXY", () => {
  it("ignore X-Forwarded-Proto: no Secure flag over plain http", async () => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-proto": "https" },
      body: JSON.stringify({ query: `mutation { signIn(input: { email: "lisa@demo.test", password: "demo-password" }) { __typename } }` }),
    });
    expect(res.headers.get("set-cookie")).not.toMatch(/Secure/);
  });
});

describe.runIf(inject("redisUrl"))("on two API instances", () => {
  let two: Stack;
  let boss: string;
  let token: string;
  const address = email("pair");
  // Sign-ins hash passwords (slow by design), so the member is set up before the timed test.
  beforeAll(async () => {
    two = await startStack({ instances: 2 });
    boss = await tokenFor(two.urls[0], "owner@demo.test");
    await createMember(two.urls[0], { token: boss }, { email: address, role: "EMPLOYEE", password: PASSWORD });
    const cookie = await signIn(two.urls[1], address, PASSWORD);
    token = (await ok(two.urls[1], `mutation { createPersonalAccessToken(input: { name: "t" }) { ... on CreatedToken { secret } } }`, {}, { cookie })).createPersonalAccessToken.secret;
  });
  afterAll(() => two?.stop());

  it("a role change and a removal on one instance reach the other's next request and its sockets", async () => {
    const [a, b] = two.urls;
    // b caches the credential from its second request on (the first tells it which stamps to read).
    for (const _ of [1, 2]) expect((await ok(b, ME, {}, { token })).viewer.role).toBe("EMPLOYEE");
    const client = wsClient(b, { token });
    const closed = closeCode(client);
    await subscribe(client, BOARD).next();

    const members = (await ok(a, MEMBERS, {}, { token: boss })).viewer.workspace.members.nodes;
    const id = members.find((m: { user: { email: string } }) => m.user.email === address).id;
    await ok(a, `mutation($m: ID!) { changeMemberRole(input: { memberId: $m, role: STAFF }) { __typename } }`, { m: id }, { token: boss });
    expect((await ok(b, ME, {}, { token })).viewer.role).toBe("STAFF");
    expect(await within(closed, 1000)).toBe(4403);

    await ok(a, `mutation($m: ID!) { removeMember(input: { memberId: $m }) { __typename } }`, { m: id }, { token: boss });
    expect((await gql(b, ME, {}, { token })).status).toBe(401);
  });
});
