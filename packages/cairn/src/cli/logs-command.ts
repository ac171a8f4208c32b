import type { Execution, LogLine, RunRef } from "../client/cairn-client.js";
import { CairnError } from "../errors.js";
import type { CommandIo } from "./command-io.js";
import { openRunSource, type RunSourceOptions } from "./choose-run-source.js";
import { followUntilEnd } from "./remote-run-command.js";
import { logLineEvent } from "./run-follower.js";
import { describeLogLine, TaskColumn } from "./run-reporter.js";
import type { RunSource } from "./run-source.js";

/**
 * `cairn logs RUN [TASK]`: the log lines so far. Of one task: its plain text, as the
 * program wrote it (each attempt in turn). Of every task: each line prefixed with its
 * task, as `cairn run` shows them. `--follow` shows the run live until it ends instead.
 * RUN is a local run of the data dir or a server's (choose-run-source.ts).
 */
export async function logsCommand(runText: string, taskId: string | undefined, options: { follow?: boolean }, where: RunSourceOptions, io: CommandIo): Promise<number> {
  const { source, run } = await openRunSource(where, runText);
  try {
    const all = await source.listExecutions(run!);
    if (taskId !== undefined && !all.some((e) => e.task_id === taskId)) {
      const tasks = [...new Set(all.map((e) => e.task_id))];
      throw new CairnError("not_found", `run ${run!.uuid} has no task '${taskId}'; its tasks: ${tasks.join(", ") || "none"}`);
    }
    if (options.follow) return await followUntilEnd(source, run!, io, { taskId });

    const executions = all.filter((e) => taskId === undefined || e.task_id === taskId).sort(byStart);
    const column = new TaskColumn();
    for (const e of executions) {
      if (taskId !== undefined && !io.json) {
        if (executions.length > 1) io.out.write(`--- attempt ${e.attempt}: ${e.status} ---\n`);
        io.out.write(await source.logText(run!, e.uuid));
        continue;
      }
      for await (const line of linesOf(source, run!, e)) {
        io.out.write((io.json ? JSON.stringify(logLineEvent(run!, e, line)) : describeLogLine(e.task_id, line.stream, line.line, column)) + "\n");
      }
    }
    return 0;
  } finally {
    await source.close();
  }
}

/** Every line stored so far, a page at a time. */
async function* linesOf(source: RunSource, run: RunRef, e: Execution): AsyncGenerator<LogLine> {
  for (let since = 0; ; ) {
    const page = await source.readLog(run, e.uuid, since);
    yield* page.lines;
    if (page.complete || page.lines.length === 0) return;
    since = page.since;
  }
}

/** In the order the attempts started (those that never did last), then by task and attempt. */
function byStart(a: Execution, b: Execution): number {
  const start = (e: Execution) => e.started_at ?? "~";
  return start(a).localeCompare(start(b)) || a.task_id.localeCompare(b.task_id) || a.attempt - b.attempt;
}
