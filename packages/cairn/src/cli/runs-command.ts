import type { ClientConfig } from "../config.js";
import { ValidationError } from "../errors.js";
import type { RunStatus } from "../client/cairn-client.js";
import { parsePositiveInt, parseRunsScope, type PipelineRef } from "./arguments.js";
import type { CommandIo } from "./command-io.js";
import { formatRunsTable } from "./runs-table.js";
import { connect } from "./server-connection.js";

const RUN_STATUSES: readonly RunStatus[] = ["pending", "queued", "running", "succeeded", "failed", "cancelled"];

/**
 * `cairn runs [GROUP[/PIPELINE]]`: the latest runs, newest first, of one pipeline, of a
 * group's pipelines, or of every group the caller is in.
 */
export async function runsCommand(scopeText: string | undefined, options: { limit: string; status?: string }, config: ClientConfig, io: CommandIo): Promise<number> {
  const scope = parseRunsScope(scopeText);
  const limit = parsePositiveInt("--limit", options.limit);
  const status = options.status === undefined ? undefined : parseStatus(options.status);
  const { client } = await connect(config);

  let pipelines: PipelineRef[];
  if (scope.groupId !== undefined && scope.pipelineId !== undefined) {
    pipelines = [{ groupId: scope.groupId, pipelineId: scope.pipelineId }];
  } else {
    const groupIds = scope.groupId !== undefined ? [scope.groupId] : (await client.listGroups()).map((g) => g.id);
    const perGroup = await Promise.all(groupIds.map(async (groupId) => (await client.listPipelines(groupId)).map((p) => ({ groupId, pipelineId: p.id }))));
    pipelines = perGroup.flat();
  }
  const perPipeline = await Promise.all(pipelines.map((p) => client.listRuns(p.groupId, p.pipelineId, { limit, ...(status ? { status } : {}) })));
  const runs = perPipeline
    .flat()
    .sort((a, b) => b.created_at.localeCompare(a.created_at))
    .slice(0, limit);
  io.out.write(io.json ? runs.map((r) => JSON.stringify(r) + "\n").join("") : formatRunsTable(runs));
  return 0;
}

function parseStatus(text: string): RunStatus {
  const status = RUN_STATUSES.find((s) => s === text);
  if (status === undefined) throw new ValidationError("--status", [{ path: text, message: `expected one of ${RUN_STATUSES.join(", ")}` }]);
  return status;
}
