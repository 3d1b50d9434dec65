// The lifecycle's pure pieces: password hashing parameters, identity rules, which viewers a change
// reaches, and how rate limits are configured.
import { randomBytes, scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Viewer } from "../../schema/common/context.js";
import type { IdentityChange } from "../../schema/common/pubsub.js";
import { Problems } from "../../schema/common/errors.js";
import { parseRateLimit } from "../../schema/identity/rate-limits.js";
import { affects } from "../../schema/identity/revocations.js";
import { changedKeys, stampKeys } from "../../schema/identity/stamps.js";
import { checkEmail, checkNewPassword, touchesOwnerRole } from "../../schema/identity/rules.js";
import { hashPassword, needsRehash, verifyAccountPassword, verifyPassword } from "../../schema/identity/secrets.js";

describe("password hashing", () => {
  it("uses OWASP's scrypt parameters, and hashes made with older ones still verify but ask to be redone", async () => {
    const current = await hashPassword("correct horse");
    expect(current.split("$").slice(0, 4)).toEqual(["scrypt", "131072", "8", "1"]);
    expect(needsRehash(current)).toBe(false);
    const salt = randomBytes(16);
    const old = ["scrypt", 16384, 8, 1, salt.toString("base64"), scryptSync("correct horse", salt, 32, { N: 16384, r: 8, p: 1 }).toString("base64")].join("$");
    expect(await verifyPassword("correct horse", old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
  });

  it("never accepts a password for an account that doesn't exist", async () => {
    expect(await verifyAccountPassword("anything", null)).toBe(false);
  });
});

describe("identity rules", () => {
  it("names the field of each bad email and password", () => {
    const problems = new Problems();
    checkEmail(problems, "email", "no-at-sign");
    checkNewPassword(problems, "password", "short");
    checkNewPassword(problems, "newPassword", "x".repeat(1001));
    checkEmail(problems, "ok", "a@b.co");
    checkNewPassword(problems, "ok", "long enough");
    expect(problems.list.map((p) => p.path.join("."))).toEqual(["email", "password", "newPassword"]);
  });

  it("treats any change from or to owner as an owner's business", () => {
    expect([touchesOwnerRole("owner", "manager"), touchesOwnerRole("staff", "owner"), touchesOwnerRole("owner", null)]).toEqual([true, true, true]);
    expect(touchesOwnerRole("employee", "manager")).toBe(false);
  });
});

describe("identity changes", () => {
  const viewer: Viewer = { userId: "u1", workspaceId: "w1", role: "staff", permissions: new Set(), tokenId: "t1", tokenKind: "personal", expiresAt: null };
  it("reach the named tokens, the member in that workspace, every session of a user, or a whole workspace", () => {
    expect(affects({ tokenIds: ["t1"] }, viewer)).toBe(true);
    expect(affects({ tokenIds: ["t2"] }, viewer)).toBe(false);
    expect(affects({ userId: "u1", workspaceId: "w1" }, viewer)).toBe(true);
    expect(affects({ userId: "u1", workspaceId: "w2" }, viewer)).toBe(false);
    expect(affects({ userId: "u1" }, viewer)).toBe(true);
    expect(affects({ userId: "u2" }, viewer)).toBe(false);
    expect(affects({ workspaceId: "w1" }, viewer)).toBe(true);
    expect(affects({ workspaceId: "w2" }, viewer)).toBe(false);
  });

  it("renew in Redis exactly the stamps of the viewers they reach, so other processes' caches drop the same viewers", () => {
    const changes: IdentityChange[] = [
      { all: true },
      { tokenIds: ["t1"] },
      { tokenIds: ["t2", "t3"] },
      { userId: "u1", workspaceId: "w1", tokenIds: ["t3"] },
      { userId: "u1", workspaceId: "w2", tokenIds: ["t1"] },
      { userId: "u1", workspaceId: "w2" },
      { userId: "u1" },
      { userId: "u2" },
      { workspaceId: "w1", workspaceEdited: true },
      { workspaceId: "w2" },
    ];
    const viewers = [viewer, { ...viewer, workspaceId: "w2" }, { ...viewer, tokenId: "t2", userId: "u2" }, { ...viewer, tokenId: "t3" }];
    for (const change of changes) {
      for (const v of viewers) {
        const renewed = changedKeys(change).some((key) => stampKeys(v).includes(key));
        expect({ change, viewer: v.tokenId + v.userId + v.workspaceId, renewed }).toEqual({ change, viewer: v.tokenId + v.userId + v.workspaceId, renewed: affects(change, v) });
      }
    }
  });
});

describe("rate limit settings", () => {
  it("read points/seconds, fall back when unset, and refuse anything else", () => {
    expect(parseRateLimit("10/900", { points: 1, seconds: 1 })).toEqual({ points: 10, seconds: 900 });
    expect(parseRateLimit(undefined, { points: 1, seconds: 2 })).toEqual({ points: 1, seconds: 2 });
    expect(() => parseRateLimit("10 per minute", { points: 1, seconds: 1 })).toThrow(/points\/seconds/);
    expect(() => parseRateLimit("0/60", { points: 1, seconds: 1 })).toThrow();
  });
});
