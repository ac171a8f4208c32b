import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, renameSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { ensureDir } from "../../workspace/attempt-files.js";
import { runDir } from "../../workspace/run-dir.js";

/**
 * A function's code folder, `runs/RUN/.code/KEY`, written once per run for each distinct
 * content and shared by every attempt that runs it: the tasks of a fan or a retried task
 * run the same code, and a folder and a file of their own cost each attempt two new inodes
 * (0.05-0.7 ms of system CPU each on the development machines), on the path between a
 * task's end and its dependent's start.
 *
 * `key` must name everything `write` puts in the folder (the code, the command, the
 * paths the wrapper and links point at). `write` gets the draft folder to write in and
 * the folder's final path, which what it writes may name. The folder is written under a temporary name and
 * renamed into place, so an attempt never sees a half-written one: when two attempts
 * write the same key at once, the first rename wins and the other's copy is removed.
 * The name starts with a dot, which no task id does (spec/schema.ts), so it is no task's
 * folder. Its files are read-only, so that a host process does not change the code that
 * the run's other tasks are about to run by mistake (a container mounts it read-only).
 */
export async function sharedCodeDir(dataDir: string, runUuid: string, key: string, write: (draft: string, final: string) => Promise<void>): Promise<string> {
  const codeRoot = join(runDir(dataDir, runUuid), ".code");
  const dir = join(codeRoot, key);
  if (existsSync(dir)) return dir;
  ensureDir(codeRoot);
  const draft = mkdtempSync(join(codeRoot, ".draft-"));
  try {
    await write(draft, dir);
    // mkdtemp makes it 0700; a container's process may run as another user, and must read it.
    chmodSync(draft, 0o755);
    renameSync(draft, dir);
  } catch (err) {
    await rm(draft, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    // Another attempt's copy was renamed into place first: it has the same content.
    if ((code === "ENOTEMPTY" || code === "EEXIST") && existsSync(dir)) return dir;
    throw err;
  }
  return dir;
}

/** A key for sharedCodeDir: a digest of the parts, each length-prefixed so that no two lists give the same text. */
export function codeKey(parts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:${part}`);
  return hash.digest("hex").slice(0, 32);
}
