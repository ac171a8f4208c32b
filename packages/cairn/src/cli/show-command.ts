import type { Execution, Run } from "../client/cairn-client.js";
import type { CommandIo } from "./command-io.js";
import { openRunSource, type RunSourceOptions } from "./choose-run-source.js";
import { formatDuration } from "./runs-table.js";

/**
 * `cairn show RUN`: one run in full: its pipeline, state, times, params and directives,
 * then each task's latest attempt (state, attempts, exit code, time, message) and its
 * outputs. `--json`: the run and its executions as the API gives them.
 */
export async function showCommand(runText: string, where: RunSourceOptions, io: CommandIo): Promise<number> {
  const { source, run } = await openRunSource(where, runText);
  try {
    const executions = await source.listExecutions(run!);
    io.out.write(io.json ? JSON.stringify({ run, executions }) + "\n" : formatRun(run!, executions));
    return 0;
  } finally {
    await source.close();
  }
}

export function formatRun(run: Run, executions: readonly Execution[]): string {
  const lines = [
    `run       ${run.uuid}`,
    `pipeline  ${run.group_id}/${run.pipeline_id}`,
    `status    ${run.status}${run.message ? `: ${run.message}` : ""}`,
    `created   ${run.created_at}${run.trigger ? ` (${run.trigger}${run.started_by ? ` by ${run.started_by}` : ""})` : ""}`,
    `took      ${took(run.started_at, run.ended_at)}`,
  ];
  if (run.retry_of) lines.push(`retry of  ${run.retry_of}`);
  const params = Object.entries(run.params);
  if (params.length > 0) lines.push(`params    ${params.map(([k, v]) => `${k}=${v}`).join(" ")}`);
  const directives = Object.entries(run.directives);
  if (directives.length > 0) lines.push(`directives ${directives.map(([k, v]) => (v === true ? k : `${k}:${v}`)).join(" ")}`);

  const latest = new Map<string, Execution>();
  for (const e of executions) if ((latest.get(e.task_id)?.attempt ?? 0) < e.attempt) latest.set(e.task_id, e);
  const rows = [...latest.values()].map((e) => [
    e.task_id,
    e.status,
    String(e.attempt),
    e.exit_code === null ? "-" : String(e.exit_code),
    took(e.started_at, e.ended_at),
    (e.message ?? "").split("\n")[0]!,
  ]);
  const titles = ["TASK", "STATUS", "ATTEMPTS", "EXIT", "TOOK", "MESSAGE"];
  const widths = titles.map((t, i) => Math.max(t.length, ...rows.map((r) => r[i]!.length)));
  const row = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  lines.push("", row(titles), ...rows.map(row));
  const outputs = [...latest.values()].flatMap((e) => Object.entries(e.outputs).map(([name, value]) => `  ${e.task_id}.${name} = ${oneLine(value)}`));
  if (outputs.length > 0) lines.push("", "outputs", ...outputs);
  return lines.join("\n") + "\n";
}

function took(start: string | null, end: string | null): string {
  return start && end ? formatDuration(Date.parse(end) - Date.parse(start)) : "-";
}

function oneLine(text: string, max = 100): string {
  const flat = JSON.stringify(text);
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
