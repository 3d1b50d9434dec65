// A workspace of the test's own, with one member per role: a test that lists or counts sees only
// what it created, never the demo workspace's contents (seeded relative to the day of first start).
import { randomUUID } from "node:crypto";
import { DEMO_PASSWORD } from "../../prisma/seed.js";
import { ok, signIn } from "./client.js";
import { createMember } from "./mail.js";

export interface TestMember {
  id: string;
  email: string;
  name: string;
  /** A personal access token acting in the test's workspace. */
  token: string;
}

export interface TestWorkspace {
  id: string;
  timeZone: string;
  owner: TestMember;
  manager: TestMember;
  staff: TestMember;
  employee: TestMember;
  employee2: TestMember;
}

const ROLES = [
  ["owner", "Owen Owner", "OWNER"],
  ["manager", "Lisa Manager", "MANAGER"],
  ["staff", "Sam Staff", "STAFF"],
  ["employee", "Tom Employee", "EMPLOYEE"],
  ["employee2", "Emma Employee", "EMPLOYEE"],
] as const;

const SIGN_IN = `mutation($e: String!, $p: String!, $w: ID) { signIn(input: { email: $e, password: $p, workspaceId: $w }) { __typename } }`;
const TOKEN = `mutation { createPersonalAccessToken(input: { name: "test" }) { ... on CreatedToken { secret } } }`;

/** Signs `email` in to `workspaceId` and returns a personal token acting there. */
export async function memberIn(url: string, workspaceId: string, email: string, name: string): Promise<TestMember> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: SIGN_IN, variables: { e: email, p: DEMO_PASSWORD, w: workspaceId } }),
  });
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0];
  const token = (await ok(url, TOKEN, {}, { cookie })).createPersonalAccessToken.secret as string;
  const id = (await ok(url, `{ viewer { user { id } } }`, {}, { token })).viewer.user.id as string;
  return { id, email, name, token };
}

/**
 * A new workspace in `timeZone` with a new person per role (password: the demo password). The demo
 * owner creates it and stays a member, but no test signs in as them.
 */
export async function newWorkspace(url: string, timeZone = "Europe/Berlin"): Promise<TestWorkspace> {
  const suffix = randomUUID().slice(0, 8);
  const demoOwner = await signIn(url, "owner@demo.test");
  const created = await ok(url, `mutation($n: String!, $z: String) { createWorkspace(input: { name: $n, timeZone: $z }) { ... on Workspace { id } } }`, { n: `Test ${suffix}`, z: timeZone }, { cookie: demoOwner });
  const id = created.createWorkspace.id as string;
  const creator = await memberIn(url, id, "owner@demo.test", "Olivia Owner");
  const members = await Promise.all(
    ROLES.map(async ([key, name, role]) => {
      const email = `${key}-${suffix}@test.example`;
      await createMember(url, { token: creator.token }, { email, role, name, password: DEMO_PASSWORD });
      return [key, await memberIn(url, id, email, name)] as const;
    }),
  );
  return { id, timeZone, ...Object.fromEntries(members) } as TestWorkspace;
}
