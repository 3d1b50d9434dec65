// The identity domain's rules that need no database: what a valid email, password and owner set are.
import type { Problems } from "../common/errors.js";
import type { Role } from "../common/policy.js";

export const MIN_PASSWORD = 8;
/** scrypt hashes any length, but a megabyte "password" is a way to burn CPU, not a password. */
export const MAX_PASSWORD = 1000;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function checkEmail(problems: Problems, path: string, email: string) {
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email) || email.length > 254) problems.add(path, "Not an email address");
}

export function checkNewPassword(problems: Problems, path: string, password: string) {
  if (password.length < MIN_PASSWORD) problems.add(path, `At least ${MIN_PASSWORD} characters`);
  else if (password.length > MAX_PASSWORD) problems.add(path, `At most ${MAX_PASSWORD} characters`);
}

/** Only an owner hands out, takes away or changes the owner role. */
export function touchesOwnerRole(from: Role | null, to: Role | null): boolean {
  return from === "owner" || to === "owner";
}
