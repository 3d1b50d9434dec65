// The authorization policy decides alone; these pin its decisions without a database.
import { describe, expect, it } from "vitest";
import type { Viewer } from "../../schema/common/context.js";
import { actsAsPerson, liveAudience, liveVisible, mayActFor, permissionsFor, personInScope, rowsSql, rowsWhere, rowVisible, viewerOf, type CredentialFacts } from "../../schema/common/policy.js";

const WS = "11111111-1111-1111-1111-111111111111";
const OTHER_WS = "22222222-2222-2222-2222-222222222222";
const ME = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
const YOU = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb";

function viewer(facts: Partial<CredentialFacts>): Viewer {
  return viewerOf({ tokenId: "t", kind: "browser", userId: ME, workspaceId: WS, scopes: [], role: "employee", customStaff: null, ...facts });
}

describe("what a credential may do", () => {
  it("gives each domain its own permissions; employees track time but don't book client sessions", () => {
    const employee = permissionsFor("employee", null);
    expect(employee.has("work.record")).toBe(true);
    expect(employee.has("agent.track")).toBe(true);
    expect(employee.has("session.read")).toBe(true);
    expect(employee.has("session.create")).toBe(false);
    expect(employee.has("team.read")).toBe(false);
    expect(permissionsFor("manager", null).has("work.manage")).toBe(true);
    expect(permissionsFor("manager", null).has("members.manage")).toBe(false);
  });

  it("a custom staff set replaces the default and ignores unknown strings and identity permissions", () => {
    expect([...permissionsFor("staff", ["session.read", "bogus", "members.manage", "workspace.manage"])]).toEqual(["session.read"]);
    expect([...permissionsFor("manager", ["session.read"])]).toContain("work.manage");
  });

  it("a browser session and a personal token are the member's current role", () => {
    expect(viewer({ kind: "personal", role: "owner" }).permissions.has("tokens.manage")).toBe(true);
    expect(viewer({ kind: "personal", role: "staff", customStaff: ["session.read"] }).permissions).toEqual(new Set(["session.read"]));
  });

  it("an API key is its scopes within its creator's permissions, never identity management", () => {
    const key = viewer({ kind: "api_key", role: "owner", scopes: ["session.read", "tokens.manage", "members.manage", "workspace.manage", "bogus"] });
    expect([...key.permissions]).toEqual(["session.read"]);
    expect([...viewer({ kind: "api_key", role: "employee", scopes: ["session.read", "billing.manage"] }).permissions]).toEqual(["session.read"]);
    expect(actsAsPerson(key)).toBe(false);
    expect(actsAsPerson(viewer({ kind: "personal" }))).toBe(true);
    expect(actsAsPerson(null)).toBe(false);
  });
});

describe("which rows a viewer sees", () => {
  const employee = viewer({ role: "employee" });
  const manager = viewer({ role: "manager" });

  it("as a Prisma where: everyone's with team.read, else your own, always in the credential's workspace", () => {
    expect(rowsWhere(manager, "workSession")).toEqual({ workspaceId: WS });
    expect(rowsWhere(employee, "workSession")).toEqual({ workspaceId: WS, userId: ME });
    expect(rowsWhere(employee, "appointment")).toEqual({ workspaceId: WS, staffId: ME });
    expect(rowsWhere(employee, "evaluation")).toEqual({ workspaceId: WS, appointment: { staffId: ME } });
  });

  it("a kind the viewer may not read matches nothing", () => {
    const key = viewer({ kind: "api_key", role: "owner", scopes: ["analytics.read"] });
    expect(rowsWhere(key, "timeEntry")).toMatchObject({ id: { in: [] } });
    expect(rowsWhere(null, "appointment")).toMatchObject({ id: { in: [] } });
    expect(rowsSql(key, "workSession", "s").sql).toBe("false");
    expect(rowVisible(key, "agentSession", { workspaceId: WS, ownerId: ME })).toBe(false);
  });

  it("as an SQL fragment, with values as parameters", () => {
    const sql = rowsSql(employee, "workSession", "s");
    expect(sql.sql).toBe(`("s"."workspaceId" = ?::uuid AND "s"."userId" = ?::uuid)`);
    expect(sql.values).toEqual([WS, ME]);
    expect(rowsSql(manager, "appointment", "a").values).toEqual([WS]);
    expect(rowsSql(employee, "evaluation", "e").sql).toContain(`"e"."appointmentId" IN`);
    expect(() => rowsSql(employee, "workSession", `s"; drop`)).toThrow();
  });

  it("as a predicate", () => {
    expect(rowVisible(employee, "workSession", { workspaceId: WS, ownerId: ME })).toBe(true);
    expect(rowVisible(employee, "workSession", { workspaceId: WS, ownerId: YOU })).toBe(false);
    expect(rowVisible(manager, "workSession", { workspaceId: WS, ownerId: YOU })).toBe(true);
    expect(rowVisible(manager, "workSession", { workspaceId: OTHER_WS, ownerId: ME })).toBe(false);
  });

  it("viewers share a Live board audience exactly when they see the same rows of it", () => {
    const viewers = [
      viewer({ role: "manager" }),
      viewer({ role: "manager", userId: YOU }),
      viewer({ role: "owner", userId: YOU }),
      viewer({ role: "employee" }),
      viewer({ role: "employee", userId: YOU }),
      viewer({ role: "staff", customStaff: ["session.read"] }),
      viewer({ role: "staff", customStaff: ["session.read", "team.read"] }),
      viewer({ kind: "api_key", role: "owner", scopes: ["session.read"] }),
      viewer({ kind: "api_key", role: "owner", userId: YOU, scopes: ["session.read"] }),
      viewer({ kind: "api_key", role: "owner", scopes: ["work.read", "team.read"] }),
      viewer({ role: "manager", workspaceId: OTHER_WS }),
    ];
    const kinds = ["WORK", "AGENT", "TIMER", "APPOINTMENT", "USER"] as const;
    const rows = kinds.flatMap((kind) => [ME, YOU, null].flatMap((userId) => [WS, OTHER_WS].map((workspaceId) => ({ kind, userId, workspaceId }))));
    const sees = (v: Viewer) => rows.map((row) => liveVisible(v, row)).join();
    for (const a of viewers) for (const b of viewers) expect(liveAudience(a) === liveAudience(b)).toBe(sees(a) === sees(b));
    // Managers share one payload; employees each have their own.
    expect(liveAudience(viewers[0])).toBe(liveAudience(viewers[1]));
    expect(liveAudience(viewers[3])).not.toBe(liveAudience(viewers[4]));
  });

  it("whose data a request may be about", () => {
    expect(personInScope(manager, YOU)).toBe(YOU);
    expect(personInScope(manager, null)).toBeUndefined();
    expect(personInScope(employee, null)).toBe(ME);
    expect(() => personInScope(employee, YOU)).toThrow(/own/);
    expect(mayActFor(employee, ME, "work.record", "work.manage")).toBe(true);
    expect(mayActFor(employee, YOU, "work.record", "work.manage")).toBe(false);
    expect(mayActFor(manager, YOU, "work.record", "work.manage")).toBe(true);
  });
});
