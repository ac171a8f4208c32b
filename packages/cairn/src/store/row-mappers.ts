import type { ExecutionId, RunId } from "../ids.js";
import type { ResourceUsage } from "../resource-usage.js";
import type { LogLinesTable, RunsTable, TaskExecutionsTable } from "./schema.js";
import type {
  ExecutionPatch,
  ExecutionRecord,
  ExecutionStatus,
  LogLine,
  LogStream,
  NewLogLine,
  RunPatch,
  RunRecord,
  RunStatus,
  RunSummary,
  RunTrigger,
} from "./store.js";

/** Between the camelCase records of store.ts and the snake_case rows of schema.ts. */

type LogRow = Omit<LogLinesTable, "id"> & { id: number };

export function runToRow(run: RunRecord): RunsTable {
  return {
    uuid: run.uuid,
    pipeline_id: run.pipelineId,
    group_id: run.groupId,
    status: run.status,
    pipeline: JSON.stringify(run.pipeline ?? null),
    params: JSON.stringify(run.params),
    directives: JSON.stringify(run.directives),
    created_at: run.createdAt,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    message: run.message,
    started_by: run.startedBy,
    defined_by: run.definedBy ?? null,
    trigger: run.trigger ?? null,
    retry_of: run.retryOf ?? null,
  };
}

export function runFromRow(row: RunsTable): RunRecord {
  return { ...runSummaryFromRow(row), pipeline: JSON.parse(row.pipeline) as unknown };
}

/** A run without its frozen pipeline, the largest column, for reads that do not need it. */
export function runSummaryFromRow(row: Omit<RunsTable, "pipeline">): RunSummary {
  return {
    uuid: row.uuid as RunId,
    pipelineId: row.pipeline_id,
    groupId: row.group_id,
    status: row.status as RunStatus,
    params: JSON.parse(row.params) as RunSummary["params"],
    directives: JSON.parse(row.directives) as RunSummary["directives"],
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    message: row.message,
    startedBy: row.started_by,
    ...(row.defined_by !== null ? { definedBy: row.defined_by } : {}),
    ...(row.trigger !== null && row.trigger !== undefined ? { trigger: row.trigger as RunTrigger } : {}),
    ...(row.retry_of !== null && row.retry_of !== undefined ? { retryOf: row.retry_of as RunId } : {}),
  };
}

/** Only the fields present in the patch, so an update never touches the others. */
export function runPatchToRow(patch: RunPatch): Partial<RunsTable> {
  const row: Partial<RunsTable> = {};
  if (patch.status !== undefined) row.status = patch.status;
  if (patch.startedAt !== undefined) row.started_at = patch.startedAt;
  if (patch.endedAt !== undefined) row.ended_at = patch.endedAt;
  if (patch.message !== undefined) row.message = patch.message;
  return row;
}

export function executionToRow(execution: ExecutionRecord): TaskExecutionsTable {
  return {
    uuid: execution.uuid,
    run_uuid: execution.runUuid,
    task_id: execution.taskId,
    attempt: execution.attempt,
    status: execution.status,
    created_at: execution.createdAt,
    not_before: execution.notBefore,
    started_at: execution.startedAt,
    ended_at: execution.endedAt,
    exit_code: execution.exitCode,
    message: execution.message,
    outputs: JSON.stringify(execution.outputs),
    runtime_handle: execution.runtimeHandle,
    ...usageToRow(execution.usage ?? null),
    image_digest: execution.imageDigest ?? null,
    sealed_outputs: execution.sealedOutputs ?? null,
    reused_from: execution.reusedFrom ?? null,
    cached_from: execution.cachedFrom ?? null,
    worker: execution.worker ?? null,
  };
}

export function executionFromRow(row: TaskExecutionsTable): ExecutionRecord {
  return {
    uuid: row.uuid as ExecutionId,
    runUuid: row.run_uuid as RunId,
    taskId: row.task_id,
    attempt: row.attempt,
    status: row.status as ExecutionStatus,
    createdAt: row.created_at,
    notBefore: row.not_before,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    exitCode: row.exit_code,
    message: row.message,
    outputs: JSON.parse(row.outputs) as ExecutionRecord["outputs"],
    runtimeHandle: row.runtime_handle,
    usage: usageFromRow(row),
    imageDigest: row.image_digest,
    // Absent unless set: most attempts had no secret in their outputs.
    ...(row.sealed_outputs !== null ? { sealedOutputs: row.sealed_outputs } : {}),
    ...(row.reused_from !== null && row.reused_from !== undefined ? { reusedFrom: row.reused_from as ExecutionId } : {}),
    ...(row.cached_from !== null && row.cached_from !== undefined ? { cachedFrom: row.cached_from as ExecutionId } : {}),
    // Absent until an attempt starts, as in records made before workers were recorded.
    ...(row.worker !== null && row.worker !== undefined ? { worker: row.worker } : {}),
  };
}

export function executionPatchToRow(patch: ExecutionPatch): Partial<TaskExecutionsTable> {
  const row: Partial<TaskExecutionsTable> = {};
  if (patch.status !== undefined) row.status = patch.status;
  if (patch.notBefore !== undefined) row.not_before = patch.notBefore;
  if (patch.startedAt !== undefined) row.started_at = patch.startedAt;
  if (patch.endedAt !== undefined) row.ended_at = patch.endedAt;
  if (patch.exitCode !== undefined) row.exit_code = patch.exitCode;
  if (patch.message !== undefined) row.message = patch.message;
  if (patch.outputs !== undefined) row.outputs = JSON.stringify(patch.outputs);
  if (patch.runtimeHandle !== undefined) row.runtime_handle = patch.runtimeHandle;
  if (patch.usage !== undefined) Object.assign(row, usageToRow(patch.usage));
  if (patch.imageDigest !== undefined) row.image_digest = patch.imageDigest;
  if (patch.sealedOutputs !== undefined) row.sealed_outputs = patch.sealedOutputs;
  if (patch.cachedFrom !== undefined) row.cached_from = patch.cachedFrom;
  if (patch.worker !== undefined) row.worker = patch.worker;
  return row;
}

type UsageColumns = Pick<TaskExecutionsTable, "used_cpu_us" | "peak_memory_bytes" | "read_bytes" | "written_bytes">;

function usageToRow(usage: ResourceUsage | null): UsageColumns {
  if (usage === null) return { used_cpu_us: null, peak_memory_bytes: null, read_bytes: null, written_bytes: null };
  return {
    used_cpu_us: Math.round(usage.cpuSeconds * 1e6),
    peak_memory_bytes: usage.peakMemoryBytes,
    read_bytes: usage.readBytes,
    written_bytes: usage.writtenBytes,
  };
}

function usageFromRow(row: UsageColumns): ResourceUsage | null {
  if (row.used_cpu_us === null) return null;
  return {
    cpuSeconds: row.used_cpu_us / 1e6,
    peakMemoryBytes: row.peak_memory_bytes ?? 0,
    readBytes: row.read_bytes ?? 0,
    writtenBytes: row.written_bytes ?? 0,
  };
}

export function logToRow(line: NewLogLine): Omit<LogLinesTable, "id"> {
  return { execution_uuid: line.executionUuid, stream: line.stream, ts: line.ts, line: line.line };
}

export function logFromRow(row: LogRow): LogLine {
  return {
    id: row.id,
    executionUuid: row.execution_uuid as ExecutionId,
    stream: row.stream as LogStream,
    ts: row.ts,
    line: row.line,
  };
}
