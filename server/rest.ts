// What every plain endpoint does the same way: the method check, the caller (through the policy),
// the JSON body within its limit, and expected failures (AppError) answered with their HTTP status.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Viewer } from "../schema/common/context.js";
import { AppError, ForbiddenError, QuotaExceededError } from "../schema/common/errors.js";
import { can, type Permission } from "../schema/common/policy.js";
import { RateLimitedError } from "../schema/identity/rate-limits.js";
import { type Authenticator, credentialsFrom, viewerOfRequest } from "./auth.js";
import type { Config } from "../platform/config.js";
import { json, type Route } from "./http.js";

/** A plain endpoint: its path prefix, and a larger body limit than the API's where it takes files. */
export interface PlainRoute {
  path: string;
  handle: Route;
  maxBodyBytes?: number;
}

const STATUS: Record<string, number> = { VALIDATION: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, PAYLOAD_TOO_LARGE: 413, QUOTA_EXCEEDED: 413 };

/** Not signed in: a 401, whatever the endpoint. */
export class UnauthenticatedError extends AppError {
  constructor(message = "Sign in or send a token") {
    super("UNAUTHENTICATED", message);
  }
}

/** The request itself is unusable (malformed JSON, a missing parameter): a 400 with this message. */
export class BadRequestError extends AppError {
  constructor(message: string) {
    super("VALIDATION", message);
  }
}

/**
 * The endpoint's handler with expected failures answered: `{error, code}` as JSON, or the message as
 * plain text for endpoints whose success is a download rather than JSON.
 */
export function endpoint(handle: Route, errorsAs: "json" | "text" = "json"): Route {
  return async (req, res) => {
    try {
      await handle(req, res);
    } catch (error) {
      // Rate limits and outages are answered for every route alike, with Retry-After, by the HTTP server.
      if (!(error instanceof AppError) || error instanceof RateLimitedError || res.headersSent) throw error;
      const status = STATUS[error.code] ?? 400;
      if (errorsAs === "text") return void res.writeHead(status, { "content-type": "text/plain" }).end(error.message);
      const limit = error instanceof QuotaExceededError ? { limit: error.limit } : {};
      json(res, status, { error: error.message, code: error.code, ...limit });
    }
  };
}

/** Answers 405 unless the request uses the method; true when it does. */
export function methodIs(req: IncomingMessage, res: ServerResponse, method: string, hint: string): boolean {
  if (req.method === method) return true;
  json(res, 405, { error: hint });
  return false;
}

/** The caller by bearer token or same-origin cookie. */
export async function signedIn(req: IncomingMessage, auth: Authenticator, config: Config): Promise<Viewer> {
  const viewer = await viewerOfRequest(req, auth, config.allowedOrigins);
  if (!viewer) throw new UnauthenticatedError();
  return viewer;
}

/** The caller by bearer token only: what devices send, never a browser's cookie. */
export async function bearer(req: IncomingMessage, auth: Authenticator, hint: string): Promise<Viewer> {
  const credentials = credentialsFrom(req.headers.authorization, null);
  const viewer = credentials ? await auth.viewerFor(credentials.secret) : null;
  if (!viewer) throw new UnauthenticatedError(hint);
  return viewer;
}

/** Refuses with this message unless the policy grants the permission. */
export function demand(viewer: Viewer, permission: Permission, message: string) {
  if (!can(viewer, permission)) throw new ForbiddenError(message);
}

/** The raw body; over the limit it stops reading (the length header was checked before, this guards the rest). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new AppError("PAYLOAD_TOO_LARGE", `Request body over the limit of ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The body parsed as JSON; malformed JSON is the client's mistake, a 400. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const text = (await readBody(req, limit)).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError("Malformed JSON");
  }
}
