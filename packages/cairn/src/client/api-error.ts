import { CairnError, type ErrorCode, type Issue } from "../errors.js";
import type { components } from "./openapi-types.js";

/** The envelope every error answer of the API carries. */
export type ErrorEnvelope = components["schemas"]["Error"];

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "invalid_input",
  "unauthenticated",
  "forbidden",
  "not_found",
  "conflict",
  "too_large",
  "task_failed",
  "runtime_unavailable",
  "image_not_found",
  "timeout",
  "cancelled",
  "config_invalid",
  "internal",
]);

/**
 * The server said no: its HTTP status and message, the problems it listed (each with
 * its path), and the server's error code when it is one Cairn knows.
 */
export class ApiError extends CairnError {
  override name = "ApiError";
  readonly status: number;
  readonly issues: Issue[];

  constructor(status: number, message: string, options: { code?: string; issues?: Issue[]; cause?: unknown } = {}) {
    const issues = options.issues ?? [];
    super(codeFor(status, options.code), message, { cause: options.cause, details: { status, issues } });
    this.status = status;
    this.issues = issues;
  }

  /** From an error answer: the envelope when there is one, else whatever came (a proxy's page, say). */
  static fromResponse(response: Response, body: unknown): ApiError {
    if (isErrorEnvelope(body)) {
      return new ApiError(response.status, body.message, { code: body.result?.code, issues: body.result?.issues ?? [] });
    }
    const text = typeof body === "string" ? body.trim().slice(0, 200) : "";
    return new ApiError(response.status, `HTTP ${response.status} ${response.statusText}${text ? `: ${text}` : ""}`);
  }
}

function isErrorEnvelope(body: unknown): body is ErrorEnvelope {
  return typeof body === "object" && body !== null && (body as ErrorEnvelope).success === false && typeof (body as ErrorEnvelope).message === "string";
}

function codeFor(status: number, code: string | undefined): ErrorCode {
  if (code !== undefined && CODES.has(code)) return code as ErrorCode;
  if (status === 401) return "unauthenticated";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 413) return "too_large";
  if (status >= 400 && status < 500) return "invalid_input";
  return status === 503 ? "runtime_unavailable" : "internal";
}
