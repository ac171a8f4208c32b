import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { tooLarge } from "./upload-errors.js";

/**
 * Writes one uploaded file part to its place in a staging folder as it arrives, never
 * holding it in memory, and counts it against the request's limit. Shared by the
 * multipart uploads (run events, image builds); the caller removes the staging folder
 * when anything fails.
 */

export interface UploadTally {
  files: number;
  bytes: number;
}

export async function stageFilePart(file: Readable & { truncated?: boolean }, target: string, name: string, tally: UploadTally, maxBytes: number): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  // `wx`: a name seen twice is refused before this (AttachmentSet), so an existing file is a bug, not an overwrite.
  await pipeline(file, countBytes(tally, maxBytes), createWriteStream(target, { flags: "wx" }));
  if (file.truncated) throw tooLarge(maxBytes, `file '${name}' is over`);
  tally.files++;
}

/** Counts the request's file bytes, failing the copy once they pass the limit. */
function countBytes(tally: UploadTally, maxBytes: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      tally.bytes += chunk.length;
      if (tally.bytes > maxBytes) done(tooLarge(maxBytes, "the attachments are over"));
      else done(null, chunk);
    },
  });
}
