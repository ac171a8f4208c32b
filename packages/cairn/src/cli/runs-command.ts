import { ValidationError } from "../errors.js";
import type { RunStatus } from "../client/cairn-client.js";
import { parsePositiveInt, parseRunsScope } from "./arguments.js";
import type { CommandIo } from "./command-io.js";
import { openRunSource, type RunSourceOptions } from "./choose-run-source.js";
import { formatRunsTable } from "./runs-table.js";

const RUN_STATUSES: readonly RunStatus[] = ["pending", "queued", "running", "succeeded", "failed", "cancelled"];

/**
 * `cairn runs [GROUP[/PIPELINE]]`: the latest runs, newest first, of one pipeline, of a
 * group's pipelines, or of every group the caller is in; or the data dir's local runs
 * (group `local`) when no server is logged in to, or with `--local`.
 */
export async function runsCommand(scopeText: string | undefined, options: { limit: string; status?: string }, where: RunSourceOptions, io: CommandIo): Promise<number> {
  const scope = parseRunsScope(scopeText);
  const limit = parsePositiveInt("--limit", options.limit);
  const status = options.status === undefined ? undefined : parseStatus(options.status);
  const { source } = await openRunSource(where);
  try {
    const runs = await source.listRuns(scope, { limit, ...(status ? { status } : {}) });
    io.out.write(io.json ? runs.map((r) => JSON.stringify(r) + "\n").join("") : formatRunsTable(runs));
    return 0;
  } finally {
    await source.close();
  }
}

function parseStatus(text: string): RunStatus {
  const status = RUN_STATUSES.find((s) => s === text);
  if (status === undefined) throw new ValidationError("--status", [{ path: text, message: `expected one of ${RUN_STATUSES.join(", ")}` }]);
  return status;
}
