import { constants, mkdirSync, renameSync, rmSync } from "node:fs";
import { lstat, open, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { folderEntries, folderNamesSync } from "../folder-entries.js";

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
    for (const name of names) {
      rmSync(join(target, name), { recursive: true, force: true });
      renameSync(join(outbox, name), join(target, name));
    }
  }
  return "kept";
}

export async function removeRunResults(dataDir: string, runUuid: string): Promise<void> {
  await rm(runResultsDir(dataDir, runUuid), { recursive: true, force: true });
}

/** One result file: its path relative to the outbox, with `/` between folders. */
export interface ResultFile {
  path: string;
  size: number;
  mtime: Date;
  /** Opens it for reading, refusing a symbolic link put at its name since it was listed. */
  open(): Promise<Readable>;
}

/**
 * The regular files under an outbox, in name order. Symbolic links are never followed,
 * to files or folders: a task could point one at the server's own files, and results
 * are read by the server. Sockets, devices and pipes are left out too.
 */
export async function listResultFiles(dir: string): Promise<ResultFile[]> {
  const found: ResultFile[] = [];
  await walk(dir, "", found);
  return found;
}

async function walk(dir: string, prefix: string, found: ResultFile[]): Promise<void> {
  const entries = await folderEntries(dir);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    const path = prefix + entry.name;
    // A Dirent describes the entry itself, never what a link points to.
    if (entry.isDirectory()) await walk(full, `${path}/`, found);
    else if (entry.isFile()) {
      const info = await lstat(full);
      if (!info.isFile()) continue;
      found.push({ path, size: info.size, mtime: info.mtime, open: () => openRegularFile(full) });
    }
  }
}

async function openRegularFile(path: string): Promise<Readable> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new Error(`${path} is no longer a regular file`);
  }
  return handle.createReadStream();
}
