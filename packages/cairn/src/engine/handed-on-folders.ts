import { lstatSync, readdirSync, renameSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { attemptFoldersAt, attemptRoot, type AttemptFolderOptions, type AttemptFolders } from "../workspace/attempt-files.js";

/**
 * Attempt folders handed from an attempt that ended to a later attempt of the same run,
 * instead of making new ones.
 *
 * Why: a new folder is a new inode, and on ext4 a new inode gets slow when many were made
 * and deleted shortly before, which is what a workflow engine does all day: on the
 * development machines one costs from 0.015 ms to 0.35 ms of system CPU by the moment (the
 * allocator skips recently freed inodes, and reads their inode table blocks to know), so
 * an attempt's four folders cost up to 1.4 ms, a third of the engine's CPU per task in a
 * fan of host tasks. A rename, an unlink, a readdir or an lstat cost 0.01-0.03 ms whatever
 * the moment. Handing folders on makes no new inode per attempt at all.
 *
 * Only folders that hold nothing anybody could still want are handed on: a host attempt
 * (no container has them mounted) without inputs of its own, that succeeded, whose process
 * left nothing running that could still write to them, whose outbox and extra folders
 * (`work/`) are empty, and whose outputs folder holds only files whose content the engine
 * recorded (they are deleted; the store has them). Each folder must still be a directory of
 * this user with the mode it was made with: a task that replaced one with a link, or
 * changed its mode, keeps its folders. A run whose working folders are kept for people to
 * look at (CAIRN_KEEP_WORK_DIRS) hands nothing on: each attempt keeps its own folder.
 */
export class HandedOnFolders {
  /** Per run, per shape (shapeOf), the attempt folders ready for another attempt. */
  private readonly byRun = new Map<string, Map<string, string[]>>();

  /** At most this many folders wait per run and shape; one more stays where it is. */
  constructor(private readonly perShape = 16) {}

  /**
   * Offers the folders of an attempt that ended well to later attempts of alike shape,
   * once they are checked and emptied. The caller read the outputs and outbox folders
   * already: `outputFiles` is all the outputs folder holds, each file's content recorded,
   * and the outbox was empty. Returns whether they were taken.
   */
  offer(runUuid: string, options: AttemptFolderOptions, folders: AttemptFolders, outputFiles: readonly string[]): boolean {
    const shape = shapeOf(options);
    if (shape === undefined) return false;
    let shapes = this.byRun.get(runUuid);
    if (shapes === undefined) this.byRun.set(runUuid, (shapes = new Map()));
    let waiting = shapes.get(shape);
    if (waiting === undefined) shapes.set(shape, (waiting = []));
    if (waiting.length >= this.perShape || !emptyForAnother(folders, options.extra, outputFiles)) return false;
    waiting.push(folders.root);
    return true;
  }

  /**
   * Folders for a new attempt from one that ended, renamed to the new attempt's name;
   * undefined when none of its shape is waiting (or the rename failed: then new ones are made).
   */
  take(dataDir: string, runUuid: string, taskId: string, attempt: number, options: AttemptFolderOptions): AttemptFolders | undefined {
    const shape = shapeOf(options);
    if (shape === undefined) return undefined;
    const from = this.byRun.get(runUuid)?.get(shape)?.pop();
    if (from === undefined) return undefined;
    const root = attemptRoot(dataDir, runUuid, taskId, attempt);
    try {
      renameSync(from, root);
    } catch {
      return undefined;
    }
    return attemptFoldersAt(root, options.noInputs);
  }

  /** Forgets an ended run's folders: they go with its working folder. */
  forget(runUuid: string): void {
    this.byRun.delete(runUuid);
  }
}

/**
 * Attempts whose folders are alike: on the host (a container's folders are made writable
 * for everyone, and a container may still hold them), without inputs of their own (an
 * inputs folder would need emptying too), in the usual place, with the same extra folders.
 */
function shapeOf(options: AttemptFolderOptions): string | undefined {
  if (options.forContainer || options.noInputs === undefined || options.root !== undefined) return undefined;
  return options.extra.join("/");
}

/** The mode a folder made with mkdir's default has here. */
let plainFolderMode: number | undefined;

/**
 * Checks that the folders the task had are as they were made and that the extra ones
 * are empty, then deletes the output files. (The attempt's own folder is not the task's:
 * nothing in it but these folders is read.)
 */
function emptyForAnother(folders: AttemptFolders, extra: readonly string[], outputFiles: readonly string[]): boolean {
  // Read once: a server sets its umask at start, before any attempt.
  plainFolderMode ??= 0o777 & ~process.umask();
  const extraDirs = extra.map((name) => join(folders.root, name));
  try {
    for (const dir of [folders.outputs, folders.outbox, ...extraDirs]) {
      const info = lstatSync(dir);
      if (!info.isDirectory() || info.uid !== process.getuid?.() || (info.mode & 0o7777) !== plainFolderMode) return false;
    }
    for (const dir of extraDirs) if (readdirSync(dir).length > 0) return false;
    for (const name of outputFiles) unlinkSync(join(folders.outputs, name));
    return true;
  } catch {
    // Whatever could not be read or deleted stays as it is, with its attempt.
    return false;
  }
}
