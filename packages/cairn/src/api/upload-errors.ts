import { CairnError, ValidationError } from "../errors.js";

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
  if (code === "FST_INVALID_MULTIPART_CONTENT_TYPE" || code === "FST_INVALID_JSON_FIELD_ERROR") {
    return new CairnError("invalid_input", `the upload is not valid multipart/form-data: ${(err as Error).message}`, { cause: err });
  }
  return err;
}
