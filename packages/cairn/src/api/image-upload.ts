import type { FastifyRequest } from "fastify";
import { asUploadError, partError, tooLarge } from "./upload-errors.js";
import { AttachmentSet } from "../spec/attachment-names.js";

/**
 * `POST /image` as `multipart/form-data`, the way kabuto-api.txt sends it: `name`,
 * `dockerfile` (a field, or a file part whose content is the Dockerfile), `repo_url` and
 * `nocache` as fields, and `attachments` as file parts whose file names (with folders,
 * `data/a.txt`) are their paths in the build context. The names are checked as event
 * attachments' are (spec/attachment-names.ts) and the request is held to the same
 * CAIRN_MAX_UPLOAD_BYTES. The files are read into memory, unlike an event's: an inline
 * build context is stored in the run's pipeline (base64) and sent to the engine as one tar.
 */

const BUILD_FIELDS = new Set(["name", "dockerfile", "repo_url", "nocache", "attachments"]);
const MAX_FIELD_BYTES = 1024 * 1024;

export interface ImageUpload {
  /** The fields as the JSON body would have them: attachments as `{path: base64}`. */
  fields: Record<string, unknown>;
  files: number;
  bytes: number;
}

export async function receiveImageUpload(request: FastifyRequest, maxBytes: number): Promise<ImageUpload> {
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes, `the request is ${declared} bytes, over`);
  const upload: ImageUpload = { fields: {}, files: 0, bytes: 0 };
  const attachments: Record<string, string> = {};
  const names = new AttachmentSet();
  try {
    // preservePath: without it busboy keeps only the base name, and `../x` would quietly become `x`.
    for await (const part of request.parts({ preservePath: true, limits: { fileSize: maxBytes, fieldSize: MAX_FIELD_BYTES, fields: 20, parts: 10_000 } })) {
      if (!BUILD_FIELDS.has(part.fieldname)) throw partError(part.fieldname, "is not a field of an image build: send name, dockerfile, repo_url and nocache as fields, and files as attachments parts");
      if (part.type === "field") {
        if (part.valueTruncated) throw partError(part.fieldname, "is longer than 1 MiB");
        upload.fields[part.fieldname] = part.value;
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of part.file as AsyncIterable<Buffer>) {
        upload.bytes += chunk.length;
        if (upload.bytes > maxBytes) throw tooLarge(maxBytes, "the files are over");
        chunks.push(chunk);
      }
      if (part.file.truncated) throw tooLarge(maxBytes, `file '${part.filename}' is over`);
      const content = Buffer.concat(chunks);
      if (part.fieldname === "dockerfile") {
        // curl -F dockerfile=@Dockerfile: the file's content is the Dockerfile.
        upload.fields.dockerfile = content.toString("utf8");
        continue;
      }
      if (part.fieldname !== "attachments") throw partError(part.fieldname, "must be a field, not a file");
      const name = part.filename ?? "";
      const problem = names.add({}, name);
      if (problem !== undefined) throw partError(part.fieldname, `file name ${problem}`);
      attachments[name] = content.toString("base64");
      upload.files++;
    }
  } catch (err) {
    throw asUploadError(err, maxBytes);
  }
  if (upload.files > 0) {
    if (typeof upload.fields.attachments === "string") throw partError("attachments", "give attachments as files or as one JSON field, not both");
    upload.fields.attachments = attachments;
  }
  return upload;
}
