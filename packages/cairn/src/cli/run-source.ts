import type { CairnClient, Execution, LogLine, LogPage, Run, RunRef, RunStatus } from "../client/cairn-client.js";
import type { PipelineRef } from "./arguments.js";

/**
 * Where the run commands (`runs`, `logs`, `results`, `cancel`, `show`) read runs: a
 * server through its API, or this machine's data dir for the runs `cairn run FILE` made
 * (local-runs.ts). Both answer in the API's shapes, so every command prints a local run
 * exactly as a server's.
 */
export interface RunSource {
  /** "the server URL" or "the data dir DIR": what messages name. */
  readonly where: string;
  readonly local: boolean;
  /** A run by its uuid or a unique prefix of it (8+ characters). */
  findRun(text: string): Promise<Run>;
  getRun(run: RunRef): Promise<Run>;
  listExecutions(run: RunRef): Promise<Execution[]>;
  readLog(run: RunRef, executionUuid: string, since?: number): Promise<LogPage>;
  logText(run: RunRef, executionUuid: string): Promise<string>;
  followLog(run: RunRef, executionUuid: string, options?: { since?: number; signal?: AbortSignal }): AsyncGenerator<LogLine, { status: string }>;
  cancelRun(run: RunRef): Promise<{ run: Run; message: string }>;
  results(run: RunRef): Promise<ReadableStream<Uint8Array>>;
  /** The latest runs, newest first: of one pipeline, a group, or (no scope) all that can be seen. */
  listRuns(scope: { groupId?: string; pipelineId?: string }, options: { limit: number; status?: RunStatus }): Promise<Run[]>;
  close(): Promise<void>;
}

/** A server's runs, through its API. */
export function serverRuns(client: CairnClient, server: string): RunSource {
  return {
    where: `the server ${server}`,
    local: false,
    findRun: (text) => client.findRun(text),
    getRun: (run) => client.getRun(run),
    listExecutions: (run) => client.listExecutions(run),
    readLog: (run, execution, since) => client.readLog(run, execution, since),
    logText: (run, execution) => client.logText(run, execution),
    followLog: (run, execution, options) => client.followLog(run, execution, options),
    cancelRun: (run) => client.cancelRun(run),
    results: (run) => client.results(run),
    listRuns: async (scope, options) => {
      let pipelines: PipelineRef[];
      if (scope.groupId !== undefined && scope.pipelineId !== undefined) {
        pipelines = [{ groupId: scope.groupId, pipelineId: scope.pipelineId }];
      } else {
        const groupIds = scope.groupId !== undefined ? [scope.groupId] : (await client.listGroups()).map((g) => g.id);
        const perGroup = await Promise.all(groupIds.map(async (groupId) => (await client.listPipelines(groupId)).map((p) => ({ groupId, pipelineId: p.id }))));
        pipelines = perGroup.flat();
      }
      const query = { limit: options.limit, ...(options.status ? { status: options.status } : {}) };
      const perPipeline = await Promise.all(pipelines.map((p) => client.listRuns(p.groupId, p.pipelineId, query)));
      return perPipeline
        .flat()
        .sort((a, b) => b.created_at.localeCompare(a.created_at))
        .slice(0, options.limit);
    },
    close: async () => undefined,
  };
}
