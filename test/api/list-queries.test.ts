// A list costs a fixed number of queries whatever its length: fields under each item (a client's
// projects, a project's client) are gathered across the items, not read once per item.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, signIn } from "../support/client.js";
import { settledScans } from "../support/database.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let url: string;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
});
afterAll(() => stack?.stop());

const LIST = `query($n: Int!) { clients(first: $n) { nodes { name projects { name client { name } } } } }`;

describe("list fields", () => {
  it("read a client's projects and a project's client with as many queries for 50 clients as for 1", async () => {
    const cookie = await signIn(url, "owner@demo.test");
    const created = await ok(url, `mutation { createWorkspace(input: { name: "Lists" }) { ... on Workspace { id } } }`, {}, { cookie });
    await ok(url, `mutation($w: ID!) { switchWorkspace(input: { workspaceId: $w }) { ... on Workspace { id } } }`, { w: created.createWorkspace.id }, { cookie });
    const auth = { cookie };
    const names = Array.from({ length: 50 }, (_, i) => `Client ${String(i).padStart(2, "0")}`);
    for (const name of names) {
      const client = (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: name }, auth)).createClient.id;
      for (const project of ["B", "A"])
        await ok(url, `mutation($c: ID!, $n: String!) { createProject(input: { clientId: $c, name: $n, hourlyRateCents: 100 }) { ... on Project { id } } }`, { c: client, n: `${name} ${project}` }, auth);
    }
    const list = async (n: number) => (await ok(url, LIST, { n }, auth)).clients.nodes;
    // Each client's own projects, in name order, each pointing back at its client.
    const all = await list(50);
    expect(all.map((c: { name: string }) => c.name)).toEqual(names);
    for (const c of all) expect(c.projects).toEqual([{ name: `${c.name} A`, client: { name: c.name } }, { name: `${c.name} B`, client: { name: c.name } }]);

    if (!stack.databaseUrl) return; // the counts need PostgreSQL's statistics
    const tables = ["Client", "Project"];
    const before = await settledScans(stack.databaseUrl, tables);
    await list(1);
    const afterOne = await settledScans(stack.databaseUrl, tables);
    await list(50);
    const afterFifty = await settledScans(stack.databaseUrl, tables);
    for (const table of tables) expect({ table, scans: afterFifty[table] - afterOne[table] }).toEqual({ table, scans: afterOne[table] - before[table] });
  }, 180_000);
});
