import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
// OWASP's scrypt recommendation (N=2^17, r=8, p=1) needs 128 * N * r = 128 MiB per hash; Node
// refuses anything at or over maxmem, so it leaves room above that. Stored hashes carry their own
// parameters, so older, cheaper ones still verify (and are upgraded on the next sign-in).
// The test suites' servers make and check hundreds of passwords at about 0.4 s of CPU each, so they
// ask for N=2^10 (as Rails' test environment asks bcrypt for its minimum cost); the format and the code
// path stay the same, and a hash made so is upgraded by the next sign-in anywhere else.
const SCRYPT = { N: process.env.TEST_CHEAP_PASSWORD_HASHES === "1" ? 2 ** 10 : 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 };

/** Password hash in a self-describing format: scrypt$N$r$p$salt$hash (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, SCRYPT);
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64"), hash.toString("base64")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt") return false;
  const expected = Buffer.from(hash, "base64");
  const actual = await scryptAsync(password, Buffer.from(salt, "base64"), expected.length, {
    N: Number(N),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(actual, expected);
}

/** Whether a stored hash was made with weaker parameters than today's. */
export function needsRehash(stored: string): boolean {
  const [scheme, N, r, p] = stored.split("$");
  return scheme !== "scrypt" || Number(N) < SCRYPT.N || Number(r) < SCRYPT.r || Number(p) < SCRYPT.p;
}

let dummyHash: Promise<string> | null = null;

/**
 * Checks a password against an account's hash, or against a throwaway hash when there is no such
 * account, so an unknown email takes as long to refuse as a wrong password.
 */
export async function verifyAccountPassword(password: string, stored: string | null): Promise<boolean> {
  dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
  const valid = await verifyPassword(password, stored ?? (await dummyHash));
  return stored !== null && valid;
}

const PREFIX = { browser: "sw_", personal: "sp_pat_", api_key: "sp_key_", invitation: "sw_inv_", reset: "sw_reset_" } as const;

/** A new token secret; the prefix tells a leaked secret's kind at a glance (and to secret scanners). */
export function newSecret(kind: keyof typeof PREFIX): string {
  return PREFIX[kind] + randomBytes(24).toString("base64url");
}

/** Secrets are high-entropy, so a fast hash is enough and keeps per-request lookups cheap. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
