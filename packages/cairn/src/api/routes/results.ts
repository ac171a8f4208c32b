import yazl from "yazl";
import { attemptResultsDir, listResultFiles } from "../../workspace/result-files.js";
import { maskedReadable } from "../../secrets/masking-stream.js";
import { SecretMasker } from "../../secrets/secret-masker.js";
import type { RunId } from "../../ids.js";
import type { ExecutionRecord, RunSummary, Store } from "../../store/store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { principalOf } from "../principal.js";
import { runSecretValues } from "../run-secret-values.js";
import { executionParams, loadExecution, loadRun, runParams } from "./runs.js";

/**
 * Results as one zip, laid out like a Tapis archive: `TASK/output/NAME` for each output,
 * `TASK/output/.stdout`, `.stderr` for the log, and `TASK/outbox/PATH` for each file the
 * task wrote under /outbox. A run's zip has the latest attempt of each task; an
 * execution's zip has that attempt alone, without the task folder. The zip is written as
 * it is sent, and each result file is read from disk as it goes in, one at a time.
 *
 * Every entry is masked, bytes and all (secrets/masking-stream.ts), with the values the
 * run's tasks could have had as secrets (run-secret-values.ts): a zip is shown to people.
 * A masked file's size is not known ahead, so result files are zipped without it.
 */

/**
 * Result files above this size are stored, not deflated: big results are mostly data
 * that is compressed already (or random), and deflating a gigabyte costs tens of seconds
 * of the server's CPU for little.
 */
const DEFLATE_UP_TO_BYTES = 16 * 1024 * 1024;

export function resultRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get("/groups/:group_id/pipelines/:pipeline_id/runs/:run_uuid/results", { config: { runToken: "allow" }, schema: { summary: "A run's outputs, logs and /outbox results as a zip", params: runParams } }, async (request, reply) => {
    const { run } = await loadRun(ctx, principalOf(request), request.params);
    const zip = await runResultsZip({ store: ctx.store, dataDir: ctx.config.dataDir }, run.uuid, await zipMasker(ctx, run));
    return reply.type("application/zip").header("content-disposition", `attachment; filename="run-${run.uuid}.zip"`).send(zip.outputStream);
  });

  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/runs/:run_uuid/executions/:execution_uuid/results",
    { config: { runToken: "allow" }, schema: { summary: "One task execution's outputs, logs and /outbox results as a zip", params: executionParams } },
    async (request, reply) => {
      const { run, execution } = await loadExecution(ctx, principalOf(request), request.params);
      const zip = newZip();
      await addExecution(zip, { store: ctx.store, dataDir: ctx.config.dataDir }, await zipMasker(ctx, run), execution, "");
      zip.end();
      return reply
        .type("application/zip")
        .header("content-disposition", `attachment; filename="execution-${execution.uuid}.zip"`)
        .send(zip.outputStream);
    },
  );
}

export async function zipMasker(ctx: ApiContext, run: Pick<RunSummary, "groupId" | "startedBy">): Promise<SecretMasker> {
  return new SecretMasker(await runSecretValues(ctx.store.service, ctx.sealer, run), "bytes");
}

/** Where results are read from: a server's context, or the CLI's data dir for a local run. */
export interface ResultSource {
  store: Store;
  dataDir: string;
}

/** A run's zip (the latest attempt of each task, each under TASK/), ended: read its outputStream. */
export async function runResultsZip(source: ResultSource, runUuid: RunId, masker: SecretMasker): Promise<yazl.ZipFile> {
  const latest = new Map<string, ExecutionRecord>();
  for (const e of await source.store.listExecutions(runUuid)) {
    const seen = latest.get(e.taskId);
    if (!seen || seen.attempt < e.attempt) latest.set(e.taskId, e);
  }
  const zip = newZip();
  for (const e of latest.values()) await addExecution(zip, source, masker, e, `${e.taskId}/`);
  zip.end();
  return zip;
}

async function addExecution(zip: yazl.ZipFile, source: ResultSource, masker: SecretMasker, e: ExecutionRecord, prefix: string): Promise<void> {
  const store: Store = source.store;
  const mtime = new Date(e.endedAt ?? e.startedAt ?? e.createdAt);
  for (const [name, value] of Object.entries(e.outputs)) zip.addBuffer(masker.maskBytes(Buffer.from(value)), `${prefix}output/${name}`, { mtime });
  const streams = { stdout: [] as string[], stderr: [] as string[] };
  for await (const l of store.allLogs(e.uuid)) if (l.stream !== "system") streams[l.stream].push(l.line);
  for (const [stream, lines] of Object.entries(streams)) {
    zip.addBuffer(masker.maskBytes(Buffer.from(lines.length > 0 ? lines.join("\n") + "\n" : "")), `${prefix}output/.${stream}`, { mtime });
  }
  await addOutboxFiles(zip, source, masker, e, `${prefix}outbox/`);
}

/** The files the execution wrote under /outbox, each under `prefix`, masked, read from disk as the zip is sent. */
export async function addOutboxFiles(zip: yazl.ZipFile, source: Pick<ResultSource, "dataDir">, masker: SecretMasker, e: ExecutionRecord, prefix: string): Promise<void> {
  for (const file of await listResultFiles(attemptResultsDir(source.dataDir, e.runUuid, e.taskId, e.attempt))) {
    const options = { ...(masker.isEmpty ? { size: file.size } : {}), mtime: file.mtime, compress: file.size <= DEFLATE_UP_TO_BYTES };
    zip.addReadStreamLazy(`${prefix}${file.path}`, options, (done) => {
      file.open().then((stream) => done(null, maskedReadable(stream, masker)), (err: Error) => done(err, undefined as never));
    });
  }
}

/** A zip that breaks off its answer if a file cannot be read (the client sees a cut-off download, not a valid zip without the file). */
export function newZip(): yazl.ZipFile {
  const zip = new yazl.ZipFile();
  zip.on("error", (err: Error) => (zip.outputStream as unknown as { destroy(err: Error): void }).destroy(err));
  return zip;
}
