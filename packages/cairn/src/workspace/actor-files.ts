import { chmodSync, closeSync, constants, openSync, writeFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { isTaskFileRefused, TaskFolder } from "./task-file-reader.js";
import { ensureDir } from "./attempt-files.js";

/**
 * An actor execution's folder, `actor-executions/UUID/`: `inputs/MSG` (mounted read-only
 * at /cairn/inputs), `outputs/` (mounted at /cairn/outputs, where the actor writes
 * `result`) and `log`, what the container printed. By the execution's uuid alone, so no
 * group or actor id (user input) ever becomes a path; kept until the actor is deleted.
 */

export interface ActorExecutionFolders {
  root: string;
  inputs: string;
  outputs: string;
  /** The container's stdout and stderr, as they came, one file. */
  log: string;
}

/** No more of an execution's log is kept, nor of its result read: both become task outputs, which have this limit (attempt-files.ts). */
export const MAX_ACTOR_FILE_BYTES = 1024 * 1024;

export function actorExecutionsRoot(dataDir: string): string {
  return join(dataDir, "actor-executions");
}

export function actorExecutionFolders(dataDir: string, uuid: string): ActorExecutionFolders {
  const root = join(actorExecutionsRoot(dataDir), uuid);
  return { root, inputs: join(root, "inputs"), outputs: join(root, "outputs"), log: join(root, "log") };
}

/** Makes the folders and writes the message to `inputs/MSG`; the container may run as another user, so `outputs/` is open to all. */
export function makeActorExecutionFolders(dataDir: string, uuid: string, message: string): ActorExecutionFolders {
  const folders = actorExecutionFolders(dataDir, uuid);
  ensureDir(folders.root);
  ensureDir(folders.inputs);
  ensureDir(folders.outputs);
  chmodSync(folders.outputs, 0o777);
  const fd = openSync(join(folders.inputs, "MSG"), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  try {
    writeFileSync(fd, message);
  } finally {
    closeSync(fd);
  }
  return folders;
}

/**
 * What the container wrote to /cairn/outputs/result, read as any task output is
 * (task-file-reader.ts): never through a link, a regular file only, at most
 * MAX_ACTOR_FILE_BYTES. Undefined when it wrote none; `refused` says why one was not read.
 */
export function readActorResult(dataDir: string, uuid: string): { content: Buffer } | { refused: string } | undefined {
  const { root } = actorExecutionFolders(dataDir, uuid);
  let folder: TaskFolder | undefined;
  try {
    folder = TaskFolder.openSync(root, "outputs");
  } catch (err) {
    if (isTaskFileRefused(err)) return { refused: `the outputs folder is a ${err.kind}` };
    throw err;
  }
  if (folder === undefined) return undefined;
  try {
    const read = folder.readFileSync("result", MAX_ACTOR_FILE_BYTES);
    if ("tooLarge" in read) return { refused: `the result is ${read.tooLarge} bytes, over the ${MAX_ACTOR_FILE_BYTES}-byte limit` };
    return read;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if (isTaskFileRefused(err)) return { refused: `the result is a ${err.kind}, not a regular file` };
    throw err;
  } finally {
    folder.closeSync();
  }
}

/** The log as written so far (the server's own file); "" when there is none yet. */
export async function readActorLog(dataDir: string, uuid: string): Promise<string> {
  try {
    return await readFile(actorExecutionFolders(dataDir, uuid).log, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
}

export async function removeActorExecutionFolders(dataDir: string, uuids: readonly string[]): Promise<void> {
  for (const uuid of uuids) await rm(actorExecutionFolders(dataDir, uuid).root, { recursive: true, force: true });
}
