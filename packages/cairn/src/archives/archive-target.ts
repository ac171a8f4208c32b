import type { Readable } from "node:stream";
import { CairnError, type ErrorCode } from "../errors.js";

/**
 * One archive's folder on a system, open for writing. Paths are relative to it and
 * `/`-separated; callers pass them through `safeSegments` first.
 */
export interface ArchiveTarget {
  /** Where the folder is, for people: `file:///…` or `sftp://user@host:port/…`. */
  readonly location: string;
  /** Creates the folder and its parents; an existing folder is fine. */
  mkdir(path: string): Promise<void>;
  /** Creates or replaces the file; a stream is written as it is read, never held whole. */
  writeFile(path: string, content: Buffer | Readable): Promise<void>;
  remove(path: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Archiving went wrong. Whether another try may help is data (Temporal's
 * `nonRetryable`): a refused key stays refused, a dropped connection may not.
 */
export class ArchivingError extends CairnError {
  override name = "ArchivingError";
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable;
  }
}

/**
 * The segments of a relative path given by a user (`archive_dir`, `root_dir`), with empty
 * and `.` segments dropped. `..` is refused rather than resolved: a path that climbs out
 * of its root is a mistake or an attack, never something to repair.
 */
export function safeSegments(path: string, what: string): string[] {
  if (path.includes("\0")) throw new CairnError("invalid_input", `${what} must not contain a NUL character`);
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) throw new CairnError("invalid_input", `${what} must not contain '..' (got '${path}')`);
  return segments;
}

/** Writes a small file and removes it: the check Tapis makes before every archiving. */
export async function checkWritable(target: ArchiveTarget, folder: string): Promise<void> {
  const probe = `${folder === "" ? "" : `${folder}/`}.cairn-write-check-${process.pid}-${Date.now()}`;
  try {
    await target.mkdir(folder);
    await target.writeFile(probe, Buffer.from("cairn write check\n"));
    await target.remove(probe);
  } catch (err) {
    if (err instanceof ArchivingError) throw err;
    throw new ArchivingError("forbidden", `cannot write to ${target.location}${folder === "" ? "" : `/${folder}`}: ${(err as Error).message}`, {
      retryable: true,
      cause: err,
    });
  }
}
