import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AttemptPaths } from "../tasks/task-handler.js";
import { prepareOutbox } from "./result-files.js";
import { removeRunDir, runDir } from "./run-dir.js";
import { prepareInbox } from "./run-inbox.js";

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

/**
 * Creates `runs/RUN/TASK/ATTEMPT/{inputs,outputs}`, writes one file per input, and finds
 * the task's inbox (its attachments) and the attempt's outbox (its results).
 */
export async function prepareAttempt(
  dataDir: string,
  runUuid: string,
  taskId: string,
  attempt: number,
  inputs: Record<string, string>,
): Promise<AttemptPaths> {
  const root = join(runDir(dataDir, runUuid), taskId, String(attempt));
  const inputsDir = join(root, "inputs");
  const outputsDir = join(root, "outputs");
  // Never cleared: each attempt has its own folder, and a resumed attempt's container
  // still has this one mounted.
  ensureDir(join(runDir(dataDir, runUuid), taskId));
  ensureDir(root);
  ensureDir(inputsDir);
  // Containers may run as another user than the server: let them write their outputs.
  ensureDir(outputsDir, 0o777);
  for (const [name, value] of Object.entries(inputs)) writeFileSync(join(inputsDir, name), value);
  const inbox = await prepareInbox(dataDir, runUuid, taskId);
  const outbox = prepareOutbox(dataDir, runUuid, taskId, attempt);
  return { root, inputs: inputsDir, outputs: outputsDir, inbox, outbox };
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

/** Reads the files a task wrote to its outputs folder, by name. */
export async function collectOutputs(
  outputsDir: string,
  warn: (message: string) => void,
): Promise<Record<string, string>> {
  const outputs: Record<string, string> = {};
  let names: string[];
  try {
    names = readdirSync(outputsDir);
  } catch {
    return outputs;
  }
  for (const name of names.sort()) {
    const file = join(outputsDir, name);
    const info = statSync(file);
    if (!info.isFile()) continue;
    if (info.size > MAX_OUTPUT_VALUE_BYTES) {
      warn(`output '${name}' is ${info.size} bytes, over the ${MAX_OUTPUT_VALUE_BYTES}-byte limit for values passed between tasks; it was not recorded`);
      continue;
    }
    outputs[name] = readFileSync(file, "utf8");
  }
  return outputs;
}
