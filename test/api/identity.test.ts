import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { gql, ok, signIn, tokenFor } from "../support/client.js";
import { createMember } from "../support/mail.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let url: string;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
});
afterAll(() => stack?.stop());

const VIEWER = `{ viewer { user { email } role workspace { id name timeZone } permissions } }`;

describe("health", () => {
  it("answers once ready", async () => {
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, database: "up", redis: inject("redisUrl") ? "up" : "not used" });
  });
});

describe("sign-in", () => {
  it("sets an httpOnly cookie that authenticates the browser", async () => {
    const res = await gql(url, `mutation { signIn(input: { email: "OWNER@demo.test", password: "demo-password" }) { __typename } }`);
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^session=sw_/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const data = await ok(url, VIEWER, {}, { cookie: cookie.split(";")[0] });
    expect(data.viewer.user.email).toBe("owner@demo.test");
    expect(data.viewer.role).toBe("OWNER");
    expect(data.viewer.workspace.timeZone).toBe("Europe/Berlin");
  });

  it("rejects a wrong password with a typed error and no cookie", async () => {
    const res = await gql(url, `mutation { signIn(input: { email: "owner@demo.test", password: "nope" }) { __typename ... on ValidationError { code problems { path message } } } }`);
    expect(res.body.data.signIn).toEqual({ __typename: "ValidationError", code: "VALIDATION", problems: [{ path: ["password"], message: "Email or password is wrong" }] });
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("refuses the cookie from a foreign origin", async () => {
    const cookie = await signIn(url, "owner@demo.test");
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, origin: "https://evil.example" },
      body: JSON.stringify({ query: VIEWER }),
    });
    expect(res.status).toBe(401);
  });

  it("signs out: the cookie stops working", async () => {
    const cookie = await signIn(url, "tom@demo.test");
    await ok(url, `mutation { signOut { __typename } }`, {}, { cookie });
    const res = await gql(url, VIEWER, {}, { cookie });
    expect(res.status).toBe(401);
    expect(res.body.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });

  it("is anonymous without credentials", async () => {
    expect((await ok(url, `{ viewer { role } }`)).viewer).toBeNull();
    const res = await gql(url, `{ liveBoard { serverTime } }`);
    expect(res.body.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });
});

describe("tokens", () => {
  it("lists, and revokes so the token fails at once with 401", async () => {
    const token = await tokenFor(url, "tom@demo.test");
    const list = await ok(url, `{ viewer { tokens { nodes { id name kind } } } }`, {}, { token });
    const mine = list.viewer.tokens.nodes.find((t: { name: string }) => t.name === "test");
    expect(mine.kind).toBe("PERSONAL");
    const used = await ok(url, `query($id: ID!) { node(id: $id) { ... on AccessToken { lastUsedAt } } }`, { id: mine.id }, { token });
    expect(Date.now() - Date.parse(used.node.lastUsedAt)).toBeLessThan(60_000);
    await ok(url, `mutation($id: ID!) { revokeToken(input: { id: $id }) { __typename } }`, { id: mine.id }, { token: await tokenFor(url, "tom@demo.test") });
    const res = await gql(url, VIEWER, {}, { token });
    expect(res.status).toBe(401);
    expect(res.body.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });

  it("answers 401 for an unknown token", async () => {
    const res = await gql(url, VIEWER, {}, { token: "sp_pat_nonsense" });
    expect(res.status).toBe(401);
  });

  it("stores only a hash of the secret", async () => {
    const token = await tokenFor(url, "emma@demo.test");
    if (!stack.databaseUrl) return; // the embedded database is owned by the server process
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM "AccessToken" WHERE "secretHash" = $1`, [token]);
    await client.end();
    expect(rows[0].n).toBe(0);
  });
});

describe("permissions", () => {
  it("an API key is limited to its scopes", async () => {
    const owner = await tokenFor(url, "owner@demo.test");
    const created = await ok(url, `mutation { createApiKey(input: { name: "board", scopes: [SESSION_READ] }) { ... on CreatedToken { secret token { scopes } } } }`, {}, { token: owner });
    const key = created.createApiKey.secret;
    expect(key).toMatch(/^sp_key_/);
    expect((await ok(url, `{ liveBoard { sessions { id } } }`, {}, { token: key })).liveBoard.sessions).toEqual([]);
    const res = await gql(url, `mutation { createClient(input: { name: "X" }) { __typename ... on Error { code } } }`, {}, { token: key });
    expect(res.body.data.createClient).toEqual({ __typename: "ForbiddenError", code: "FORBIDDEN" });
  });

  it("an employee can't create API keys or add members, and gets FORBIDDEN", async () => {
    const token = await tokenFor(url, "tom@demo.test");
    const res = await gql(url, `mutation { createApiKey(input: { name: "x", scopes: [SESSION_READ] }) { __typename ... on Error { code } } }`, {}, { token });
    expect(res.body.data.createApiKey.code).toBe("FORBIDDEN");
  });

  it("an API key can't be given a scope its creator lacks", async () => {
    const owner = await tokenFor(url, "owner@demo.test");
    await createMember(url, { token: owner }, { email: "mgr2@demo.test", role: "MANAGER" });
    const manager = await tokenFor(url, "lisa@demo.test");
    const res = await gql(url, `mutation { createApiKey(input: { name: "x", scopes: [SESSION_READ] }) { __typename ... on Error { code } } }`, {}, { token: manager });
    expect(res.body.data.createApiKey.code).toBe("FORBIDDEN"); // managers lack tokens.manage
  });

  it("failed background jobs are visible to managers, not to employees", async () => {
    const manager = await tokenFor(url, "lisa@demo.test");
    expect((await ok(url, `{ failedJobs { name error } }`, {}, { token: manager })).failedJobs).toEqual([]);
    const employee = await tokenFor(url, "tom@demo.test");
    const res = await gql(url, `{ failedJobs { name } }`, {}, { token: employee });
    expect(res.body.errors![0].extensions!.code).toBe("FORBIDDEN");
  });

  it("a workspace can grant staff a custom set", async () => {
    const owner = await tokenFor(url, "owner@demo.test");
    const staff = await tokenFor(url, "sam@demo.test");
    expect((await ok(url, VIEWER, {}, { token: staff })).viewer.permissions).toContain("SESSION_READ");
    await ok(url, `mutation { setStaffPermissions(input: { permissions: [SESSION_CREATE] }) { __typename } }`, {}, { token: owner });
    const fresh = await tokenFor(url, "sam@demo.test");
    expect((await ok(url, VIEWER, {}, { token: fresh })).viewer.permissions).toEqual(["SESSION_CREATE"]);
    const res = await gql(url, `{ liveBoard { serverTime } }`, {}, { token: fresh });
    expect(res.body.errors![0].extensions!.code).toBe("FORBIDDEN");
    expect(res.body.data).toBeNull();
    await ok(url, `mutation { setStaffPermissions(input: { permissions: null }) { __typename } }`, {}, { token: owner });
  });
});

describe("workspace isolation", () => {
  it("nothing of another workspace is reachable by ID", async () => {
    const cookie = await signIn(url, "emma@demo.test");
    const demo = (await ok(url, VIEWER, {}, { cookie })).viewer.workspace.id;
    const created = await ok(url, `mutation { createWorkspace(input: { name: "Emma's own", timeZone: "America/New_York" }) { ... on Workspace { id } } }`, {}, { cookie });
    const own = created.createWorkspace.id;
    await ok(url, `mutation($id: ID!) { switchWorkspace(input: { workspaceId: $id }) { __typename } }`, { id: own }, { cookie });
    const client = await ok(url, `mutation { createClient(input: { name: "Private client" }) { ... on Client { id } } }`, {}, { cookie });
    const clientId = client.createClient.id;
    expect((await ok(url, VIEWER, {}, { cookie })).viewer.workspace.id).toBe(own);

    const owner = await tokenFor(url, "owner@demo.test");
    expect((await ok(url, `query($id: ID!) { node(id: $id) { id } }`, { id: clientId }, { token: owner })).node).toBeNull();
    expect((await ok(url, `query($id: ID!) { node(id: $id) { id } }`, { id: own }, { token: owner })).node).toBeNull();
    const res = await gql(
      url,
      `mutation($c: ID!) { createProject(input: { clientId: $c, name: "Steal", hourlyRateCents: 100 }) { __typename ... on Error { code } } }`,
      { c: clientId },
      { token: owner },
    );
    expect(res.body.data.createProject).toEqual({ __typename: "NotFoundError", code: "NOT_FOUND" });
    expect((await ok(url, `{ clients { nodes { name } } }`, {}, { token: owner })).clients.nodes.map((c: { name: string }) => c.name)).not.toContain("Private client");
    // Emma still sees both of her workspaces in the switcher.
    const mine = await ok(url, `{ viewer { workspaces { id } } }`, {}, { cookie });
    expect(mine.viewer.workspaces.map((w: { id: string }) => w.id).sort()).toEqual([demo, own].sort());
  });
});
