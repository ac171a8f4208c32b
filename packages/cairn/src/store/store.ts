import type { ExecutionId, RunId } from "../ids.js";
import type { ResourceUsage } from "../resource-usage.js";
import type { ClaimStore, RunClaim } from "./claim-store.js";
import type { ImageCatalog } from "./image-catalog.js";
import type { ScheduleStore } from "./schedule-store.js";
import type { WebhookStore } from "./webhook-store.js";
import type { TaskCacheStore } from "./task-cache-store.js";
import type { GroupAccessRecord, ServiceStore, TokenRef, TokenStanding } from "./service-store.js";

/**
 * Cairn's one storage interface. It exposes operations, never connections or
 * transactions, so SQLite and PostgreSQL sit behind the same calls (BullMQ's lesson).
 * Every engine state change goes through `commit`, which applies a whole batch in
 * one transaction: that is both the durability point and the speed lever.
 */

/**
 * `pending`: waiting for a free slot of its pipeline's `max_concurrent_runs`; its
 * executions are recorded (queued) and none has started.
 */
export type RunStatus = "pending" | "queued" | "running" | "succeeded" | "failed" | "cancelled";
export type ExecutionStatus =
  | "queued" // waiting for its dependencies to finish or its retry delay to pass
  | "running"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled"
  | "timed_out";

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "cancelled"];
export const TERMINAL_EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
  "timed_out",
];

/** Timestamps are milliseconds since the epoch; JSON columns are parsed objects here. */
export interface RunRecord {
  uuid: RunId;
  pipelineId: string;
  groupId: string;
  status: RunStatus;
  /** The pipeline as it was when the run started (validated JSON). */
  pipeline: unknown;
  params: Record<string, string>;
  directives: Record<string, string | true>;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  message: string | null;
  /** The user who started the run through the API; null for local runs. */
  startedBy: string | null;
  /**
   * Who last changed the definition the run froze; absent when unknown (local runs, runs
   * from before it was recorded). The run's token acts for the less privileged of this
   * user and `startedBy`.
   */
  definedBy?: string;
  /** What started the run; absent when unknown (local runs, runs from before it was recorded). */
  trigger?: RunTrigger;
  /** The run this one retries (`retry`): its succeeded tasks were reused, not run again. */
  retryOf?: RunId;
}

/** What starts a run: an API event, the CLI, a git webhook, a cron schedule, a re-run, a retry from failure. */
export type RunTrigger = "api" | "cli" | "webhook" | "schedule" | "rerun" | "retry";
export const RUN_TRIGGERS = ["api", "cli", "webhook", "schedule", "rerun", "retry"] as const satisfies readonly RunTrigger[];

export interface ExecutionRecord {
  uuid: ExecutionId;
  runUuid: RunId;
  taskId: string;
  /** 1 for the first attempt. */
  attempt: number;
  status: ExecutionStatus;
  createdAt: number;
  /** A retry does not start before this time. */
  notBefore: number | null;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  message: string | null;
  outputs: Record<string, string>;
  /** Where the attempt runs: "container:<id>" or "host:<pid>"; set before the engine waits on it. */
  runtimeHandle: string | null;
  /**
   * What its process used, once it ended; null (or absent, in records made before it
   * ran) when it ran none or could not be measured. The store always sets it.
   */
  usage?: ResourceUsage | null;
  /** The id (`sha256:…`) of the image the attempt ran in, or built; null when none (or absent in older records). */
  imageDigest?: string | null;
  /**
   * The outputs as the task wrote them, sealed (JSON), when masking a secret changed
   * them: `outputs` is what is shown, these are what dependents get. Null or absent when
   * `outputs` are the values themselves.
   */
  sealedOutputs?: string | null;
  /**
   * Set on a retry's execution of a task that had succeeded in the retried run: the
   * execution there whose outputs and results this one took over, without running.
   */
  reusedFrom?: ExecutionId;
  /**
   * Set on an execution restored from the task cache (docs/task-cache.md): the execution
   * whose outputs and results it took, without running. Its status is `succeeded`.
   */
  cachedFrom?: ExecutionId;
  /** The worker (`HOST:PID:START`) that ran the attempt, or re-attached to it last; null (or absent) before it started. */
  worker?: string | null;
}

export type LogStream = "stdout" | "stderr" | "system";

export interface LogLine {
  /** Monotonic per store; assigned on insert. Clients poll with `since` = last id seen. */
  id: number;
  executionUuid: ExecutionId;
  stream: LogStream;
  ts: number;
  line: string;
}

export type NewLogLine = Omit<LogLine, "id">;

export type RunPatch = Partial<Pick<RunRecord, "status" | "startedAt" | "endedAt" | "message">>;
export type ExecutionPatch = Partial<
  Pick<ExecutionRecord, "status" | "notBefore" | "startedAt" | "endedAt" | "exitCode" | "message" | "outputs" | "runtimeHandle" | "usage" | "imageDigest" | "sealedOutputs" | "cachedFrom" | "worker">
>;

/** One atomic set of changes. Applied in the order: new runs, new executions, claims, updates, logs. */
export interface StateBatch {
  newRuns?: RunRecord[];
  /** Runs taken by the worker that records them, with them: no other worker can claim them in between. */
  claims?: RunClaim[];
  newExecutions?: ExecutionRecord[];
  runUpdates?: { uuid: RunId; patch: RunPatch }[];
  executionUpdates?: { uuid: ExecutionId; patch: ExecutionPatch }[];
  logs?: NewLogLine[];
}

export interface RunFilter {
  pipelineId?: string;
  groupId?: string;
  statuses?: RunStatus[];
  trigger?: RunTrigger;
  /** Runs created at or after this time (ms). */
  since?: number;
  limit?: number;
  /** With `limit`: runs skipped first, newest first (SQLite takes an offset only after a limit). */
  offset?: number;
}

/** A run without its frozen pipeline, which can be large: what a status read shows. */
export type RunSummary = Omit<RunRecord, "pipeline">;

/** What getTokenRunAccess reads; `access` is undefined unless the token's user is a member of the group. */
export interface TokenRunAccess {
  standing: TokenStanding;
  access: GroupAccessRecord | undefined;
  run: RunSummary | undefined;
}

/**
 * Runs queued by their pipeline's `max_concurrent_runs` (issue 17). Operations only, like
 * Store. Each decision (start or wait, which waiting run starts next) is made inside one
 * transaction that first takes the pipeline's admission lock, so several processes on one
 * PostgreSQL never start more runs of a pipeline than its limit, and never out of order.
 */
export interface RunQueueStore {
  /**
   * Records a new run with its executions, `running` when fewer than `limit` runs of its
   * pipeline are queued or running and none is pending (first in, first out), else
   * `pending` (no start time). Answers the run as recorded.
   */
  admitRun(run: RunRecord, executions: readonly ExecutionRecord[], limit: number): Promise<RunRecord>;
  /**
   * Moves the pipeline's oldest pending runs to `running` (started at `now`) while each
   * fits its own limit (`limitOf`, read from its frozen pipeline), stopping at the first
   * that does not. Answers the runs it moved, oldest first.
   */
  startPendingRuns(groupId: string, pipelineId: string, now: number, limitOf: (run: RunRecord) => number): Promise<RunRecord[]>;
  /**
   * Ends a run that is still pending as `cancelled` with `message`, and its queued
   * executions with it. Undefined when it is not pending any more (it started, or ended).
   */
  cancelPendingRun(uuid: RunId, now: number, message: string): Promise<RunRecord | undefined>;
  /** Every pending run, oldest first: what a restarted process starts or times out. */
  listPendingRuns(): Promise<RunRecord[]>;
}

export interface Store {
  /** Capability flags, not dialect checks (Kysely's lesson). */
  readonly capabilities: { readonly multipleWriters: boolean };
  /** Users, groups, pipelines, identities, secrets: what the multi-user service keeps. */
  readonly service: ServiceStore;
  /** Images by digest, their names and recipes, and the executions that used them. */
  readonly images: ImageCatalog;
  /** Pipelines' git webhooks and their deliveries. */
  readonly webhooks: WebhookStore;
  /** Pipelines' cron schedules. */
  readonly schedules: ScheduleStore;
  /** Runs waiting for a slot of their pipeline's max_concurrent_runs. */
  readonly runQueue: RunQueueStore;
  /** The task cache's entries (docs/task-cache.md). */
  readonly taskCache: TaskCacheStore;
  /** Workers, their heartbeats, and the runs each owns with a lease (scale-out, claim-store.ts). */
  readonly claims: ClaimStore;

  /** Applies all pending migrations; safe to call on every start and concurrently. */
  migrate(): Promise<void>;
  commit(batch: StateBatch): Promise<void>;

  getRun(uuid: RunId): Promise<RunRecord | undefined>;
  /**
   * Runs whose uuid starts with `prefix` (lowercase hex and dashes, as a uuid is written),
   * in uuid order, at most `limit`: how a short run id, like git's short hashes, is
   * resolved. Callers ask for more than one so they can tell an ambiguous prefix.
   */
  findRunsByPrefix(prefix: string, limit: number): Promise<RunRecord[]>;
  /**
   * The group, the user's membership and the group's run `runUuid`, in one read: what
   * every request about a run checks. Undefined unless the group and the membership
   * exist; `run` undefined when the group has no run by that uuid.
   */
  getGroupAccessWithRun(groupId: string, username: string, runUuid: string): Promise<(GroupAccessRecord & { run: RunRecord | undefined }) | undefined>;
  /**
   * getTokenStanding and getGroupAccessWithRun (without the run's pipeline) for the
   * token's user, in one read: the API's reads of a run's status authenticate and
   * authorise with this single query.
   */
  getTokenRunAccess(token: TokenRef, groupId: string, runUuid: string): Promise<TokenRunAccess>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** Runs that are queued or running: what recovery has to finish after a restart (pending runs are runQueue's). */
  listUnfinishedRuns(): Promise<RunRecord[]>;

  getExecution(uuid: ExecutionId): Promise<ExecutionRecord | undefined>;
  /** All attempts of all tasks of a run, ordered by task id then attempt. */
  listExecutions(runUuid: RunId): Promise<ExecutionRecord[]>;

  /** Lines with id > sinceId, oldest first, at most `limit` (default 10,000). */
  readLogs(executionUuid: ExecutionId, options?: { sinceId?: number; limit?: number }): Promise<LogLine[]>;
  /**
   * Every line of one execution, oldest first, read a page (`pageSize`, default 10,000)
   * at a time so a long log is never held whole: for the readers that want all of it.
   */
  allLogs(executionUuid: ExecutionId, options?: { pageSize?: number }): AsyncIterable<LogLine>;

  close(): Promise<void>;
}
