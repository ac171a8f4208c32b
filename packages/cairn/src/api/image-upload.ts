import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyRequest } from "fastify";
import { stageFilePart } from "./staged-file.js";
import { asUploadError, multipartParts, partError, tooLarge } from "./upload-errors.js";
import { ATTACHMENTS_FOR_ALL, newStagingDir } from "../workspace/run-inbox.js";
import { AttachmentSet } from "../spec/attachment-names.js";

/**
 * `POST /image` as `multipart/form-data`, the way kabuto-api.txt sends it: `name`,
 * `dockerfile` (a field, or a file part whose content is the Dockerfile), `repo_url` and
 * `nocache` as fields, and `attachments` as file parts whose file names (with folders,
 * `data/a.txt`) are their paths in the build context. The names are checked as event
 * attachments' are (spec/attachment-names.ts) and the request is held to the same
 * CAIRN_MAX_UPLOAD_BYTES.
 *
 * The attachments are streamed to a staging folder as they arrive, like an event's, and
 * become the build run's attachments: the build task's inbox, which its inline context
 * takes in (`include_inbox`). Only the Dockerfile (at most 1 MiB) is read into memory.
 */

const BUILD_FIELDS = new Set(["name", "dockerfile", "repo_url", "nocache", "attachments"]);
const MAX_FIELD_BYTES = 1024 * 1024;

export interface ImageUpload {
  /** The fields as the JSON body would have them, without the files. */
  fields: Record<string, unknown>;
  /** The staging folder holding the attachments; undefined when none was sent. */
  staging: string | undefined;
  files: number;
  bytes: number;
}

export async function receiveImageUpload(request: FastifyRequest, options: { dataDir: string; maxBytes: number }): Promise<ImageUpload> {
  const { maxBytes } = options;
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes, `the request is ${declared} bytes, over`);
  const upload: ImageUpload = { fields: {}, staging: undefined, files: 0, bytes: 0 };
  const names = new AttachmentSet();
  try {
    // preservePath: without it busboy keeps only the base name, and `../x` would quietly become `x`.
    for await (const part of multipartParts(request, { preservePath: true, limits: { fileSize: maxBytes, fieldSize: MAX_FIELD_BYTES, fields: 20, parts: 10_000 } })) {
      if (!BUILD_FIELDS.has(part.fieldname)) throw partError(part.fieldname, "is not a field of an image build: send name, dockerfile, repo_url and nocache as fields, and files as attachments parts");
      if (part.type === "field") {
        if (part.valueTruncated) throw partError(part.fieldname, "is longer than 1 MiB");
        upload.fields[part.fieldname] = part.value;
        continue;
      }
      if (part.fieldname === "dockerfile") {
        // curl -F dockerfile=@Dockerfile: the file's content is the Dockerfile.
        upload.fields.dockerfile = await readDockerfile(part.file, upload, maxBytes);
        continue;
      }
      if (part.fieldname !== "attachments") throw partError(part.fieldname, "must be a field, not a file");
      const name = part.filename ?? "";
      const problem = names.add({}, name);
      if (problem !== undefined) throw partError(part.fieldname, `file name ${problem}`);
      upload.staging ??= await newStagingDir(options.dataDir);
      await stageFilePart(part.file, join(upload.staging, ATTACHMENTS_FOR_ALL, ...name.split("/")), name, upload, maxBytes);
    }
    if (upload.files > 0 && typeof upload.fields.attachments === "string") throw partError("attachments", "give attachments as files or as one JSON field, not both");
    return upload;
  } catch (err) {
    if (upload.staging !== undefined) await rm(upload.staging, { recursive: true, force: true });
    throw asUploadError(err, maxBytes);
  }
}

async function readDockerfile(file: AsyncIterable<Buffer> & { truncated?: boolean }, upload: ImageUpload, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of file) {
    length += chunk.length;
    upload.bytes += chunk.length;
    if (upload.bytes > maxBytes) throw tooLarge(maxBytes, "the attachments are over");
    if (length > MAX_FIELD_BYTES) throw partError("dockerfile", "is longer than 1 MiB");
    chunks.push(chunk);
  }
  if (file.truncated) throw tooLarge(maxBytes, "the Dockerfile is over");
  return Buffer.concat(chunks).toString("utf8");
}
