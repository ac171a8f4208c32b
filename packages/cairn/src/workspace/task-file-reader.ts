import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readdirSync, readSync, type Dirent, type Stats } from "node:fs";
import { lstat, open, readdir, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { CairnError } from "../errors.js";

/*
 * Reading what a task hands back: its outputs, its results (the outbox), the large
 * outputs an archive copies. A task is hostile code, and the server reads these files
 * with its own rights (often root's): a file a task replaced with a symbolic link to
 * /etc/shadow or DATA_DIR/secret.key, or an `outputs` folder it replaced with a link to
 * /etc, must never lead the server there.
 *
 * So every name a task could have made is opened with O_NOFOLLOW, one at a time, each
 * inside the folder opened before it: the folder the walk starts from (`base`, the
 * attempt's folder or a results folder) is the server's own and is opened as it is
 * (DATA_DIR may well be a link an operator made), and from there no link is followed,
 * whether it is the last name or a folder on the way. Only regular files are read, and
 * no more bytes than the caller allows.
 *
 * The first name is opened by its whole path, `base/NAME` with O_NOFOLLOW: what leads to
 * `base` is the server's, and no task can change it. (It saves an open and a close per
 * attempt, where the attempt's own file operations are counted in microseconds:
 * attempt-files.ts.)
 *
 * Node has no openat(2), so a later name is opened inside a folder through that folder's
 * descriptor, as `/proc/self/fd/FD/NAME`: the kernel resolves `/proc/self/fd/FD` to the
 * very folder that was opened, not to a path that could since have been swapped for a
 * link, and O_NOFOLLOW holds for NAME. This is race-free where checking each name with
 * lstat and then opening the whole path is not (a process the task left running could
 * swap a folder for a link between the two). It needs Linux's /proc, which Cairn's
 * runtimes need already (Podman, cgroups, /proc/PID for usage).
 */

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;

/** The server's own folder: followed if it is a link. */
const BASE_FLAGS = O_RDONLY | O_DIRECTORY;
/** A task's folder: never a link. */
const FOLDER_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
/**
 * A task's file: never a link; O_NONBLOCK so that opening a named pipe the task left
 * does not wait for a writer (it is refused once open, as anything not a regular file
 * is), O_NOCTTY so that a terminal device never becomes the server's.
 */
const FILE_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;

/** Folders deeper than this under a listed folder are left out (a task can nest folders without end). */
export const MAX_FOLDER_DEPTH = 64;

export type TaskFileProblem = "link" | "not_regular" | "not_folder" | "outside";

/** A path a task handed back that is not read: a link, not a regular file (or folder), or a name that leads outside. */
export class TaskFileRefused extends CairnError {
  override name = "TaskFileRefused";
  /** The path as given, relative to the folder the walk started from. */
  readonly path: string;
  readonly problem: TaskFileProblem;
  /** What is there: "symbolic link", "named pipe", "folder", ... */
  readonly kind: string;

  constructor(path: string, problem: TaskFileProblem, kind: string) {
    super("task_failed", refusalMessage(path, problem, kind));
    this.path = path;
    this.problem = problem;
    this.kind = kind;
  }
}

function refusalMessage(path: string, problem: TaskFileProblem, kind: string): string {
  switch (problem) {
    case "link":
      return `'${path}' is a symbolic link; links are never followed`;
    case "not_regular":
      return `'${path}' is a ${kind}, not a regular file`;
    case "not_folder":
      return `'${path}' is a ${kind}, not a folder`;
    case "outside":
      return `'${path}' is not a path inside the task's folder`;
  }
}

export function isTaskFileRefused(err: unknown): err is TaskFileRefused {
  return err instanceof Error && err.name === "TaskFileRefused";
}

/** What a directory entry or a file's status says is there. */
export function kindOf(entry: Dirent | Stats): string {
  if (entry.isFile()) return "regular file";
  if (entry.isDirectory()) return "folder";
  if (entry.isSymbolicLink()) return "symbolic link";
  if (entry.isFIFO()) return "named pipe";
  if (entry.isSocket()) return "socket";
  if (entry.isCharacterDevice()) return "character device";
  if (entry.isBlockDevice()) return "block device";
  return "file of unknown type";
}

let procChecked = false;

/** `NAME` inside the folder open as `fd`, without following a link at NAME. */
function inside(fd: number, name?: string): string {
  if (!procChecked) {
    if (!existsSync("/proc/self/fd")) throw new CairnError("internal", "reading a task's files without following links needs Linux's /proc/self/fd, which this system does not have");
    procChecked = true;
  }
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/**
 * The names of a relative path, each one name of a folder (no '/', '.', '..' or empty
 * name): a path of a task's is never resolved by the kernel as a whole.
 */
export function namesOf(path: string): string[] {
  if (path === "") return [];
  const names = path.split("/");
  if (names.some((n) => n === "" || n === "." || n === ".." || n.includes("\0"))) throw new TaskFileRefused(path, "outside", "path");
  return names;
}

/** Why a name that was to be a folder could not be opened as one; the error itself when it was not the task's doing. */
function folderRefusal(err: unknown, what: () => Stats | undefined, path: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== "ENOTDIR" && code !== "ELOOP") return err;
  // With O_DIRECTORY a link is ENOTDIR, like a file: the entry itself tells which.
  const info = what();
  if (info === undefined) return err;
  return info.isSymbolicLink() ? new TaskFileRefused(path, "link", "symbolic link") : new TaskFileRefused(path, "not_folder", kindOf(info));
}

function fileRefusal(err: unknown, path: string): unknown {
  return (err as NodeJS.ErrnoException).code === "ELOOP" ? new TaskFileRefused(path, "link", "symbolic link") : err;
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ENOENT";
}

function lstatOrNothing(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * A task's folder, open: what is read in it is found by its descriptor, never through a
 * link. Synchronous, for the engine's own reading of an attempt's outputs (attempt-files.ts
 * says why the attempt's file operations are).
 */
export class TaskFolder {
  private constructor(
    private fd: number,
    /** Its path relative to the base it was opened from, for messages. */
    readonly path: string,
  ) {}

  /**
   * Opens `base/path`: `base` is the server's own folder, `path` names of a task's, none
   * of which may be a link. Undefined when it is not there.
   */
  static openSync(base: string, path: string): TaskFolder | undefined {
    const names = namesOf(path);
    let fd: number;
    try {
      fd = openSync(names.length === 0 ? base : join(base, names[0]!), names.length === 0 ? BASE_FLAGS : FOLDER_FLAGS);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw folderRefusal(err, () => lstatOrNothing(join(base, names[0]!)), names[0]!);
    }
    try {
      for (let i = 1; i < names.length; i++) {
        let next: number;
        try {
          next = openSync(inside(fd, names[i]), FOLDER_FLAGS);
        } catch (err) {
          if (isMissing(err)) return void closeSync(fd);
          const at = names.slice(0, i + 1).join("/");
          const opened = fd;
          throw folderRefusal(err, () => lstatOrNothing(inside(opened, names[i])), at);
        }
        closeSync(fd);
        fd = next;
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return new TaskFolder(fd, path);
  }

  /** Its entries as they are: a Dirent describes the entry itself, never what a link points to. */
  entriesSync(): Dirent[] {
    return readdirSync(inside(this.fd), { withFileTypes: true });
  }

  /**
   * The content of the regular file NAME in it, or its size when it has more than
   * `maxBytes` (then no byte is read past the limit, even of a file that grows meanwhile).
   */
  readFileSync(name: string, maxBytes: number): { content: Buffer } | { tooLarge: number } {
    const names = namesOf(name);
    const path = this.path === "" ? name : `${this.path}/${name}`;
    if (names.length !== 1) throw new TaskFileRefused(path, "outside", "path");
    let fd: number;
    try {
      fd = openSync(inside(this.fd, name), FILE_FLAGS);
    } catch (err) {
      throw fileRefusal(err, path);
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) throw new TaskFileRefused(path, "not_regular", kindOf(info));
      if (info.size > maxBytes) return { tooLarge: info.size };
      const content = readUpTo(fd, maxBytes, info.size);
      return content === undefined ? { tooLarge: maxBytes + 1 } : { content };
    } finally {
      closeSync(fd);
    }
  }

  closeSync(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** At most `limit` bytes from `fd`, undefined if there are more; `expected` is its size when opened. */
function readUpTo(fd: number, limit: number, expected: number): Buffer | undefined {
  // One byte more than expected, to see the end in the same read when the size held.
  let buffer = Buffer.allocUnsafe(Math.min(expected, limit) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > limit) return undefined;
      const larger = Buffer.allocUnsafe(Math.min(buffer.length * 2, limit + 1));
      buffer.copy(larger, 0, 0, length);
      buffer = larger;
    }
    const read = readSync(fd, buffer, length, buffer.length - length, null);
    if (read === 0) return buffer.subarray(0, length);
    length += read;
  }
}

/** One regular file found under a task's folder. */
export interface TaskFileInfo {
  /** Relative to the folder listed, `/` between folders. */
  path: string;
  size: number;
  mtime: Date;
}

/**
 * Opens `base/path` as a task's folder, through the thread pool: none of the names of
 * `path` may be a link. Undefined when it is not there.
 */
async function openFolder(base: string, path: string): Promise<FileHandle | undefined> {
  const names = namesOf(path);
  let dir: FileHandle;
  try {
    dir = await open(names.length === 0 ? base : join(base, names[0]!), names.length === 0 ? BASE_FLAGS : FOLDER_FLAGS);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw folderRefusal(err, () => lstatOrNothing(join(base, names[0]!)), names[0]!);
  }
  for (let i = 1; i < names.length; i++) {
    let next: FileHandle;
    try {
      next = await open(inside(dir.fd, names[i]), FOLDER_FLAGS);
    } catch (err) {
      const refusal = folderRefusal(err, () => lstatOrNothing(inside(dir.fd, names[i])), names.slice(0, i + 1).join("/"));
      await dir.close();
      if (isMissing(err)) return undefined;
      throw refusal;
    }
    await dir.close();
    dir = next;
  }
  return dir;
}

/**
 * The regular files under `base/path`, in name order, folders walked up to
 * MAX_FOLDER_DEPTH deep. Links (to files or folders, `path` itself included), pipes,
 * sockets and devices are left out: results and large outputs are copied as they are,
 * and a task's link has nothing in them to copy.
 */
export async function listTaskFiles(base: string, path: string, options: { depth?: number } = {}): Promise<TaskFileInfo[]> {
  let root: FileHandle | undefined;
  try {
    root = await openFolder(base, path);
  } catch (err) {
    if (isTaskFileRefused(err)) return [];
    throw err;
  }
  if (root === undefined) return [];
  const found: TaskFileInfo[] = [];
  try {
    await walk(root, "", Math.min(options.depth ?? MAX_FOLDER_DEPTH, MAX_FOLDER_DEPTH), found);
  } finally {
    await root.close();
  }
  return found;
}

async function walk(dir: FileHandle, prefix: string, depth: number, found: TaskFileInfo[]): Promise<void> {
  const entries = await readdir(inside(dir.fd), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = prefix + entry.name;
    if (entry.isDirectory() && depth > 0) {
      // Opened without following: a folder swapped for a link since it was listed is left out.
      const sub = await open(inside(dir.fd, entry.name), FOLDER_FLAGS).catch(() => undefined);
      if (sub === undefined) continue;
      try {
        await walk(sub, `${path}/`, depth - 1, found);
      } finally {
        await sub.close();
      }
    } else if (entry.isFile()) {
      const info = await lstat(inside(dir.fd, entry.name)).catch(() => undefined);
      if (info?.isFile()) found.push({ path, size: info.size, mtime: info.mtime });
    }
  }
}

/**
 * A stream of the regular file `base/path`, no link followed on the way, of at most
 * `size` bytes (its size when it was listed: a file that grew since is cut there).
 */
export async function openTaskFile(base: string, path: string, size: number): Promise<Readable> {
  const names = namesOf(path);
  const name = names.pop();
  if (name === undefined) throw new TaskFileRefused(path, "outside", "path");
  const dir = await openFolder(base, names.join("/"));
  if (dir === undefined) throw Object.assign(new Error(`'${path}' is no longer there`), { code: "ENOENT" });
  let file: FileHandle;
  try {
    file = await open(inside(dir.fd, name), FILE_FLAGS).catch((err: unknown) => {
      throw fileRefusal(err, path);
    });
  } finally {
    await dir.close();
  }
  const info = await file.stat();
  if (!info.isFile()) {
    await file.close();
    throw new TaskFileRefused(path, "not_regular", kindOf(info));
  }
  if (size <= 0) {
    await file.close();
    return Readable.from([]);
  }
  return file.createReadStream({ start: 0, end: size - 1 });
}
