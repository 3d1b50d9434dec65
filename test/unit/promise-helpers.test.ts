// The promise helpers under graphql-yoga and envelop are patched at install (patches/, applied by
// `npm ci`'s postinstall): 2.0.2's fake promises, kept to the 1.x exports yoga's dependencies import.
// These check a fresh install got the patch, and that the behaviour every request relies on is kept.
import { createRequire } from "node:module";
import * as helpers from "@whatwg-node/promise-helpers";
import { mapMaybePromise as utilsMapMaybePromise } from "@graphql-tools/utils";
import { describe, expect, it } from "vitest";

const { fakePromise, fakeRejectPromise, handleMaybePromise, mapMaybePromise } = helpers;

describe("promise helpers, as installed", () => {
  it("are the backport: a fake promise's methods are shared, not made again per promise", () => {
    const a = fakePromise(1);
    const b = fakePromise(2);
    expect(Object.hasOwn(a, "then")).toBe(false);
    expect(a.then).toBe(b.then);
    expect(Object.prototype.toString.call(a)).toBe("[object Promise]");
  });

  it("are the same module for CommonJS importers (yoga's fetch server is CommonJS)", () => {
    const cjs = createRequire(import.meta.url)("@whatwg-node/promise-helpers") as typeof helpers;
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(helpers).sort());
    expect(Object.hasOwn(cjs.fakePromise(1), "then")).toBe(false);
  });

  it("keep mapMaybePromise, which @graphql-tools/utils re-exports to yoga", async () => {
    expect(utilsMapMaybePromise).toBe(mapMaybePromise);
    expect(mapMaybePromise(1, (n) => n + 1)).toBe(2);
    await expect(mapMaybePromise(Promise.resolve(1), (n) => n + 1)).resolves.toBe(2);
  });

  it("answer synchronously what is synchronous, and with a promise what is not", async () => {
    expect(handleMaybePromise(() => 1, (n) => n * 2)).toBe(2);
    const later = handleMaybePromise(() => Promise.resolve(1), (n) => n * 2);
    expect(later).toBeInstanceOf(Promise);
    await expect(later).resolves.toBe(2);
  });

  it("route a failing input to the error handler, and a failing answer past it", async () => {
    const boom = new Error("boom");
    expect(handleMaybePromise(() => { throw boom; }, () => "ok", (e) => e)).toBe(boom);
    await expect(handleMaybePromise(() => Promise.reject(boom), () => "ok", (e) => e)).resolves.toBe(boom);
    expect(() => handleMaybePromise(() => 1, () => { throw boom; }, () => "caught")).toThrow(boom);
  });

  it("run a finally callback once, after the answer, whether it succeeded or failed", async () => {
    const calls: string[] = [];
    expect(handleMaybePromise(() => 1, (n) => (calls.push("answer"), n), undefined, () => void calls.push("finally"))).toBe(1);
    expect(calls).toEqual(["answer", "finally"]);
    await expect(fakeRejectPromise(new Error("no")).finally(() => void calls.push("finally again"))).rejects.toThrow("no");
    expect(calls).toEqual(["answer", "finally", "finally again"]);
  });
});
