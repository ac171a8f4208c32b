import type { Execution, LogLine, Run } from "../client/cairn-client.js";
import type { RunSource } from "./run-source.js";
import { describeExecution, describeLogLine, TaskColumn, type ExecutionView, type Output, type RunView } from "./run-reporter.js";

const TERMINAL_RUN: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);
const TERMINAL_EXECUTION: ReadonlySet<string> = new Set(["succeeded", "failed", "skipped", "cancelled", "timed_out"]);
/** How often task states are asked for; log lines arrive as they are written, over their own streams. */
const STATE_POLL_MS = 300;

export interface FollowOptions {
  json: boolean;
  /** Only this task's attempts. */
  taskId?: string | undefined;
  /** Stops following (Ctrl-C): the run goes on on the server. */
  signal?: AbortSignal | undefined;
  pollMs?: number;
}

/**
 * Follows a run on a server like `cairn run FILE` follows a local one: each task's state
 * changes and its log lines as they are written (one Server-Sent Events stream per task
 * attempt that has started), until the run ends. An attempt's final state is printed after
 * its last log line. Returns the run as it ended.
 */
/** What following needs: a server's client or the data dir's runs. */
export type FollowSource = Pick<RunSource, "getRun" | "listExecutions" | "followLog">;

export async function followRun(client: FollowSource, run: Run, out: Output, options: FollowOptions): Promise<Run> {
  const column = new TaskColumn();
  const tracked = new Map<string, { status: string; logs: Promise<unknown> | undefined }>();
  const print = (text: string) => out.write(text + "\n");
  let streamFailure: { error: unknown } | undefined;
  // State lines go out in the order they were seen; an attempt's end waits for its last
  // log line, and its stream opens after its start line, so its lines sit between the two.
  let printing: Promise<unknown> = Promise.resolve();
  const then = (step: () => unknown) => (printing = printing.then(step));

  const streamLogs = async (e: Execution) => {
    try {
      for await (const line of client.followLog(run, e.uuid, options.signal ? { signal: options.signal } : {})) {
        if (options.json) print(JSON.stringify(logLineEvent(run, e, line)));
        else if (!(line.stream === "system" && line.line.startsWith("interrupted:"))) print(describeLogLine(e.task_id, line.stream, line.line, column));
      }
    } catch (error) {
      // Kept for the end: the states are still worth following, and a rejection left waiting would end the process.
      streamFailure ??= { error };
    }
  };
  const printState = (e: Execution) => {
    if (options.json) return print(JSON.stringify({ event: "execution", ...e }));
    const line = describeExecution(executionView(e), column);
    if (line !== undefined) print(line);
  };

  let saidPending = false;
  for (;;) {
    options.signal?.throwIfAborted();
    // The run first: once it has ended, the executions read after it are final too.
    const current = await client.getRun(run);
    // Said once: a run past its pipeline's max_concurrent_runs waits, and the tasks alone would not say why.
    if (current.status === "pending" && !saidPending) {
      saidPending = true;
      then(() => print(options.json ? JSON.stringify({ event: "run", ...current }) : `run ${current.uuid} pending: waiting for a slot of its pipeline's max_concurrent_runs`));
    }
    // Ends before starts: a task that started did so after those it depends on had ended.
    const executions = (await client.listExecutions(run)).sort((a, b) => Number(!TERMINAL_EXECUTION.has(a.status)) - Number(!TERMINAL_EXECUTION.has(b.status)));
    for (const e of executions) {
      if (options.taskId !== undefined && e.task_id !== options.taskId) continue;
      const seen = tracked.get(e.uuid) ?? { status: "", logs: undefined };
      tracked.set(e.uuid, seen);
      if (seen.status === e.status) continue;
      seen.status = e.status;
      if (!TERMINAL_EXECUTION.has(e.status)) then(() => printState(e));
      // A queued attempt has no log yet; its stream opens once it starts (or ends without starting).
      if (seen.logs === undefined && e.status !== "queued") {
        seen.logs = printing.then(() => streamLogs(e));
      }
      if (TERMINAL_EXECUTION.has(e.status)) {
        const logs = seen.logs;
        then(() => logs);
        then(() => printState(e));
      }
    }
    if (TERMINAL_RUN.has(current.status)) {
      await printing;
      options.signal?.throwIfAborted();
      if (streamFailure !== undefined) throw streamFailure.error;
      return current;
    }
    await sleep(options.pollMs ?? STATE_POLL_MS, options.signal);
  }
}

export function executionView(e: Execution): ExecutionView {
  const usage =
    e.used_cpu === null
      ? null
      : { cpuSeconds: e.used_cpu, peakMemoryBytes: e.used_memory ?? 0, readBytes: e.used_io_read ?? 0, writtenBytes: e.used_io_written ?? 0 };
  return {
    taskId: e.task_id,
    attempt: e.attempt,
    status: e.status,
    startedAt: ms(e.started_at),
    endedAt: ms(e.ended_at),
    exitCode: e.exit_code,
    message: e.message,
    usage,
    cachedFrom: e.cached_from,
  };
}

export function runView(run: Run): RunView {
  return { uuid: run.uuid, status: run.status, startedAt: ms(run.started_at), endedAt: ms(run.ended_at), message: run.message };
}

/** A log line as `--json` prints it. */
export function logLineEvent(run: Run, e: Execution, line: LogLine) {
  return { event: "log", run: run.uuid, task_id: e.task_id, execution: e.uuid, attempt: e.attempt, ...line };
}

function ms(iso: string | null): number | null {
  return iso === null ? null : Date.parse(iso);
}

function sleep(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, milliseconds);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}
