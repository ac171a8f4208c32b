import type { Multipart as Part } from "@fastify/multipart";
import type { FastifyRequest } from "fastify";
import { CairnError, isCairnError, ValidationError } from "../errors.js";

/** How the multipart uploads (run events, image builds) name what is wrong with a request. */

export function partError(field: string, message: string): ValidationError {
  return new ValidationError("the upload", [{ path: `part '${field}'`, message }]);
}

export function tooLarge(maxBytes: number, what: string): CairnError {
  return new CairnError("too_large", `${what} the upload limit of ${maxBytes} bytes (CAIRN_MAX_UPLOAD_BYTES); nothing was kept`);
}

/** The plugin's own limit errors (files, parts, fields) as Cairn's. */
export function asUploadError(err: unknown, maxBytes: number): unknown {
  const code = (err as { code?: string }).code;
  if (code === "FST_REQ_FILE_TOO_LARGE") return tooLarge(maxBytes, "a file is over");
  if (code === "FST_PARTS_LIMIT" || code === "FST_FILES_LIMIT" || code === "FST_FIELDS_LIMIT") {
    return new CairnError("too_large", `the upload has too many parts: ${(err as Error).message}`, { cause: err });
  }
  if (code === "FST_INVALID_MULTIPART_CONTENT_TYPE" || code === "FST_INVALID_JSON_FIELD_ERROR" || code === "FST_PROTO_VIOLATION" || code === "FST_MP_PREMATURE_CLOSE") {
    return notMultipart(err);
  }
  // busboy's parse errors are plain Errors, told apart only by their text; they reach here
  // from a file part's stream (a part cut short), not from the parts iterator (multipartParts).
  if (err instanceof Error && code === undefined && BUSBOY_PARSE_ERROR.test(err.message)) return notMultipart(err);
  return err;
}

const BUSBOY_PARSE_ERROR = /multipart|boundary|malformed part header|unexpected end of/i;

type PartsOptions = Parameters<FastifyRequest["parts"]>[0];

/**
 * The request's parts, as `request.parts()` gives them, except that what goes wrong while
 * parsing the body (no boundary in the Content-Type, a body cut short, a malformed part
 * header: plain Errors from busboy) is a 400 naming the problem, not a 500. Errors the
 * caller throws while handling a part are its own: they pass through untouched.
 */
export async function* multipartParts(request: FastifyRequest, options: PartsOptions): AsyncGenerator<Part> {
  let iterator: AsyncIterator<Part> | undefined;
  let done = false;
  try {
    for (;;) {
      let next: IteratorResult<Part>;
      try {
        iterator ??= request.parts(options)[Symbol.asyncIterator]();
        next = await iterator.next();
      } catch (err) {
        done = true;
        throw asParseError(err);
      }
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // The caller stopped early (it threw on a part): let the plugin drain and clean up.
    if (!done) await iterator?.return?.();
  }
}

function asParseError(err: unknown): unknown {
  if (isCairnError(err) || (err as { code?: string }).code !== undefined) return err;
  return notMultipart(err);
}

function notMultipart(err: unknown): CairnError {
  const message = err instanceof Error ? err.message : String(err);
  return new CairnError("invalid_input", `the upload is not valid multipart/form-data: ${message} (send Content-Type: multipart/form-data; boundary=..., and a complete body)`, { cause: err });
}
