import { chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { TaskFailure } from "../errors.js";
import type { TaskType } from "../spec/types.js";
import { removeRunDir, runDir } from "./run-dir.js";
import { isTaskFileRefused, kindOf, TaskFolder } from "./task-file-reader.js";

/*
 * The per-attempt file operations are synchronous on purpose: each is a small metadata
 * operation in the data dir (tens of microseconds), while each asynchronous call is a
 * round trip through libuv's thread pool, and those round trips were most of the time
 * between two tasks of a chain (measured: seven such calls per task took 0.8-5.7 ms
 * asynchronously on a loaded 2-core machine, 0.3 ms synchronously). The store already
 * writes to the same dir synchronously (better-sqlite3). Removing a whole run dir stays
 * asynchronous: it can be large.
 */

/** An output larger than this is not passed to other tasks as a value (it stays a file). */
export const MAX_OUTPUT_VALUE_BYTES = 1024 * 1024;

export { removeRunDir, runDir };

/** The folders of one attempt, `runs/RUN/TASK@ATTEMPT/...`. */
export interface AttemptFolders {
  root: string;
  /** One file per resolved input. */
  inputs: string;
  /** One file per output the task writes. */
  outputs: string;
  /** Whatever the task writes here is moved to its results when it ends (result-files.ts). */
  outbox: string;
}

export interface AttemptFolderOptions {
  /** An empty folder to use as the inputs folder of an attempt without inputs, instead of a new one of its own. */
  noInputs?: string;
  /** The process may run as another user (a container's): its outputs and outbox are made writable by everyone. */
  forContainer: boolean;
  /** More folders in the attempt's folder, made now so that it can happen ahead of the start. */
  extra: readonly string[];
  /** The attempt's folder when it is not attemptRoot's (existingAttemptRoot). */
  root?: string;
}

/**
 * The folders a task type's handler makes in the attempt folder (function-handler.ts:
 * `work/`). Made with the others, they can be made ahead of the attempt's
 * start; the handler still makes sure they are there, so this is only a shortcut.
 */
const HANDLER_FOLDERS: Partial<Record<TaskType, readonly string[]>> = { function: ["work"] };

export function handlerFolders(type: TaskType): readonly string[] {
  return HANDLER_FOLDERS[type] ?? [];
}

/**
 * `runs/RUN/TASK@ATTEMPT`: one folder per attempt, not a task's folder with one per
 * attempt in it, which was one more new inode per attempt (each 0.05-0.7 ms of system
 * CPU on the development machines). A task id has no '@' (spec/schema.ts), so no two
 * attempts share a name, and none is the run's own folders' (`.empty`, `.code`, `inbox`,
 * `attachments`).
 */
export function attemptRoot(dataDir: string, runUuid: string, taskId: string, attempt: number): string {
  return join(runDir(dataDir, runUuid), `${taskId}@${attempt}`);
}

/**
 * The folder an attempt has: attemptRoot, or `runs/RUN/TASK/ATTEMPT` for one started by a
 * Cairn before that layout (2026-12-02) that is still there, so that a container a
 * restarted server follows again, or an archive of such a run, finds what it wrote.
 */
export function existingAttemptRoot(dataDir: string, runUuid: string, taskId: string, attempt: number): string {
  const earlier = join(runDir(dataDir, runUuid), taskId, String(attempt));
  return existsSync(earlier) ? earlier : attemptRoot(dataDir, runUuid, taskId, attempt);
}

/**
 * Makes `runs/RUN/TASK@ATTEMPT/{inputs,outputs,outbox}` (inputs only for an attempt with
 * inputs: see AttemptFolderOptions.noInputs) and the extra folders. Folders that
 * exist already are kept: a resumed attempt's container still has them mounted.
 */
export function makeAttemptFolders(dataDir: string, runUuid: string, taskId: string, attempt: number, options: AttemptFolderOptions): AttemptFolders {
  const plan = planAttemptFolders(dataDir, runUuid, taskId, attempt, options);
  for (const { path, mode } of plan.dirs) ensureDir(path, mode);
  if (plan.openOutbox) chmodSync(plan.folders.outbox, 0o777);
  return plan.folders;
}

/**
 * makeAttemptFolders through libuv's thread pool, for folders made ahead of the start
 * (folders-ahead.ts): the system calls run on a pool thread, not the engine's. The
 * attempt's own folders are made side by side once their parents are there.
 */
export async function makeAttemptFoldersInPool(dataDir: string, runUuid: string, taskId: string, attempt: number, options: AttemptFolderOptions): Promise<AttemptFolders> {
  const plan = planAttemptFolders(dataDir, runUuid, taskId, attempt, options);
  const [root, ...inside] = plan.dirs;
  await ensureDirInPool(root!.path);
  await Promise.all(inside.map(({ path, mode }) => ensureDirInPool(path, mode)));
  if (plan.openOutbox) await chmod(plan.folders.outbox, 0o777);
  return plan.folders;
}

interface AttemptFolderPlan {
  folders: AttemptFolders;
  /** In order: the attempt's folder, then the folders in it. */
  dirs: { path: string; mode?: number }[];
  openOutbox: boolean;
}

/** The folders of an attempt whose folder is `root`. */
export function attemptFoldersAt(root: string, noInputs: string | undefined): AttemptFolders {
  return { root, inputs: noInputs ?? join(root, "inputs"), outputs: join(root, "outputs"), outbox: join(root, "outbox") };
}

function planAttemptFolders(dataDir: string, runUuid: string, taskId: string, attempt: number, options: AttemptFolderOptions): AttemptFolderPlan {
  const root = options.root ?? attemptRoot(dataDir, runUuid, taskId, attempt);
  const folders = attemptFoldersAt(root, options.noInputs);
  const dirs: AttemptFolderPlan["dirs"] = [{ path: root }];
  if (options.noInputs === undefined) dirs.push({ path: folders.inputs });
  dirs.push({ path: folders.outputs, mode: 0o777 }, { path: folders.outbox });
  for (const name of options.extra) dirs.push({ path: join(root, name) });
  // mkdir's mode is narrowed by the umask; a host process runs as this user and needs no more.
  return { folders, dirs, openOutbox: options.forContainer };
}

/**
 * Opens an input's file for writing without following a link at its name: a resumed
 * attempt writes its inputs again into the folder its task has had.
 */
const INPUT_FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

/** One file per input, named after it. */
export function writeInputs(inputsDir: string, inputs: Record<string, string>): void {
  for (const [name, value] of Object.entries(inputs)) {
    const fd = openSync(join(inputsDir, name), INPUT_FILE_FLAGS, 0o666);
    try {
      writeFileSync(fd, value);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * mkdir that tolerates an existing dir, in one system call when the parent exists (the
 * usual case here). `recursive: true` tries the whole path first and climbs up on each
 * ENOENT, which made 8 mkdir calls per function attempt where this makes 6; one mkdir
 * costs 0.03-0.2 ms on the development machines' ext4, and 0.6-1.5 ms under their /tmp.
 */
export function ensureDir(path: string, mode?: number): void {
  try {
    mkdirSync(path, { mode });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") mkdirSync(path, { recursive: true, mode });
    else if (code !== "EEXIST") throw err;
  }
}

/** ensureDir through the thread pool. */
async function ensureDirInPool(path: string, mode?: number): Promise<void> {
  try {
    await mkdir(path, { mode });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") await mkdir(path, { recursive: true, mode });
    else if (code !== "EEXIST") throw err;
  }
}

/** What a task left in its outputs folder. */
export interface OutputFiles {
  /** The content of each file, by name. */
  values: Record<string, string>;
  /** Whether every entry of the folder is in `values` (none too large, no folder). */
  complete: boolean;
}

/**
 * Reads the files a task wrote to its outputs folder, by name. Nothing is followed
 * (task-file-reader.ts): an output that is a symbolic link, to a file or a folder, or
 * that is a pipe, socket or device, fails the attempt with a message naming it, and so
 * does an outputs folder that is itself a link. A folder in it is no output and is left
 * as it is. No output is read past MAX_OUTPUT_VALUE_BYTES.
 */
export function collectOutputs(outputsDir: string, warn: (message: string) => void): OutputFiles {
  const values: Record<string, string> = {};
  let folder: TaskFolder | undefined;
  try {
    folder = TaskFolder.openSync(dirname(outputsDir), basename(outputsDir));
  } catch (err) {
    if (isTaskFileRefused(err)) throw new TaskFailure(`the outputs folder is a ${err.kind}, not a folder; outputs must be regular files in it`, { retryable: false });
    return { values, complete: false };
  }
  if (folder === undefined) return { values, complete: false };
  try {
    let complete = true;
    for (const entry of folder.entriesSync().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const { name } = entry;
      if (entry.isDirectory()) {
        complete = false;
        continue;
      }
      if (!entry.isFile()) throw notAnOutput(name, kindOf(entry));
      let read: ReturnType<TaskFolder["readFileSync"]>;
      try {
        read = folder.readFileSync(name, MAX_OUTPUT_VALUE_BYTES);
      } catch (err) {
        // Swapped for a link or a pipe since it was listed.
        if (isTaskFileRefused(err)) throw notAnOutput(name, err.kind);
        throw err;
      }
      if ("tooLarge" in read) {
        warn(`output '${name}' is ${read.tooLarge} bytes, over the ${MAX_OUTPUT_VALUE_BYTES}-byte limit for values passed between tasks; it was not recorded`);
        complete = false;
        continue;
      }
      values[name] = read.content.toString("utf8");
    }
    return { values, complete };
  } finally {
    folder.closeSync();
  }
}

/** Not retried: a task that hands back a link would hand it back again. */
function notAnOutput(name: string, kind: string): TaskFailure {
  return new TaskFailure(`output '${name}' is a ${kind}; outputs must be regular files`, { retryable: false });
}
