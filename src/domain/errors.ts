/** Exit codes of the product contract (SPEC section 8). */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  denied: 5,
  store: 6,
  /** The command worked and found something to act on (`key report --fail-on`). */
  findings: 7,
  cancelled: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the user can act on: it carries its exit code and a hint, never a stack trace. */
export class UserError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  readonly code: string;
  constructor(code: string, exitCode: number, message: string, hint?: string) {
    super(message);
    this.name = 'UserError';
    this.code = code;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super('USAGE', ExitCode.usage, message, hint);
  }
}
export class NotFoundError extends UserError {
  constructor(message: string, hint?: string) {
    super('NOT_FOUND', ExitCode.notFound, message, hint);
  }
}
export class ConflictError extends UserError {
  constructor(message: string, hint?: string) {
    super('CONFLICT', ExitCode.conflict, message, hint);
  }
}
export class DeniedError extends UserError {
  constructor(message: string, hint?: string) {
    super('DENIED', ExitCode.denied, message, hint);
  }
}
export class StoreError extends UserError {
  constructor(message: string, hint?: string) {
    super('STORE', ExitCode.store, message, hint);
  }
}
export class CancelledError extends UserError {
  constructor(message = 'cancelled', hint?: string) {
    super('CANCELLED', ExitCode.cancelled, message, hint);
  }
}
