import type { Engine, LogEvent } from "../engine/engine.js";
import type { ResourceUsage } from "../runtimes/runtime.js";
import type { ExecutionRecord, RunRecord } from "../store/store.js";

export interface Output {
  write(text: string): void;
}

const SYMBOL: Record<string, string> = {
  queued: "·",
  running: "▶",
  succeeded: "✔",
  failed: "✘",
  skipped: "⤼",
  cancelled: "■",
  timed_out: "⏱",
};

/** A task attempt as both reporters print it: the local engine's records and the API's answers map to this. */
export interface ExecutionView {
  taskId: string;
  attempt: number;
  status: string;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  message: string | null;
  /** What the attempt's process used, once it ended; null or absent if unmeasured. */
  usage?: ResourceUsage | null;
  /** Restored from the task cache: the execution it took its outputs and results from. */
  cachedFrom?: string | null;
}

/** A run's outcome as both reporters print it. */
export interface RunView {
  uuid: string;
  status: string;
  startedAt: number | null;
  endedAt: number | null;
  message: string | null;
}

/** Task ids are padded to the longest seen so far, so that columns line up. */
export class TaskColumn {
  private width = 12;

  pad(taskId: string): string {
    this.width = Math.max(this.width, taskId.length);
    return taskId.padEnd(this.width);
  }
}

/**
 * One line for a state change, e.g. `✘ build  failed in 1.20 s [exit 2] (cpu 0.95 s, mem 64.2 MiB, io 8.0 MiB): ...`;
 * undefined for a first attempt being queued (nothing to say).
 */
export function describeExecution(e: ExecutionView, column: TaskColumn): string | undefined {
  if (e.status === "queued" && e.attempt === 1) return undefined;
  const attempt = e.attempt > 1 ? ` (attempt ${e.attempt})` : "";
  const took = e.endedAt && e.startedAt ? ` in ${seconds(e.endedAt - e.startedAt)}` : "";
  // The engine's message may start with the state itself ("skipped: dependency ..."); said once.
  const message = e.message?.startsWith(`${e.status}: `) ? e.message.slice(e.status.length + 2) : e.message;
  const why = message && e.status !== "succeeded" ? `: ${message}` : "";
  const exit = e.exitCode !== null && e.status === "failed" ? ` [exit ${e.exitCode}]` : "";
  const used = e.usage ? ` (${describeUsage(e.usage)})` : "";
  const cached = e.cachedFrom ? ` (from the task cache: execution ${e.cachedFrom}, not run)` : "";
  const what = e.status === "queued" ? `retry scheduled${attempt}` : `${e.status}${attempt}${took}${exit}${used}${cached}${why}`;
  return `${SYMBOL[e.status] ?? "?"} ${column.pad(e.taskId)} ${what}`;
}

/** One log line, prefixed with its task: `|` stdout, `!` stderr, `~` Cairn's own notes. */
export function describeLogLine(taskId: string, stream: string, line: string, column: TaskColumn): string {
  const marker = stream === "stderr" ? "!" : stream === "system" ? "~" : "|";
  return `  ${column.pad(taskId)} ${marker} ${line}`;
}

/**
 * Prints a run as it happens: one line per task state change and every log line,
 * prefixed with the task id. With `json`, one JSON object per event (for scripts).
 */
export function reportRun(engine: Engine, runUuid: string, out: Output, options: { json: boolean }): () => void {
  const column = new TaskColumn();
  const onExecution = (e: ExecutionRecord) => {
    if (e.runUuid !== runUuid) return;
    if (options.json) return out.write(JSON.stringify({ event: "execution", ...e }) + "\n");
    const line = describeExecution(e, column);
    if (line !== undefined) out.write(line + "\n");
  };
  const onLog = (l: LogEvent) => {
    if (l.runUuid !== runUuid) return;
    if (options.json) return out.write(JSON.stringify({ event: "log", ...l }) + "\n");
    if (l.stream === "system" && l.line.startsWith("interrupted:")) return;
    out.write(describeLogLine(l.taskId, l.stream, l.line, column) + "\n");
  };
  engine.on("execution", onExecution);
  engine.on("log", onLog);
  return () => {
    engine.off("execution", onExecution);
    engine.off("log", onLog);
  };
}

export function summarizeRun(run: RunView | RunRecord): string {
  const took = run.endedAt && run.startedAt ? ` in ${seconds(run.endedAt - run.startedAt)}` : "";
  return `run ${run.uuid} ${run.status}${took}${run.message ? `: ${run.message}` : ""}`;
}

/** E.g. `cpu 0.95 s, mem 64.2 MiB, io 8.0 MiB`: CPU time, peak memory, bytes read and written. */
export function describeUsage(usage: ResourceUsage): string {
  return `cpu ${usage.cpuSeconds.toFixed(2)} s, mem ${bytes(usage.peakMemoryBytes)}, io ${bytes(usage.readBytes + usage.writtenBytes)}`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
