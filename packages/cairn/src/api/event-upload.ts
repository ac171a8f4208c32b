import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyRequest } from "fastify";
import { jsonTextDepth, MAX_JSON_DEPTH, tooDeep, valueDepth } from "./json-body.js";
import { stageFilePart } from "./staged-file.js";
import { asUploadError, multipartParts, partError, tooLarge } from "./upload-errors.js";
import { ATTACHMENTS_FOR_ALL, ATTACHMENTS_FOR_TASKS, newStagingDir } from "../workspace/run-inbox.js";
import { AttachmentSet } from "../spec/attachment-names.js";

/**
 * An event sent as `multipart/form-data`: the JSON body's fields as form fields, and
 * files for the run's tasks. A file part named `task:TASK_ID` goes to that task's inbox
 * only; any other file part (Kabuto's `attachments`, say) to every task's. The file's
 * own name (with folders, `a/b.txt`) is its path under /inbox.
 *
 * Files are streamed to a staging folder in the data directory as they arrive, never
 * held in memory. Whatever goes wrong (a bad name, the size limit, a dropped
 * connection) removes what was written.
 */

/** The fields an event has (runs.ts checks their values); any other field is a mistake worth naming. */
const EVENT_FIELDS = new Set(["params", "directives", "commit_message"]);
const JSON_FIELDS = new Set(["params", "directives"]);
const TASK_PART = /^task:(.*)$/;

export interface EventUpload {
  /** The form fields, JSON ones parsed: what the JSON body would have been. */
  fields: Record<string, unknown>;
  /** The staging folder holding the files; undefined when none was sent. */
  staging: string | undefined;
  files: number;
  bytes: number;
}

export interface EventUploadOptions {
  dataDir: string;
  /** CAIRN_MAX_UPLOAD_BYTES: the request, and the files in it, at most this big. */
  maxBytes: number;
  /** The pipeline's tasks, which `task:` parts must name. */
  taskIds: ReadonlySet<string>;
}

export async function receiveEventUpload(request: FastifyRequest, options: EventUploadOptions): Promise<EventUpload> {
  const declared = Number(request.headers["content-length"]);
  // Refused before a byte is read when the client says how big it is.
  if (Number.isFinite(declared) && declared > options.maxBytes) throw tooLarge(options.maxBytes, `the request is ${declared} bytes, over`);
  const upload: EventUpload = { fields: {}, staging: undefined, files: 0, bytes: 0 };
  const names = new AttachmentSet();
  try {
    const parts = multipartParts(request, {
      // Without it busboy keeps only the base name: `../x` would quietly become `x`.
      preservePath: true,
      limits: { fileSize: options.maxBytes, fieldSize: 1024 * 1024, fields: 100, parts: 100_000 },
    });
    for await (const part of parts) {
      if (part.type === "field") {
        upload.fields[part.fieldname] = fieldValue(part.fieldname, part.value, part.valueTruncated);
        continue;
      }
      const field = part.fieldname;
      const taskId = TASK_PART.exec(field)?.[1];
      if (taskId !== undefined && !options.taskIds.has(taskId)) throw partError(field, `the pipeline has no task '${taskId}'`);
      const name = part.filename ?? "";
      const problem = names.add(taskId === undefined ? {} : { task: taskId }, name);
      if (problem !== undefined) throw partError(field, `file name ${problem}`);
      upload.staging ??= await newStagingDir(options.dataDir);
      const target = join(upload.staging, ...(taskId === undefined ? [ATTACHMENTS_FOR_ALL] : [ATTACHMENTS_FOR_TASKS, taskId]), ...name.split("/"));
      await stageFilePart(part.file, target, name, upload, options.maxBytes);
    }
    return upload;
  } catch (err) {
    if (upload.staging !== undefined) await rm(upload.staging, { recursive: true, force: true });
    throw asUploadError(err, options.maxBytes);
  }
}

function fieldValue(name: string, value: unknown, truncated: boolean): unknown {
  if (!EVENT_FIELDS.has(name)) {
    throw partError(name, "is not a field of an event: send params, directives and commit_message as fields, and files as file parts");
  }
  if (truncated) throw partError(name, "is longer than 1 MiB");
  if (!JSON_FIELDS.has(name)) return value;
  // A part sent as application/json arrives parsed already (by the plugin, with no depth limit).
  if (typeof value !== "string") {
    if (valueDepth(value) > MAX_JSON_DEPTH) throw tooDeep(`part '${name}'`);
    return value;
  }
  if (jsonTextDepth(value) > MAX_JSON_DEPTH) throw tooDeep(`part '${name}'`);
  try {
    return JSON.parse(value);
  } catch {
    throw partError(name, "must be JSON, e.g. {\"greeting\": \"hi\"}");
  }
}
