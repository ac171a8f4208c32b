import type { Readable } from "node:stream";
import { existingAttemptRoot } from "../workspace/attempt-files.js";
import { attemptResultsDir, listResultFiles } from "../workspace/result-files.js";
import { listTaskFiles, openTaskFile, type TaskFileInfo } from "../workspace/task-file-reader.js";
import type { ExecutionRecord, RunRecord, Store } from "../store/store.js";

const LOG_NAMES = new Set([".stdout", ".stderr"]);

/** One file of a run's archive: its path under the archive folder and how to read it. */
export interface RunFile {
  path: string;
  open(): Buffer | Readable | Promise<Readable>;
}

/**
 * The files of a run's archive, in the quickstart's layout:
 * `RUN_UUID/TASK_ID/output/{.stdout,.stderr,OUTPUT…}` for the latest attempt of each task,
 * and `RUN_UUID/TASK_ID/outbox/…` for its results (what it wrote under /outbox).
 * Logs and outputs come from the store, where they are kept (and where a secret is already
 * masked); output files too large to be kept there come from the attempt's folder, results
 * from DATA_DIR/results, without following symbolic links.
 */
export async function runFiles(store: Store, dataDir: string, run: RunRecord): Promise<RunFile[]> {
  const latest = new Map<string, ExecutionRecord>();
  for (const e of await store.listExecutions(run.uuid)) {
    const seen = latest.get(e.taskId);
    if (!seen || seen.attempt < e.attempt) latest.set(e.taskId, e);
  }
  const files: RunFile[] = [];
  for (const e of latest.values()) {
    const folder = `${run.uuid}/${e.taskId}/output`;
    const streams = await readStreams(store, e);
    files.push({ path: `${folder}/.stdout`, open: () => streams.stdout }, { path: `${folder}/.stderr`, open: () => streams.stderr });
    for (const [name, value] of Object.entries(e.outputs)) if (!LOG_NAMES.has(name)) files.push({ path: `${folder}/${name}`, open: () => Buffer.from(value) });
    const root = existingAttemptRoot(dataDir, run.uuid, e.taskId, e.attempt);
    for (const { path: name, size } of await largeOutputs(root, e.outputs)) {
      files.push({ path: `${folder}/${name}`, open: () => openTaskFile(root, `outputs/${name}`, size) });
    }
    for (const result of await listResultFiles(attemptResultsDir(dataDir, run.uuid, e.taskId, e.attempt))) {
      files.push({ path: `${run.uuid}/${e.taskId}/outbox/${result.path}`, open: () => result.open() });
    }
  }
  return files;
}

async function readStreams(store: Store, e: ExecutionRecord): Promise<{ stdout: Buffer; stderr: Buffer }> {
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  for await (const l of store.allLogs(e.uuid)) if (l.stream !== "system") lines[l.stream].push(l.line);
  const text = (l: string[]) => Buffer.from(l.length > 0 ? l.join("\n") + "\n" : "");
  return { stdout: text(lines.stdout), stderr: text(lines.stderr) };
}

/**
 * Regular files the store did not keep (over its size limit), in the outputs folder of
 * the attempt's folder `root`. Nothing is followed (task-file-reader.ts): a link there,
 * or an outputs folder that is one, is left out, since a task could point one at a file
 * of the server's.
 */
async function largeOutputs(root: string, kept: Record<string, string>): Promise<TaskFileInfo[]> {
  const files = await listTaskFiles(root, "outputs", { depth: 0 });
  return files.filter((f) => !(f.path in kept) && !f.path.startsWith("."));
}
