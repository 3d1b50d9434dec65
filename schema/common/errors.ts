// Expected failures, returned as typed GraphQL results with stable codes (see types.ts).
// Codes are stable API: UNAUTHENTICATED, FORBIDDEN, VALIDATION, NOT_FOUND, CONFLICT.
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Over a per-member upload quota: answered 413 with the limit, so a client can tell the user what it is. */
export class QuotaExceededError extends AppError {
  constructor(
    message: string,
    readonly limit: { files: number; bytes: number },
  ) {
    super("QUOTA_EXCEEDED", message);
  }
}

export interface FieldProblem {
  path: string[];
  message: string;
}

export class ValidationError extends AppError {
  constructor(readonly problems: FieldProblem[]) {
    super("VALIDATION", problems.map((p) => `${p.path.join(".")}: ${p.message}`).join("; "));
  }
  static field(path: string, message: string) {
    return new ValidationError([{ path: path.split("."), message }]);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super("NOT_FOUND", `${what} not found`);
  }
}

export class ConflictError extends AppError {
  /** conflictingIds: global IDs of what stands in the way, so a client can show them. */
  constructor(
    message: string,
    readonly conflictingIds: string[] = [],
  ) {
    super("CONFLICT", message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = "You do not have permission to do this") {
    super("FORBIDDEN", message);
  }
}

/** Collects field problems so a mutation can report all of them at once. */
export class Problems {
  readonly list: FieldProblem[] = [];
  add(path: string, message: string) {
    this.list.push({ path: path.split("."), message });
  }
  throwIfAny() {
    if (this.list.length) throw new ValidationError(this.list);
  }
}
