import { createHash, randomUUID } from "node:crypto";
import { constants, createWriteStream, existsSync } from "node:fs";
import { copyFile, lstat, mkdir, readdir, rename, rm } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CairnError } from "../errors.js";
import { listResultFiles } from "./result-files.js";

/**
 * The task cache's objects: result files kept by their content's sha256, shared by every
 * entry that has the same bytes (docs/task-cache.md):
 *
 *   DATA_DIR/cache/sha256/AB/ABCDEF…   one file per object, read-only
 *   DATA_DIR/cache/tmp/                objects being written (renamed into place when complete)
 *
 * Objects are written by the server from a finished attempt's results (read without
 * following links, as results are served), and copied out into a new results folder
 * that the server makes: a task never writes here, and a restored file is never a link.
 */

/** One result file of a cache entry: where it goes under the results folder, and the object holding its bytes. */
export interface CachedFile {
  /** Relative, `/` between folders, no `.` or `..` segment. */
  path: string;
  /** `sha256:` and 64 hex digits. */
  digest: string;
  size: number;
}

const DIGEST = /^sha256:([0-9a-f]{64})$/;

export function cacheRoot(dataDir: string): string {
  return join(dataDir, "cache");
}

export function cacheObjectPath(dataDir: string, digest: string): string {
  const hex = DIGEST.exec(digest)?.[1];
  if (hex === undefined) throw new CairnError("internal", `not a cache object digest: '${digest}'`);
  return join(cacheRoot(dataDir), "sha256", hex.slice(0, 2), hex);
}

/** An object an entry names is not on disk (deleted by hand, or by a sweep racing the entry's store): the entry is unusable. */
export class CacheObjectMissing extends CairnError {
  constructor(readonly digest: string) {
    super("not_found", `cache object ${digest} is missing`);
    this.name = "CacheObjectMissing";
  }
}

/**
 * Keeps every result file under `resultsDir` as an object (those already kept are not
 * written again) and answers what an entry needs to restore them. Links, sockets and the
 * like are left out, as they are when results are served (result-files.ts).
 */
export async function keepResultFiles(dataDir: string, resultsDir: string): Promise<CachedFile[]> {
  if (!existsSync(resultsDir)) return [];
  const kept: CachedFile[] = [];
  const tmpDir = join(cacheRoot(dataDir), "tmp");
  await mkdir(tmpDir, { recursive: true });
  for (const file of await listResultFiles(resultsDir)) {
    const tmp = join(tmpDir, `${process.pid}-${randomUUID()}`);
    const hash = createHash("sha256");
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(await file.open(), hashing, createWriteStream(tmp, { flags: "wx", mode: 0o444 }));
      const digest = `sha256:${hash.digest("hex")}`;
      const target = cacheObjectPath(dataDir, digest);
      if (existsSync(target)) await rm(tmp, { force: true });
      else {
        await mkdir(dirname(target), { recursive: true });
        await rename(tmp, target);
      }
      kept.push({ path: file.path, digest, size });
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
  return kept;
}

/**
 * Writes an entry's result files into `targetDir`, which must not exist yet: it is made
 * here, so nothing in it can be a link, and each file is created new (never through an
 * existing path). A path that would leave the folder is refused.
 * @throws CacheObjectMissing when an object is gone
 */
export async function restoreResultFiles(dataDir: string, files: readonly CachedFile[], targetDir: string): Promise<void> {
  if (files.length === 0) return;
  const root = resolve(targetDir);
  await mkdir(dirname(root), { recursive: true });
  await mkdir(root);
  for (const file of files) {
    const segments = file.path.split("/");
    if (file.path === "" || segments.some((s) => s === "" || s === "." || s === "..")) {
      throw new CairnError("internal", `cache entry names a result file outside its folder: '${file.path}'`);
    }
    const dest = join(root, ...segments);
    if (!dest.startsWith(root + sep)) throw new CairnError("internal", `cache entry names a result file outside its folder: '${file.path}'`);
    const source = cacheObjectPath(dataDir, file.digest);
    await mkdir(dirname(dest), { recursive: true });
    try {
      // A copy, not a link: results can be masked, archived or deleted with their run, and the object must not change with them.
      await copyFile(source, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" && !existsSync(source)) throw new CacheObjectMissing(file.digest);
      throw err;
    }
  }
}

/** Whether every object of the list is on disk. */
export function cacheObjectsPresent(dataDir: string, files: readonly CachedFile[]): boolean {
  return files.every((f) => existsSync(cacheObjectPath(dataDir, f.digest)));
}

export async function removeCacheObjects(dataDir: string, digests: readonly string[]): Promise<void> {
  for (const digest of digests) await rm(cacheObjectPath(dataDir, digest), { force: true });
}

/**
 * Every object on disk, by digest. A folder under sha256/ that is not two hex digits, or
 * a name that is not a digest, is not Cairn's and is left alone.
 */
export async function listCacheObjects(dataDir: string): Promise<string[]> {
  const base = join(cacheRoot(dataDir), "sha256");
  if (!existsSync(base)) return [];
  const found: string[] = [];
  for (const prefix of await readdir(base)) {
    if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
    const dir = join(base, prefix);
    if (!(await lstat(dir)).isDirectory()) continue;
    for (const name of await readdir(dir)) if (/^[0-9a-f]{64}$/.test(name) && name.startsWith(prefix)) found.push(`sha256:${name}`);
  }
  return found;
}

/** Objects a dead process left half-written. */
export async function removeStaleCacheTemps(dataDir: string): Promise<void> {
  const tmpDir = join(cacheRoot(dataDir), "tmp");
  if (!existsSync(tmpDir)) return;
  for (const name of await readdir(tmpDir)) {
    const pid = Number(name.split("-")[0]);
    if (pid === process.pid || (Number.isInteger(pid) && isAlive(pid))) continue;
    await rm(join(tmpDir, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
