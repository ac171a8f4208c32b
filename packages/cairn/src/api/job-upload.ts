import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyRequest } from "fastify";
import { stageFilePart } from "./staged-file.js";
import { asUploadError, partError, tooLarge } from "./upload-errors.js";
import { newStagingDir } from "../workspace/run-inbox.js";
import { AttachmentSet } from "../spec/attachment-names.js";

/**
 * `POST /pipeline/{id}/job` as `multipart/form-data`, the way kabuto-api.txt sends it:
 * `command` and `image_id` as fields, and `attachments` as file parts, each file's name
 * (with folders, `data/a.txt`) its path under the job's /inbox. Names are checked as an
 * event's are (spec/attachment-names.ts), and the request is held to
 * CAIRN_MAX_UPLOAD_BYTES. Files are streamed to a staging folder (at its root: they are
 * one job's), never held in memory; whatever goes wrong removes what was written.
 */

const JOB_FIELDS = new Set(["command", "image_id"]);
const MAX_FIELD_BYTES = 64 * 1024;

export interface JobUpload {
  fields: Record<string, string>;
  /** The staging folder holding the files; undefined when none was sent. */
  staging: string | undefined;
  files: number;
  bytes: number;
}

export async function receiveJobUpload(request: FastifyRequest, options: { dataDir: string; maxBytes: number }): Promise<JobUpload> {
  const { maxBytes } = options;
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes, `the request is ${declared} bytes, over`);
  const upload: JobUpload = { fields: {}, staging: undefined, files: 0, bytes: 0 };
  const names = new AttachmentSet();
  try {
    // preservePath: without it busboy keeps only the base name, and `../x` would quietly become `x`.
    for await (const part of request.parts({ preservePath: true, limits: { fileSize: maxBytes, fieldSize: MAX_FIELD_BYTES, fields: 10, parts: 10_000 } })) {
      if (part.type === "field") {
        if (!JOB_FIELDS.has(part.fieldname)) throw partError(part.fieldname, "is not a field of a job: send command and image_id as fields, and files as attachments parts");
        if (part.valueTruncated) throw partError(part.fieldname, "is longer than 64 KiB");
        upload.fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname !== "attachments") throw partError(part.fieldname, "is not a file of a job: send files as attachments parts");
      const name = part.filename ?? "";
      const problem = names.add({}, name);
      if (problem !== undefined) throw partError(part.fieldname, `file name ${problem}`);
      upload.staging ??= await newStagingDir(options.dataDir);
      await stageFilePart(part.file, join(upload.staging, ...name.split("/")), name, upload, maxBytes);
    }
    return upload;
  } catch (err) {
    if (upload.staging !== undefined) await rm(upload.staging, { recursive: true, force: true });
    throw asUploadError(err, maxBytes);
  }
}
