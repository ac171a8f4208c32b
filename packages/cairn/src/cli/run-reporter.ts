import type { Engine, LogEvent } from "../engine/engine.js";
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

/**
 * Prints a run as it happens: one line per task state change and every log line,
 * prefixed with the task id. With `json`, one JSON object per event (for scripts).
 */
export function reportRun(engine: Engine, runUuid: string, out: Output, options: { json: boolean }): () => void {
  const width = { value: 12 };
  const onExecution = (e: ExecutionRecord) => {
    if (e.runUuid !== runUuid) return;
    if (options.json) return out.write(JSON.stringify({ event: "execution", ...e }) + "\n");
    if (e.status === "queued" && e.attempt === 1) return;
    width.value = Math.max(width.value, e.taskId.length);
    const attempt = e.attempt > 1 ? ` (attempt ${e.attempt})` : "";
    const took = e.endedAt && e.startedAt ? ` in ${((e.endedAt - e.startedAt) / 1000).toFixed(2)} s` : "";
    const why = e.message && e.status !== "succeeded" ? `: ${e.message}` : "";
    const exit = e.exitCode !== null && e.status === "failed" ? ` [exit ${e.exitCode}]` : "";
    const what = e.status === "queued" ? `retry scheduled${attempt}` : `${e.status}${attempt}${took}${exit}${why}`;
    out.write(`${SYMBOL[e.status] ?? "?"} ${e.taskId.padEnd(width.value)} ${what}\n`);
  };
  const onLog = (l: LogEvent) => {
    if (l.runUuid !== runUuid) return;
    if (options.json) return out.write(JSON.stringify({ event: "log", ...l }) + "\n");
    if (l.stream === "system" && l.line.startsWith("interrupted:")) return;
    const marker = l.stream === "stderr" ? "!" : l.stream === "system" ? "~" : "|";
    out.write(`  ${l.taskId.padEnd(width.value)} ${marker} ${l.line}\n`);
  };
  engine.on("execution", onExecution);
  engine.on("log", onLog);
  return () => {
    engine.off("execution", onExecution);
    engine.off("log", onLog);
  };
}

export function summarizeRun(run: RunRecord): string {
  const took = run.endedAt && run.startedAt ? ` in ${((run.endedAt - run.startedAt) / 1000).toFixed(2)} s` : "";
  return `run ${run.uuid} ${run.status}${took}${run.message ? `: ${run.message}` : ""}`;
}
