import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { formatIssues, isCairnError, type ErrorCode, type Issue } from "../errors.js";

/**
 * Every answer of the API is Tapis' envelope: `{success, status, message, result}`,
 * errors included, with the HTTP status repeated in `status`.
 */

export interface Envelope<T> {
  success: boolean;
  status: number;
  message: string;
  result: T;
}

/**
 * Schemas named in the OpenAPI document's components, and so in the client's types
 * (`components["schemas"]["Run"]`), instead of repeated inline on every route.
 */
export const apiSchemas = z.registry<{ id: string }>();

export function named<T extends z.ZodType>(id: string, schema: T): T {
  apiSchemas.add(schema, { id });
  return schema;
}

export function envelopeSchema<T extends z.ZodType>(result: T) {
  return z.object({ success: z.boolean(), status: z.number().int(), message: z.string(), result });
}

/**
 * The schema of every error answer; `result` carries the problems with their paths when
 * there are several; `request_id` names the request in the server's log (and in its
 * `X-Request-Id` header).
 */
export const errorEnvelopeSchema = named(
  "Error",
  z.object({
    success: z.literal(false),
    status: z.number().int(),
    message: z.string(),
    result: z.object({ code: z.string(), issues: z.array(z.object({ path: z.string(), message: z.string() })).optional() }).nullable(),
    request_id: z.string().optional(),
  }),
);

export function ok<T>(result: T, message = "Success", status = 200): Envelope<T> {
  return { success: true, status, message, result };
}

const STATUS_OF: Record<ErrorCode, number> = {
  invalid_input: 400,
  config_invalid: 400,
  image_not_found: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  cancelled: 409,
  task_failed: 500,
  internal: 500,
  runtime_unavailable: 503,
  timeout: 504,
};

/**
 * Fastify's error handler: typed Cairn errors keep their message and get their status;
 * schema violations name each field; the framework's own 4xx (bad JSON, too large)
 * keep theirs; anything else is a 500 whose details (stack and causes) go to the log,
 * under the request id the answer gives, not to the client.
 */
export function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const requestId = request.id;
  if (error.validation) {
    const where = error.validationContext ?? "request";
    const issues: Issue[] = error.validation.map((v) => ({
      path: joinPath(where, v.instancePath),
      message: v.message ?? "is invalid",
    }));
    void reply.status(400).send(failure(400, `the ${where} is invalid:\n${formatIssues(issues)}`, "invalid_input", issues, requestId));
    return;
  }
  if (isCairnError(error)) {
    const status = STATUS_OF[error.code] ?? 500;
    const issues = (error.details?.issues as Issue[] | undefined) ?? undefined;
    if (status >= 500) request.log.error({ err: error, causes: causesOf(error) }, "request failed");
    void reply.status(status).send(failure(status, error.message, error.code, issues, requestId));
    return;
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) {
    request.log.error({ err: error, causes: causesOf(error) }, "request failed");
    void reply.status(500).send(failure(500, `internal error: the server could not handle this request; see the server log, request id ${requestId}`, "internal", undefined, requestId));
    return;
  }
  void reply.status(status).send(failure(status, frameworkMessage(error), status === 404 ? "not_found" : status === 413 ? "too_large" : "invalid_input", undefined, requestId));
}

export function failure(status: number, message: string, code: string, issues?: Issue[], requestId?: string): Envelope<{ code: string; issues?: Issue[] } | null> & { request_id?: string } {
  return { success: false, status, message, result: issues ? { code, issues } : { code }, ...(requestId !== undefined ? { request_id: requestId } : {}) };
}

/**
 * The error's causes, outermost first, each with its stack: pino's serializer writes the
 * error's own stack, and a cause's only as text appended to it in some versions; the log
 * of a 500 is the only place its root cause is ever seen.
 */
function causesOf(error: unknown): { type: string; message: string; stack?: string }[] {
  const causes: { type: string; message: string; stack?: string }[] = [];
  let cause = (error as { cause?: unknown }).cause;
  while (cause !== undefined && cause !== null && causes.length < 10) {
    if (cause instanceof Error) causes.push({ type: cause.name, message: cause.message, ...(cause.stack ? { stack: cause.stack } : {}) });
    else causes.push({ type: typeof cause, message: String(cause) });
    cause = (cause as { cause?: unknown }).cause;
  }
  return causes;
}

/** `/tasks/0/id` in `body` becomes `body.tasks[0].id`, the form the spec validator uses too. */
function joinPath(where: string, instancePath: string): string {
  const parts = instancePath.split("/").filter((p) => p !== "");
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`), where);
}

function frameworkMessage(error: FastifyError): string {
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return `the body is not valid JSON: ${error.message}`;
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "the body is too large: a request body (other than an upload) is at most 1 MiB";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return `unsupported content type: ${error.message}; send application/json`;
    default:
      return error.message;
  }
}
