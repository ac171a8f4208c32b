import { chmodSync, constants, mkdirSync } from "node:fs";
import { chmod, lstat, mkdir, open, readdir, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";

/**
 * A task's results: whatever an attempt writes under `/outbox` (kabuto-api.txt: "job
 * results are to be saved under /outbox"). The folder lives in the data directory, apart
 * from the run's working folder, so results outlive its cleanup; they go when the run
 * is deleted.
 *
 *   DATA_DIR/results/RUN/TASK/ATTEMPT/...
 */

export function runResultsDir(dataDir: string, runUuid: string): string {
  return join(dataDir, "results", runUuid);
}

export function attemptResultsDir(dataDir: string, runUuid: string, taskId: string, attempt: number): string {
  return join(runResultsDir(dataDir, runUuid), taskId, String(attempt));
}

/** Makes an attempt's outbox, writable by whichever user the container runs as. */
export function prepareOutbox(dataDir: string, runUuid: string, taskId: string, attempt: number): string {
  const dir = attemptResultsDir(dataDir, runUuid, taskId, attempt);
  // Synchronously, like the attempt's other folders (attempt-files.ts).
  mkdirSync(dir, { recursive: true });
  // Explicitly: mkdir's mode is narrowed by the umask.
  chmodSync(dir, 0o777);
  return dir;
}

/**
 * Removes an attempt's outbox if the task left it empty (and the task's folder if no
 * attempt left anything), so a run of ten thousand tasks without results leaves no
 * ten thousand empty folders behind.
 */
export async function pruneEmptyOutbox(dir: string): Promise<void> {
  try {
    await rmdir(dir);
    await rmdir(join(dir, ".."));
  } catch {
    // Not empty, or gone: either way nothing to prune.
  }
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
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
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
