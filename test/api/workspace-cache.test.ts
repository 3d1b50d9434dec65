// A request's workspace comes with its credential, from the same SELECT and, in a single API
// process, from the same short cache. Every edit of the workspace must reach the very next request
// (HTTP or an open WebSocket's), and a second API process's next request too.
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { changedKeys } from "../../schema/identity/stamps.js";
import { ok, rowId, signIn, subscribe, wsClient } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";

const FIELDS = `id name timeZone weekStart timeFormat workingHours { weekday start end } staffPermissions settings`;
const WORKSPACE = `{ viewer { workspace { ${FIELDS} } } }`;

/** The demo owner's token in a new workspace of the test's own (each test edits its own). */
async function ownWorkspace(url: string) {
  const cookie = await signIn(url, "owner@demo.test");
  const created = await ok(url, `mutation { createWorkspace(input: { name: "Cached", timeZone: "Europe/Berlin" }) { ... on Workspace { id } } }`, {}, { cookie });
  await ok(url, `mutation($w: ID!) { switchWorkspace(input: { workspaceId: $w }) { ... on Workspace { id } } }`, { w: created.createWorkspace.id }, { cookie });
  const token = (await ok(url, `mutation { createPersonalAccessToken(input: { name: "test" }) { ... on CreatedToken { secret } } }`, {}, { cookie })).createPersonalAccessToken.secret as string;
  return { token };
}

/** Every path that writes the workspace's row, each with what the next read must show. */
const EDITS: { name: string; mutation: string; expect: (workspace: Record<string, any>) => void }[] = [
  {
    name: "updateWorkspace",
    mutation: `mutation { updateWorkspace(input: { name: "Renamed", timeZone: "Asia/Tokyo", weekStart: 7, timeFormat: H12,
      workingHours: [{ weekday: 2, start: "08:00", end: "12:00" }] }) { __typename } }`,
    expect: (w) =>
      expect(w).toMatchObject({ name: "Renamed", timeZone: "Asia/Tokyo", weekStart: 7, timeFormat: "H12", workingHours: [{ weekday: 2, start: "08:00", end: "12:00" }] }),
  },
  {
    name: "setStaffPermissions",
    mutation: `mutation { setStaffPermissions(input: { permissions: [SESSION_CREATE] }) { __typename } }`,
    expect: (w) => expect(w.staffPermissions).toEqual(["SESSION_CREATE"]),
  },
  {
    name: "updateBillingSettings",
    mutation: `mutation { updateBillingSettings(input: { rounding: UP, roundingMinutes: 15, taxRateBp: 1900 }) { __typename } }`,
    expect: (w) => expect(w.settings.billing).toMatchObject({ taxRateBp: 1900, rounding: { mode: "up", minutes: 15 } }),
  },
  {
    name: "updateWorkSettings",
    mutation: `mutation { updateWorkSettings(input: { inactivityMinutes: 42 }) { __typename } }`,
    expect: (w) => expect(w.settings.work).toMatchObject({ inactivityMinutes: 42 }),
  },
  {
    name: "updateAppointmentSettings",
    mutation: `mutation { updateAppointmentSettings(input: { slotMinutes: 20 }) { __typename } }`,
    expect: (w) => expect(w.settings.appointments).toMatchObject({ slotMinutes: 20 }),
  },
  {
    name: "updateAnalyticsSettings",
    mutation: `mutation { updateAnalyticsSettings(input: { inactivityMinutes: 33 }) { __typename } }`,
    expect: (w) => expect(w.settings.analytics).toMatchObject({ inactivityMinutes: 33 }),
  },
];

describe("one API process, credentials cached", () => {
  let stack: Stack;
  let url: string;
  beforeAll(async () => {
    stack = await startStack();
    // With Redis the suite's API checks its cache against Redis (below); this process beside it on
    // the same database keeps the single-process cache, which trusts its own evictions alone.
    url = stack.redisUrl ? (await stack.startApi({ REDIS_URL: "", SEED_DEMO: "false" })).url : stack.urls[0];
  });
  afterAll(() => stack?.stop());

  it.each(EDITS)("$name is seen by the very next request of a cached credential", async (edit) => {
    const auth = await ownWorkspace(url);
    const before = (await ok(url, WORKSPACE, {}, auth)).viewer.workspace; // cached now
    expect(before.name).toBe("Cached");
    await ok(url, edit.mutation, {}, auth);
    edit.expect((await ok(url, WORKSPACE, {}, auth)).viewer.workspace);
    const node = await ok(url, `query($id: ID!) { node(id: $id) { ... on Workspace { ${FIELDS} } } }`, { id: before.id }, auth);
    edit.expect(node.node);
  });

  it("an edit is seen by the next operation on an open WebSocket, which stays open", async () => {
    const auth = await ownWorkspace(url);
    const client = wsClient(url, { token: auth.token });
    let closed = false;
    client.on("closed", () => (closed = true));
    await subscribe(client, `subscription { liveBoard { sessions { id } } }`).next(); // holds the socket open
    const read = async () => (await subscribe(client, `{ viewer { workspace { name } } }`).next()).viewer.workspace.name;
    expect(await read()).toBe("Cached");
    await ok(url, `mutation { updateWorkspace(input: { name: "Seen on the socket" }) { __typename } }`, {}, auth);
    expect(await read()).toBe("Seen on the socket");
    expect(closed).toBe(false);
    await client.dispose();
  });
});

describe.runIf(inject("redisUrl"))("two API processes", () => {
  let two: Stack;
  let redis: Redis;
  beforeAll(async () => {
    two = await startStack({ instances: 2 });
    redis = new Redis(two.redisUrl!);
  });
  afterAll(async () => {
    redis?.disconnect();
    await two?.stop();
  });

  it.each(EDITS)("$name made on one is seen by the other's very next request", async (edit) => {
    const [a, b] = two.urls;
    const auth = await ownWorkspace(a);
    for (const _ of [1, 2]) expect((await ok(b, WORKSPACE, {}, auth)).viewer.workspace.name).toBe("Cached"); // b caches it
    const [stamp] = changedKeys({ workspaceId: rowId((await ok(b, `{ viewer { workspace { id } } }`, {}, auth)).viewer.workspace.id) });
    const before = await redis.get(stamp);
    await ok(a, edit.mutation, {}, auth);
    // Renewed before the mutation answered: pub/sub alone may reach b after its next request.
    expect(await redis.get(stamp)).not.toBe(before);
    edit.expect((await ok(b, WORKSPACE, {}, auth)).viewer.workspace);
  });

  it("a process serves its cached workspace until the workspace's stamp in Redis changes", async () => {
    const [, b] = two.urls;
    const auth = await ownWorkspace(b);
    const name = async () => (await ok(b, WORKSPACE, {}, auth)).viewer.workspace.name;
    for (const _ of [1, 2]) expect(await name()).toBe("Cached");
    const uuid = rowId((await ok(b, `{ viewer { workspace { id } } }`, {}, auth)).viewer.workspace.id);
    // A write no process announces: the cache is in use, so b keeps the name it read.
    const db = new pg.Client({ connectionString: two.databaseUrl! });
    await db.connect();
    await db.query(`UPDATE "Workspace" SET name = 'Behind its back' WHERE id = $1`, [uuid]);
    await db.end();
    expect(await name()).toBe("Cached");
    // Renewing the stamp, as an announced change does after its commit, makes b read it again.
    for (const key of changedKeys({ workspaceId: uuid })) await redis.set(key, "renewed by the test");
    expect(await name()).toBe("Behind its back");
  });
});
