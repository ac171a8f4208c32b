import { lstatSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import type { Readable } from "node:stream";
import { folderNamesSync } from "../folder-entries.js";
import { kindOf, listTaskFiles, openTaskFile, TaskFileRefused } from "./task-file-reader.js";

/**
 * A task's results: whatever an attempt writes under `/outbox` (kabuto-api.txt: "job
 * results are to be saved under /outbox"). They are kept in the data directory, apart
 * from the run's working folder, so results outlive its cleanup; they go when the run
 * is deleted. The task writes to `runs/RUN/TASK@ATTEMPT/outbox`, moved here when it ends:
 *
 *   DATA_DIR/results/RUN/TASK/ATTEMPT/...
 */

export function runResultsDir(dataDir: string, runUuid: string): string {
  return join(dataDir, "results", runUuid);
}

export function attemptResultsDir(dataDir: string, runUuid: string, taskId: string, attempt: number): string {
  return join(runResultsDir(dataDir, runUuid), taskId, String(attempt));
}

/**
 * Keeps what an attempt left in its outbox as its results, once its process has ended:
 * the folder is moved (renamed: no byte is copied) to `results/RUN/TASK/ATTEMPT`. An
 * outbox left empty stays where it is and goes with the run's working folder, so a run
 * of ten thousand tasks without results makes no folder under `results/` at all.
 *
 * The outbox lives in the attempt's folder while the task runs, so that it is made with
 * the attempt's other folders (ahead of the start: see folders-ahead.ts) and costs
 * nothing to clean up when empty; results therefore appear when the attempt ends.
 * Synchronous, like the attempt's other folders (attempt-files.ts).
 */
export function keepOutbox(outbox: string, dataDir: string, runUuid: string, taskId: string, attempt: number): "empty" | "kept" {
  // The outbox is the task's: a host process can replace it with a link (a container
  // cannot, it is a mount point). A link to / must neither be listed nor, below, have its
  // entries moved into the results; a link moved as it is would be followed by whatever
  // reads the results later.
  if (!isRealFolder(outbox, "outbox")) return "empty";
  const names = folderNamesSync(outbox);
  if (names.length === 0) return "empty";
  const target = attemptResultsDir(dataDir, runUuid, taskId, attempt);
  mkdirSync(dirname(target), { recursive: true });
  try {
    renameSync(outbox, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
    // Results kept already, by a resumed attempt's earlier server: what the process wrote since wins.
    // They were an outbox too, and are emptied into only if they are a folder.
    isRealFolder(target, relative(dataDir, target));
    for (const name of names) {
      rmSync(join(target, name), { recursive: true, force: true });
      renameSync(join(outbox, name), join(target, name));
    }
  }
  return "kept";
}

/** Whether `path` is a folder (false when it is not there); a link or anything else there is refused, named `what`. */
function isRealFolder(path: string, what: string): boolean {
  let info;
  try {
    info = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  if (info.isDirectory()) return true;
  throw new TaskFileRefused(what, info.isSymbolicLink() ? "link" : "not_folder", kindOf(info));
}

export async function removeRunResults(dataDir: string, runUuid: string): Promise<void> {
  await rm(runResultsDir(dataDir, runUuid), { recursive: true, force: true });
}

/** One result file: its path relative to the outbox, with `/` between folders. */
export interface ResultFile {
  path: string;
  size: number;
  mtime: Date;
  /** Opens it for reading, no link followed on its way, and reads no more than `size` bytes. */
  open(): Promise<Readable>;
}

/**
 * The regular files under an attempt's results folder, in name order. Symbolic links are
 * never followed, to files or folders, and neither is the results folder itself should it
 * be one (it was the task's outbox): a task could point one at the server's own files,
 * and results are read by the server. Sockets, devices and pipes are left out too.
 */
export async function listResultFiles(dir: string): Promise<ResultFile[]> {
  const base = dirname(dir);
  const folder = basename(dir);
  const files = await listTaskFiles(base, folder);
  return files.map(({ path, size, mtime }) => ({ path, size, mtime, open: () => openTaskFile(base, `${folder}/${path}`, size) }));
}
