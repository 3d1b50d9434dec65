// Sessions in progress, live: the count per app and the latest sessions, pushed to whoever reads
// analytics (wall displays and the User Sessions page) as visits start, grow and are finalised.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, ok, subscribe, tokenFor, wsClient } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let ws: TestWorkspace;
let owner: string;
const keys: Record<string, string> = {};
beforeAll(async () => {
  stack = await startStack({ worker: true });
  url = stack.urls[0];
  ws = await newWorkspace(url);
  owner = ws.owner.token;
  for (const name of ["Web", "Mobile"]) {
    const created = await ok(url, `mutation($n: String!) { createAnalyticsApp(input: { name: $n }) { ... on AnalyticsAppWithKey { writeKey } } }`, { n: name }, { token: owner });
    keys[name] = created.createAnalyticsApp.writeKey;
  }
});
afterAll(() => stack?.stop());

const post = async (app: string, events: unknown[]) => {
  const res = await fetch(`${url}/api/events`, { method: "POST", headers: { authorization: `Bearer ${keys[app]}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  expect(res.status).toBe(202);
};
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const ev = (eventId: string, userId: string, minutesAgo: number, extra: object = {}) => ({ eventId, userId, name: "page_view", timestamp: ago(minutesAgo), ...extra });
const BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

const FIELDS = `total apps { app { name } count } latest { userId inProgress } serverTime`;
interface InProgress {
  total: number;
  apps: { app: { name: string }; count: number }[];
  latest: { userId: string; inProgress: boolean }[];
}
const counts = (r: InProgress) => Object.fromEntries(r.apps.map((a) => [a.app.name, a.count]));
const read = async (token: string, excludeBots = true): Promise<InProgress> =>
  (await ok(url, `query($b: Boolean) { userSessionsInProgress(excludeBots: $b) { ${FIELDS} } }`, { b: excludeBots }, { token })).userSessionsInProgress;

describe("user sessions in progress", () => {
  it("counts them per app and lists the latest, live, for whoever reads analytics; bots only when asked; finalised ones not at all", async () => {
    expect(await read(owner)).toMatchObject({ total: 0, apps: [{ app: { name: "Mobile" }, count: 0 }, { app: { name: "Web" }, count: 0 }], latest: [] });
    // A visit two hours ago is past the inactivity window: the worker finalises it, and it leaves the count.
    await post("Mobile", [ev("o1", "old-visit", 120)]);
    const old = async () => (await ok(url, `{ userSessions(filter: { userIdSearch: "old-visit" }) { edges { node { inProgress } } } }`, {}, { token: owner })).userSessions.edges;
    await until(old, (edges) => edges.length === 1 && !edges[0].node.inProgress, 15_000);
    expect(await read(owner)).toMatchObject({ total: 0, latest: [] });

    // A wall display (the manager's) and the owner's page, both subscribed.
    const clients = [wsClient(url, { token: await tokenFor(url, ws.manager.email) }), wsClient(url, { token: owner })];
    const subs = clients.map((c) => subscribe<{ userSessionsInProgressChanged: InProgress }>(c, `subscription { userSessionsInProgressChanged { ${FIELDS} } }`));
    try {
      // Subscribed once a warm-up visit comes through to both.
      for (let i = 0; ; i++) {
        await post("Web", [ev(`warm-${i}`, "warm", 0)]);
        const seen = await Promise.all(subs.map((s) => s.next((v) => v.userSessionsInProgressChanged.total >= 1, 500).catch(() => null)));
        if (seen.every(Boolean)) break;
      }
      await post("Web", [ev("w1", "ann", 3), ev("w2", "ann", 1)]);
      await post("Mobile", [ev("m1", "bob", 2)]);
      await post("Web", [ev("b1", "crawler", 1, { userAgent: BOT })]);
      for (const sub of subs) {
        const now = await sub.next((v) => {
          const r = v.userSessionsInProgressChanged;
          return r.latest.some((s) => s.userId === "bob") && r.latest.some((s) => s.userId === "ann");
        }, 15_000);
        const r = now.userSessionsInProgressChanged;
        expect(counts(r)).toEqual({ Web: 2, Mobile: 1 });
        expect(r.total).toBe(3);
        expect(r.latest.map((s) => s.userId).sort()).toEqual(["ann", "bob", "warm"]);
        expect(r.latest.every((s) => s.inProgress)).toBe(true);
      }
      const withBots = await read(owner, false);
      expect(counts(withBots)).toEqual({ Web: 3, Mobile: 1 });
      expect(withBots.latest.map((s) => s.userId)).toContain("crawler");
    } finally {
      for (const s of subs) s.dispose();
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });

  it("is refused to members without analytics access, over HTTP and WebSocket", async () => {
    const employee = ws.employee.token;
    const denied = await gql(url, `{ userSessionsInProgress { total } }`, {}, { token: employee });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const client = wsClient(url, { token: employee });
    const sub = subscribe(client, `subscription { userSessionsInProgressChanged { total } }`);
    await new Promise((r) => setTimeout(r, 500));
    expect(JSON.stringify(sub.errors)).toContain("permission");
    await client.dispose();
  });
});
