import { createWriteStream } from "node:fs";
import { mkdir, realpath, rm, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { CairnError } from "../errors.js";
import { ArchivingError, safeSegments, type ArchiveTarget } from "./archive-target.js";

/**
 * A `local` system's root_dir as segments under its group's systems root
 * (CAIRN_LOCAL_SYSTEMS_ROOT/GROUP_ID). An absolute root_dir must already lie under it; a relative
 * one is taken from it. Either way nothing outside the systems root can be named.
 */
export function localRootSegments(systemsRoot: string, rootDir: string): string[] {
  if (isAbsolute(rootDir)) {
    const inside = relative(systemsRoot, rootDir);
    if (inside === "") return [];
    if (inside.startsWith("..") || isAbsolute(inside)) {
      throw new CairnError("invalid_input", `root_dir '${rootDir}' is outside the group's folder for local systems, '${systemsRoot}' (under CAIRN_LOCAL_SYSTEMS_ROOT)`);
    }
    return safeSegments(inside, "root_dir");
  }
  return safeSegments(rootDir, "root_dir");
}

/**
 * Opens `SYSTEMS_ROOT/ROOT_DIR/ARCHIVE_DIR`, creating it. The folder's real path is
 * checked after creation, so a symbolic link planted on the way cannot lead outside.
 */
export async function openLocalTarget(systemsRoot: string, rootDir: string, archiveDir: string): Promise<ArchiveTarget> {
  const base = join(systemsRoot, ...localRootSegments(systemsRoot, rootDir), ...safeSegments(archiveDir, "archive_dir"));
  try {
    await mkdir(systemsRoot, { recursive: true });
    await mkdir(base, { recursive: true });
  } catch (err) {
    throw new ArchivingError("forbidden", `cannot create ${base}: ${(err as Error).message}`, { retryable: true, cause: err });
  }
  const [realRoot, realBase] = await Promise.all([realpath(systemsRoot), realpath(base)]);
  if (realBase !== realRoot && !realBase.startsWith(realRoot + sep)) {
    throw new ArchivingError("forbidden", `${base} leads outside the local systems root through a symbolic link`, { retryable: false });
  }
  const at = (path: string) => join(realBase, ...safeSegments(path, "path"));
  return {
    location: pathToFileURL(realBase).href,
    async mkdir(path) {
      await mkdir(at(path), { recursive: true });
    },
    async writeFile(path, content: Buffer | Readable) {
      if (Buffer.isBuffer(content)) await writeFile(at(path), content);
      else await pipeline(content, createWriteStream(at(path)));
    },
    async remove(path) {
      await rm(at(path), { force: true });
    },
    async close() {},
  };
}
