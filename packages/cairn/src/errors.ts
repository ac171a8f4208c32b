/**
 * Cairn's error model: one base class with a machine-readable `code`, typed
 * subclasses for the cases that steer control flow, and the `cause` always kept.
 * Errors are recognised by `name`/`code` (not `instanceof`) so they survive
 * process and package boundaries.
 */

export type ErrorCode =
  | "invalid_input"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "rate_limited"
  | "task_failed"
  | "runtime_unavailable"
  | "image_not_found"
  | "timeout"
  | "cancelled"
  | "config_invalid"
  | "internal";

export interface Issue {
  /** JSON path to the offending value, e.g. `tasks[2].depends_on[0].id`. */
  path: string;
  /** A plain-language reason. */
  message: string;
}

export class CairnError extends Error {
  override name = "CairnError";
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

/** Bad input: carries every problem found, each with its path and reason. */
export class ValidationError extends CairnError {
  override name = "ValidationError";
  readonly issues: Issue[];

  constructor(subject: string, issues: Issue[]) {
    super("invalid_input", `${subject} is invalid:\n${formatIssues(issues)}`, { details: { issues } });
    this.issues = issues;
  }
}

export class NotFoundError extends CairnError {
  override name = "NotFoundError";
  constructor(what: string, id: string, options?: { cause?: unknown }) {
    super("not_found", `${what} '${id}' was not found`, options);
  }
}

/**
 * A task attempt failed. `retryable` is data, not a subclass, so the engine's
 * retry decision is one property read (Temporal's `nonRetryable` idea).
 */
export class TaskFailure extends CairnError {
  override name = "TaskFailure";
  readonly retryable: boolean;
  readonly exitCode: number | undefined;
  /**
   * Outputs the handler sets even on failure (a tapis_job's STATUS and SLURM_JOB_ID): its
   * own values, masked like the message; never files the task wrote.
   */
  readonly outputs: Record<string, string> | undefined;

  constructor(message: string, options?: { retryable?: boolean; exitCode?: number; cause?: unknown; outputs?: Record<string, string> }) {
    super("task_failed", message, { cause: options?.cause });
    this.retryable = options?.retryable ?? true;
    this.exitCode = options?.exitCode;
    this.outputs = options?.outputs;
  }
}

/**
 * Too many attempts (failed log-ins, registrations): try again after `retryAfterSeconds`,
 * which the API repeats in the `Retry-After` header.
 */
export class RateLimitedError extends CairnError {
  override name = "RateLimitedError";
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super("rate_limited", message, { details: { retry_after_seconds: retryAfterSeconds } });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class RuntimeUnavailableError extends CairnError {
  override name = "RuntimeUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("runtime_unavailable", message, options);
  }
}

export function formatIssues(issues: Issue[]): string {
  return issues.map((i) => `  - ${i.path || "(root)"}: ${i.message}`).join("\n");
}

export function isCairnError(err: unknown): err is CairnError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === "string" && "details" in err;
}

/** The message to show a person: never a bare stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? ` (${err.cause.message})` : "";
    return err.message + cause;
  }
  return String(err);
}

/** Failures another try cannot mend: the input, the configuration or the image is what is wrong. */
const NEVER_RETRYABLE: ReadonlySet<ErrorCode> = new Set(["image_not_found", "invalid_input", "config_invalid"]);

/**
 * Whether work that failed with `err` may be tried again: the one retry decision, asked
 * by the engine for a task attempt and by the archiver for a copy. An error that says so
 * itself (`TaskFailure`, `ArchivingError`: `retryable` as data) is taken at its word;
 * an input, configuration or missing-image error is not; anything else (a dropped
 * connection, a crash) may pass.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof CairnError) {
    const own = (err as { retryable?: unknown }).retryable;
    if (typeof own === "boolean") return own;
    return !NEVER_RETRYABLE.has(err.code);
  }
  return true;
}
