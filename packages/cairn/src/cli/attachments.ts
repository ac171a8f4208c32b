import { copyFile, constants, mkdir, readdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ATTACHMENTS_FOR_ALL, ATTACHMENTS_FOR_TASKS, newStagingDir } from "../workspace/run-inbox.js";
import { ValidationError, type Issue } from "../errors.js";
import { ID_PATTERN } from "../spec/schema.js";
import { AttachmentSet } from "../spec/attachment-names.js";

/**
 * `cairn run … --attach PATH` and `--attach TASK=PATH`, repeatable: a file goes to
 * /inbox/NAME (its base name), a folder's regular files to /inbox/FOLDER/…; with TASK=,
 * to that task's inbox only.
 */

export interface AttachmentSource {
  /** Its path under /inbox. */
  name: string;
  /** Only this task's inbox; every task's when absent. */
  task?: string;
  /** The file on this machine. */
  path: string;
}

const TASK_FORM = /^([^=/]+)=(.+)$/s;

/** The files the `--attach` arguments name, checked as the server would check them; every problem is listed. */
export async function resolveAttachments(args: readonly string[], taskIds?: ReadonlySet<string>): Promise<AttachmentSource[]> {
  const issues: Issue[] = [];
  const sources: AttachmentSource[] = [];
  const names = new AttachmentSet();
  for (const arg of args) {
    // An existing path wins over the TASK=PATH reading, so a file named `a=b` still works.
    let task: string | undefined;
    let path = arg;
    let info = await stat(arg).catch(() => undefined);
    const form = TASK_FORM.exec(arg);
    if (!info && form && ID_PATTERN.test(form[1]!)) {
      task = form[1]!;
      path = form[2]!;
      info = await stat(path).catch(() => undefined);
    }
    if (!info) {
      issues.push({ path: arg, message: "no such file or folder" });
      continue;
    }
    if (task !== undefined && taskIds && !taskIds.has(task)) {
      issues.push({ path: arg, message: `the pipeline has no task '${task}'` });
      continue;
    }
    const files = info.isDirectory() ? await filesUnder(path, basename(resolve(path))) : [{ name: basename(resolve(path)), path }];
    for (const file of files) {
      const problem = names.add(task === undefined ? {} : { task }, file.name);
      if (problem !== undefined) issues.push({ path: arg, message: problem });
      else sources.push({ ...file, ...(task === undefined ? {} : { task }) });
    }
  }
  if (issues.length > 0) throw new ValidationError("--attach", issues);
  return sources;
}

/** Regular files under a folder, named `PREFIX/relative/path`; links are not followed. */
async function filesUnder(dir: string, prefix: string): Promise<{ name: string; path: string }[]> {
  const found: { name: string; path: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path, `${prefix}/${entry.name}`)));
    else if (entry.isFile()) found.push({ name: `${prefix}/${entry.name}`, path });
  }
  return found;
}

/**
 * Copies the files into a staging folder laid out as the engine takes it (run-inbox.ts),
 * for a local run. A copy-on-write clone where the file system has them.
 */
export async function stageAttachments(dataDir: string, sources: readonly AttachmentSource[]): Promise<string> {
  const staging = await newStagingDir(dataDir);
  try {
    for (const source of sources) {
      const scope = source.task === undefined ? [ATTACHMENTS_FOR_ALL] : [ATTACHMENTS_FOR_TASKS, source.task];
      const target = join(staging, ...scope, ...source.name.split("/"));
      await mkdir(dirname(target), { recursive: true });
      await copyFile(source.path, target, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
    }
    return staging;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}
