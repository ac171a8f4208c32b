import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AttemptPaths } from "../tasks/task-handler.js";
import { prepareOutbox } from "./result-files.js";
import { removeRunDir, runDir } from "./run-dir.js";
import { prepareInbox } from "./run-inbox.js";

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
  // still has this one mounted. The four folders are made side by side: each file system
  // call is a trip to libuv's thread pool, and in a chain they add up per task.
  const [, , inbox, outbox] = await Promise.all([
    mkdir(inputsDir, { recursive: true }).then(() => Promise.all(Object.entries(inputs).map(([name, value]) => writeFile(join(inputsDir, name), value)))),
    // Containers may run as another user than the server: let them write their outputs.
    mkdir(outputsDir, { recursive: true, mode: 0o777 }),
    prepareInbox(dataDir, runUuid, taskId),
    prepareOutbox(dataDir, runUuid, taskId, attempt),
  ]);
  return { root, inputs: inputsDir, outputs: outputsDir, inbox, outbox };
}

/** Reads the files a task wrote to its outputs folder, by name. */
export async function collectOutputs(
  outputsDir: string,
  warn: (message: string) => void,
): Promise<Record<string, string>> {
  const outputs: Record<string, string> = {};
  let names: string[];
  try {
    names = await readdir(outputsDir);
  } catch {
    return outputs;
  }
  for (const name of names.sort()) {
    const file = join(outputsDir, name);
    const info = await stat(file);
    if (!info.isFile()) continue;
    if (info.size > MAX_OUTPUT_VALUE_BYTES) {
      warn(`output '${name}' is ${info.size} bytes, over the ${MAX_OUTPUT_VALUE_BYTES}-byte limit for values passed between tasks; it was not recorded`);
      continue;
    }
    outputs[name] = await readFile(file, "utf8");
  }
  return outputs;
}
