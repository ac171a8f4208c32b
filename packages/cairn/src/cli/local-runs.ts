import { existsSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { Execution, LogLine, LogPage, Run, RunRef } from "../client/cairn-client.js";
import type { CairnConfig } from "../config.js";
import { NotFoundError } from "../errors.js";
import type { ExecutionId, RunId } from "../ids.js";
import { presentLine, textLine } from "../api/routes/logs.js";
import { runResultsZip } from "../api/routes/results.js";
import { presentExecution, presentRun } from "../api/routes/runs.js";
import { SecretMasker } from "../secrets/secret-masker.js";
import { createStore } from "../store/create-store.js";
import { CANCEL_REQUESTED } from "../store/cancel-request.js";
import { findRunByIdOrPrefix } from "../store/run-lookup.js";
import { TERMINAL_EXECUTION_STATUSES, type RunSummary, type Store } from "../store/store.js";
import type { RunSource } from "./run-source.js";

/** How often a followed local log looks for new lines: the engine writes them in batches at about this pace. */
const FOLLOW_INTERVAL_MS = 150;
const PAGE = 5_000;

/**
 * The runs of this machine's data dir, read from its database: what `cairn run FILE`
 * recorded. Opened without the data dir's lock (lockDataDir), since reading needs none
 * and the `cairn run` that owns the runs may be running now; SQLite's WAL lets the two
 * read and write side by side. The answers are the API's (presentRun), with the group
 * `local` that local runs belong to.
 */
export class LocalRuns implements RunSource {
  readonly local = true;
  readonly where: string;

  private constructor(
    private readonly store: Store,
    private readonly config: CairnConfig,
  ) {
    this.where = `the data dir ${config.dataDir}`;
  }

  /** The data dir's runs, or undefined when it has no database (nothing was ever run there). */
  static async open(config: CairnConfig): Promise<LocalRuns | undefined> {
    const sqlitePath = join(config.dataDir, "cairn.db");
    if (config.databaseUrl === undefined && !existsSync(sqlitePath)) return undefined;
    return new LocalRuns(await createStore({ databaseUrl: config.databaseUrl, sqlitePath }), config);
  }

  async findRun(text: string): Promise<Run> {
    return present(await findRunByIdOrPrefix(this.store, text));
  }

  async getRun(run: RunRef): Promise<Run> {
    return present(await this.record(run));
  }

  async listExecutions(run: RunRef): Promise<Execution[]> {
    return (await this.store.listExecutions(run.uuid as RunId)).map(presentExecution);
  }

  async readLog(_run: RunRef, executionUuid: string, since = 0): Promise<LogPage> {
    const uuid = executionUuid as ExecutionId;
    const lines = await this.store.readLogs(uuid, { sinceId: since, limit: PAGE });
    const current = await this.store.getExecution(uuid);
    const complete = lines.length < PAGE && current !== undefined && TERMINAL_EXECUTION_STATUSES.includes(current.status);
    return { lines: lines.map(presentLine), since: lines.at(-1)?.id ?? since, complete };
  }

  async logText(_run: RunRef, executionUuid: string): Promise<string> {
    const text: string[] = [];
    for await (const l of this.store.allLogs(executionUuid as ExecutionId, { pageSize: PAGE })) text.push(textLine(l));
    return text.length > 0 ? text.join("\n") + "\n" : "";
  }

  /** As the API's event stream does: the lines so far, then new ones as they are stored, until the execution ends. */
  async *followLog(_run: RunRef, executionUuid: string, options: { since?: number; signal?: AbortSignal } = {}): AsyncGenerator<LogLine, { status: string }> {
    const uuid = executionUuid as ExecutionId;
    let since = options.since ?? 0;
    for (;;) {
      options.signal?.throwIfAborted();
      // Status first: once it is terminal, every line is stored, so one more read finds the rest.
      const execution = await this.store.getExecution(uuid);
      const finished = execution === undefined || TERMINAL_EXECUTION_STATUSES.includes(execution.status);
      for (;;) {
        const page = await this.store.readLogs(uuid, { sinceId: since, limit: PAGE });
        for (const line of page) yield presentLine(line);
        if (page.length > 0) since = page.at(-1)!.id;
        if (page.length < PAGE) break;
      }
      if (finished) return { status: execution?.status ?? "deleted" };
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
    }
  }

  /**
   * Records the request on the run; the `cairn` process running it (run, resume, server)
   * sees it within a second (watchCancelRequests) and stops its tasks. When no process
   * runs it (it was killed), `cairn resume` does so as it takes the run over.
   */
  async cancelRun(ref: RunRef): Promise<{ run: Run; message: string }> {
    const run = await this.record(ref);
    if (run.status !== "queued" && run.status !== "running") return { run: present(run), message: `The run had ended already (${run.status})` };
    await this.store.commit({ runUpdates: [{ uuid: run.uuid, patch: { message: CANCEL_REQUESTED } }] });
    return { run: present((await this.store.getRun(run.uuid)) ?? run), message: "Cancel requested" };
  }

  async results(ref: RunRef): Promise<ReadableStream<Uint8Array>> {
    const run = await this.record(ref);
    // Masked like a server's zip: the local secrets (CAIRN_SECRET_*) are the values a local run's tasks could have.
    const masker = new SecretMasker(Object.values(this.config.localSecrets), "bytes");
    const zip = await runResultsZip({ store: this.store, dataDir: this.config.dataDir }, run.uuid, masker);
    return Readable.toWeb(zip.outputStream as Readable) as ReadableStream<Uint8Array>;
  }

  async listRuns(scope: { groupId?: string; pipelineId?: string }, options: { limit: number; status?: Run["status"] }): Promise<Run[]> {
    const runs = await this.store.listRuns({
      limit: options.limit,
      ...(scope.groupId !== undefined ? { groupId: scope.groupId } : {}),
      ...(scope.pipelineId !== undefined ? { pipelineId: scope.pipelineId } : {}),
      ...(options.status !== undefined ? { statuses: [options.status] } : {}),
    });
    return runs.map(present);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private async record(ref: RunRef) {
    const run = await this.store.getRun(ref.uuid as RunId);
    if (run === undefined) throw new NotFoundError("run", ref.uuid);
    return run;
  }
}

/** A local run has no group record; its group is the id `local`, which stands for the uuid too. */
function present(run: RunSummary): Run {
  return presentRun({ group: { uuid: run.groupId, id: run.groupId } } as Parameters<typeof presentRun>[0], run);
}
