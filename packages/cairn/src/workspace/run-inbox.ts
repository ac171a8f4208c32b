import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { TaskFailure } from "../errors.js";
import { linkTree } from "../link-tree.js";
import { makeRunEmptyDir, runDir } from "./run-dir.js";
import { kindOf } from "./task-file-reader.js";

/**
 * A run's attachments and each task's view of them. Uploads arrive in a staging folder
 * laid out as
 *
 *   all/PATH          a file for every task
 *   tasks/TASK/PATH   a file for one task only
 *
 * which `adoptAttachments` moves into the run's folder (`runs/RUN/attachments`) before the
 * run is recorded. A task's inbox (`runs/RUN/inbox/TASK`, mounted read-only at /inbox) is
 * made when its first attempt starts, of hard links to those files: no byte is copied,
 * and a task without attachments gets an empty folder.
 */

export const ATTACHMENTS_FOR_ALL = "all";
export const ATTACHMENTS_FOR_TASKS = "tasks";

export function stagingRoot(dataDir: string): string {
  return join(dataDir, "uploads");
}

/**
 * A new, empty staging folder for one request's uploads, named after this process so
 * that a start-up sweep removes only what a dead process left.
 */
export async function newStagingDir(dataDir: string): Promise<string> {
  const dir = join(stagingRoot(dataDir), `${process.pid}-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** The process that made a staging folder, from its name. */
export function stagingOwner(name: string): number | undefined {
  const pid = Number(/^(\d+)-/.exec(name)?.[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Moves a staged upload into the run's folder (same file system: a rename). */
export async function adoptAttachments(dataDir: string, runUuid: string, staging: string): Promise<void> {
  const dir = runDir(dataDir, runUuid);
  await mkdir(dir, { recursive: true });
  await rename(staging, join(dir, "attachments"));
}

/** Whether the run was started with attachments; they are moved in before the run is recorded, never later. */
export function runHasAttachments(dataDir: string, runUuid: string): boolean {
  return existsSync(join(runDir(dataDir, runUuid), "attachments"));
}

/**
 * The task's inbox folder, made on first use; later attempts share it. In a run without
 * attachments every task's inbox is the run's one empty folder (run-dir.ts). An item of a
 * fan-out (`TASK[INDEX]`) has its own inbox of the files attached for its task (`attachedTo`).
 */
export async function prepareInbox(dataDir: string, runUuid: string, taskId: string, attachedTo = taskId): Promise<string> {
  if (!runHasAttachments(dataDir, runUuid)) return makeRunEmptyDir(dataDir, runUuid);
  const run = runDir(dataDir, runUuid);
  const inbox = join(run, "inbox", taskId);
  // Not followed: a link put in the inbox's place (a host task runs as the server's
  // user) must not become what a container mounts at /inbox.
  const there = await lstat(inbox).catch(() => undefined);
  if (there?.isDirectory()) return inbox;
  if (there !== undefined) throw new TaskFailure(`the inbox of task '${taskId}' is a ${kindOf(there)}, not a folder; links are never followed`, { retryable: false });
  const sources = [join(run, "attachments", ATTACHMENTS_FOR_ALL), join(run, "attachments", ATTACHMENTS_FOR_TASKS, attachedTo)];
  // Built aside and renamed, so a crash never leaves a half inbox that looks whole. A
  // task id starts with a letter or digit, so this name is no task's.
  const building = join(run, "inbox", `.${taskId}.part`);
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true });
  for (const source of sources) await linkTree(source, building);
  await rename(building, inbox);
  return inbox;
}
