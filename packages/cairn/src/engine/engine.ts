import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { cp } from "node:fs/promises";
import type { CairnConfig } from "../config.js";
import { CairnError, TaskFailure, ValidationError, describeError, isRetryable, type Issue } from "../errors.js";
import { newExecutionId, newRunId, type ExecutionId, type RunId } from "../ids.js";
import { EgressPolicy } from "../net/egress-policy.js";
import { resolveExecutionProfile, usesHostRuntime } from "../spec/index.js";
import type { ExecutionProfile, Pipeline, Task, TaskType } from "../spec/types.js";
import {
  TERMINAL_EXECUTION_STATUSES,
  type ExecutionPatch,
  type ExecutionRecord,
  type ExecutionStatus,
  type LogStream,
  type RunRecord,
  type RunTrigger,
  type Store,
} from "../store/store.js";
import type { AttemptPaths, IdentityCredentials, Runtimes, TaskApiAccess, TaskExecutionContext, TaskHandler } from "../tasks/task-handler.js";
import type { SeenLines } from "../runtimes/runtime.js";
import { collectOutputs, existingAttemptRoot, handlerFolders, makeAttemptFolders, makeAttemptFoldersInPool, removeRunDir, writeInputs, type AttemptFolderOptions, type AttemptFolders } from "../workspace/attempt-files.js";
import { FolderCost } from "./folder-cost.js";
import { FoldersAhead } from "./folders-ahead.js";
import { HandedOnFolders } from "./handed-on-folders.js";
import { attemptResultsDir, keepOutbox } from "../workspace/result-files.js";
import { adoptAttachments, prepareInbox, runHasAttachments } from "../workspace/run-inbox.js";
import { makeRunEmptyDir } from "../workspace/run-dir.js";
import { WorkDirCleaner } from "./work-dir-cleaner.js";
import { AttemptLogMasking, maskResultFiles, outputsForDependents, outputsToKeep, resealOutputs, sealOutputs, type ValueSealer } from "./log-masking.js";
import { BatchWriter } from "./batch-writer.js";
import { ReadyQueue } from "./ready-queue.js";
import { resolveInputs, type SecretLookup } from "./input-resolver.js";
import { retryDelayMs } from "./retry-policy.js";
import { CONDITIONS_NOT_MET, runOutcome } from "./run-outcome.js";
import { evaluateConditions } from "../spec/conditions.js";
import { groupImages } from "../images/image-access.js";
import type { GroupActors } from "../actors/group-actors.js";
import { RunAdmission } from "./run-admission.js";
import { GroupTaskCaps } from "./group-task-caps.js";
import { FanOut, itemExecutionsOf, type FanOutHost } from "./fan-out.js";
import { itemsAtOnce, itemTaskId, parseItemTaskId, resolveForEachItems } from "../spec/for-each.js";
import { runsImage, TaskCache, type CacheHit, type CacheLookup, type CacheMiss } from "./task-cache/task-cache.js";
import { processWorkerId } from "../store/worker-id.js";
import type { ClaimingEngine } from "./takeover.js";
import type { WorkerRegistry } from "./worker-registry.js";

// CANCEL_REQUESTED is recorded on a run whose cancellation was asked for, so a restart finishes cancelling it.
import { CANCEL_REQUESTED } from "../store/cancel-request.js";
import { resolveParams } from "../spec/params.js";
/** Prefix of the message of an attempt cut short by a server stop; such attempts spend no retry. */
const INTERRUPTED = "interrupted:";

export interface EngineOptions {
  store: Store;
  config: CairnConfig;
  runtimes: Runtimes;
  handlers: ReadonlyMap<TaskType, TaskHandler>;
  /** The actors tapis_actor tasks message; without it such tasks are refused. */
  actors?: { forGroup(groupId: string): GroupActors };
  secrets?: SecretLookup;
  /** Set by a server: opens an identity (by uuid) if it belongs to the given user. */
  identities?: IdentityLookup;
  /** Set by a server: the `dockerhub` or `registry` identity of the given user for a registry host, for image pulls. */
  registryIdentities?: RegistryIdentityLookup;
  /** Set by a server: seals the values of outputs that masking changed, so dependents get them after a restart too. */
  outputSealer?: ValueSealer;
  /** Overrides config.allowHostRuntime (the local CLI allows it: it runs as the invoking user anyway). */
  allowHostRuntime?: boolean;
  /** Set by a server: gives tokens to tasks with inject_api_token. */
  apiAccess?: RunApiAccess;
  /**
   * Set by a server: takes each ended run with its working folder (the archiver reads
   * task files from it). The engine then leaves deleting the folder to it.
   */
  takeRun?: (run: RunRecord) => void;
  /** Deletes ended runs' working folders after the grace period; one is made from the config when absent. */
  workDirs?: WorkDirCleaner;
  /** What tasks may connect to on the server's side; made from the config when absent. */
  egress?: EgressPolicy;
  /** Told of what went wrong in the background (a queued run that could not be started). */
  warn?: (message: string) => void;
  /** The task cache (docs/task-cache.md); made from the config when absent. */
  taskCache?: TaskCache;
  /**
   * Set by a server: this process as a worker (worker-registry.ts). Runs it records are
   * claimed with them; with the `api` role they are only recorded, for a worker to claim.
   */
  worker?: WorkerRegistry;
}

export type IdentityLookup = (uuid: string, owner: string) => Promise<IdentityCredentials | undefined>;
export type RegistryIdentityLookup = (owner: string, registry: string) => Promise<IdentityCredentials | undefined>;

/** How the engine gets the API's URL and a token for a run's tasks; the token stops working when the run ends. */
export interface RunApiAccess {
  grant(run: RunRecord): Promise<TaskApiAccess>;
}

export interface StartRunRequest {
  pipeline: Pipeline;
  params?: Record<string, string>;
  directives?: Record<string, string | true>;
  groupId?: string;
  /** The user starting it through the API. */
  startedBy?: string;
  /** Who last changed the definition being run (the pipeline's `updatedBy`, or the frozen run's `definedBy` on a re-run). */
  definedBy?: string;
  /** What started it (recorded on the run). */
  trigger?: RunTrigger;
  /**
   * A staging folder of attachments (see run-inbox.ts), moved into the run's folder before
   * the run is recorded; the caller removes it if the run is not started.
   */
  attachments?: string;
  /** A retry from failure: the run retried, and by task id the executions of it to reuse instead of running. */
  retry?: { of: RunId; reuse: ReadonlyMap<string, ExecutionRecord> };
}

export interface LogEvent {
  runUuid: RunId;
  executionUuid: ExecutionId;
  taskId: string;
  attempt: number;
  stream: LogStream;
  line: string;
  ts: number;
}

export interface EngineEvents {
  run: [RunRecord];
  execution: [ExecutionRecord];
  log: [LogEvent];
}

interface TaskSlot {
  task: Task;
  profile: ExecutionProfile;
  dependents: DependencyEdge[];
  /**
   * Dependencies (entries of depends_on) not final yet: a dependent is looked at in full
   * only when this reaches 0, so a join of N tasks costs O(N) in all, not O(N) per end.
   */
  unfinishedDependencies: number;
  /** The latest attempt. */
  current: ExecutionRecord;
  retriesUsed: number;
  /** In the ready queue: two dependencies ending in one write both evaluate the task, and it must start once. */
  waiting?: boolean;
  controller?: AbortController;
  retryTimer?: NodeJS.Timeout;
  /** A task with for_each, once it runs: its items (fan-out.ts). */
  fanOut?: FanOut<TaskSlot>;
  /** One item of a fan-out (`TASK[INDEX]`): not in the run's slotList, and no task depends on it. */
  itemOf?: FanOut<TaskSlot>;
}

/** An entry of a dependent's depends_on, seen from the task it depends on. */
interface DependencyEdge {
  dependent: TaskSlot;
  canFail: boolean;
}

interface ActiveRun {
  record: RunRecord;
  pipeline: Pipeline;
  slots: Map<string, TaskSlot>;
  /** The slots in pipeline order; those before `settledUpTo` are known to be final. */
  slotList: TaskSlot[];
  settledUpTo: number;
  cancelRequested: boolean;
  /** Started with attachments: each task's inbox is made of links to them (run-inbox.ts). */
  hasAttachments: boolean;
  /** The run's empty folder (run-dir.ts), once made. */
  emptyDir?: string;
  /** Successful outputs by task id, for input resolution. */
  outputs: Map<string, Record<string, string>>;
  /** A retry from failure's executions to reuse, by task id: items of a fan-out look theirs up when it starts. */
  reuse?: ReadonlyMap<string, ExecutionRecord>;
  settled: Promise<RunRecord>;
  settle: (run: RunRecord) => void;
}

/** An attempt's folders; the inbox too when the run has no attachments (else it is linked at the start). */
type MadeFolders = AttemptFolders & { inbox: string | undefined };

class AttemptAbort {
  constructor(readonly kind: "timeout" | "cancel", readonly message: string) {}
}

const isTerminal = (status: ExecutionStatus) => TERMINAL_EXECUTION_STATUSES.includes(status);
const SUPPORTED_NOW: ReadonlySet<TaskType> = new Set(["container_run", "function", "request", "image_build", "tapis_actor", "tapis_job"]);

/**
 * Runs pipelines. Holds the DAG state of active runs in memory, derived from the store
 * (which is the truth: `recover()` rebuilds it after a restart). Work per finished
 * task is proportional to its dependents, never to the size of the run.
 */
export class Engine extends EventEmitter<EngineEvents> implements ClaimingEngine {
  private readonly store: Store;
  private readonly worker: WorkerRegistry | undefined;
  /** Recorded on each attempt it starts or re-attaches to. */
  private readonly workerId: string;
  private readonly config: CairnConfig;
  private readonly handlers: ReadonlyMap<TaskType, TaskHandler>;
  private readonly actors: EngineOptions["actors"];
  private readonly runtimes: Runtimes;
  private readonly secrets: SecretLookup;
  private readonly identities: IdentityLookup | undefined;
  private readonly registryIdentities: RegistryIdentityLookup | undefined;
  private readonly outputSealer: ValueSealer | undefined;
  private readonly allowHostRuntime: boolean;
  private readonly egress: EgressPolicy;
  private readonly apiAccess: RunApiAccess | undefined;
  private readonly takeRun: ((run: RunRecord) => void) | undefined;
  private readonly warn: (message: string) => void;
  private readonly workDirs: WorkDirCleaner;
  private readonly writer: BatchWriter;
  private readonly taskCache: TaskCache;
  private readonly active = new Map<RunId, ActiveRun>();
  private readonly ready = new ReadyQueue<ReadyTask>();
  /** Pipelines' max_concurrent_runs: runs past it wait `pending` (run-admission.ts). */
  private readonly admission: RunAdmission;
  /** Groups' max_parallel_tasks (group-task-caps.ts). */
  private readonly groupTasks = new GroupTaskCaps<ReadyTask>();
  private running = 0;
  private closed = false;
  /** Ended runs' working folders being deleted: close() waits for them. */
  private readonly cleanups = new Set<Promise<void>>();
  private readonly foldersAhead: FoldersAhead<MadeFolders>;
  private readonly folderCost = new FolderCost();
  private readonly handedOn = new HandedOnFolders();

  constructor(options: EngineOptions) {
    super();
    this.store = options.store;
    this.worker = options.worker;
    this.workerId = options.worker?.id ?? processWorkerId();
    this.config = options.config;
    this.handlers = options.handlers;
    this.actors = options.actors;
    this.runtimes = options.runtimes;
    this.secrets = options.secrets ?? (async () => undefined);
    this.identities = options.identities;
    this.registryIdentities = options.registryIdentities;
    this.outputSealer = options.outputSealer;
    this.apiAccess = options.apiAccess;
    this.takeRun = options.takeRun;
    this.warn = options.warn ?? ((message) => process.emitWarning(message));
    this.workDirs = options.workDirs ?? new WorkDirCleaner({ dataDir: options.config.dataDir, graceMs: options.config.workDirGraceMs, keep: options.config.keepWorkDirs });
    this.allowHostRuntime = options.allowHostRuntime ?? options.config.allowHostRuntime;
    this.egress = options.egress ?? EgressPolicy.fromConfig(options.config);
    this.writer = new BatchWriter(options.store);
    this.taskCache = options.taskCache ?? new TaskCache({ store: options.store.taskCache, dataDir: options.config.dataDir, maxBytes: options.config.cacheMaxBytes });
    // A few per slot: enough for the next tasks of a chain, a fan or a layer, never a whole fan.
    this.foldersAhead = new FoldersAhead(Math.max(8, 4 * options.config.maxParallelTasks));
    this.admission = new RunAdmission({
      store: options.store,
      start: (run) => this.startQueuedRun(run),
      // A pending run cancelled (or timed out) ended without running: handed on as any ended run.
      changed: (run) => {
        this.emit("run", run);
        if (this.takeRun) this.takeRun(run);
        else this.cleanUp(run);
      },
      ...(options.warn ? { warn: options.warn } : {}),
    });
  }

  /** Checks what validation can't know: task types this server runs, and whether it may run host processes. */
  checkRunnable(pipeline: Pipeline): void {
    const issues: Issue[] = [];
    pipeline.tasks.forEach((task, i) => {
      if (!SUPPORTED_NOW.has(task.type) || !this.handlers.has(task.type)) {
        issues.push({ path: `tasks[${i}].type`, message: `task type '${task.type}' is not available on this server yet` });
      } else if (task.type === "tapis_actor" && !this.actors) {
        issues.push({ path: `tasks[${i}].type`, message: "tapis_actor tasks message a group's actors, which only a Cairn server has (`cairn server`)" });
      }
      const profile = resolveExecutionProfile(pipeline, task);
      if (profile.runtime === "host" && !this.allowHostRuntime) {
        issues.push({
          path: `tasks[${i}].execution_profile.runtime`,
          message: "the host runtime is disabled on this server (set CAIRN_ALLOW_HOST_RUNTIME=1 to allow it)",
        });
      }
    });
    if (issues.length > 0) throw new ValidationError(`pipeline '${pipeline.id}'`, issues);
  }

  async startRun(request: StartRunRequest): Promise<RunRecord> {
    if (this.closed) throw new CairnError("conflict", "the engine is shutting down");
    const { pipeline } = request;
    this.checkRunnable(pipeline);
    // Declared params are checked and defaulted here, the one door every run comes through.
    const params = resolveParams(pipeline, request.params ?? {});
    const groupId = request.groupId ?? "local";
    await this.applyDuplicatePolicy(pipeline, groupId);

    const now = Date.now();
    const dryRun = request.directives?.dry_run !== undefined;
    const record: RunRecord = {
      uuid: newRunId(),
      pipelineId: pipeline.id,
      groupId,
      status: dryRun ? "succeeded" : "running",
      pipeline,
      params,
      directives: request.directives ?? {},
      createdAt: now,
      startedAt: now,
      endedAt: dryRun ? now : null,
      message: dryRun ? "dry_run directive: no task was started" : null,
      startedBy: request.startedBy ?? null,
      ...(request.definedBy !== undefined ? { definedBy: request.definedBy } : {}),
      ...(request.trigger !== undefined ? { trigger: request.trigger } : {}),
      ...(request.retry !== undefined ? { retryOf: request.retry.of } : {}),
    };
    if (dryRun) {
      await this.writer.write({ newRuns: [record] });
      this.emit("run", record);
      return record;
    }
    if (usesHostRuntime(pipeline)) this.runtimes.host.prepare?.();
    const reuse = request.retry?.reuse;
    const executions = pipeline.tasks.map((task) => {
      const original = reuse?.get(task.id);
      return original ? this.reusedAttempt(record.uuid, original) : newAttempt(record.uuid, task.id, 1, null);
    });
    // The reused tasks' results, in place before the run is recorded (as attachments are).
    for (const original of reuse?.values() ?? []) await copyResults(this.config.dataDir, original, record.uuid);
    // In place before the run is recorded, so a task never starts without its attachments;
    // a crash in between leaves a folder no run owns, which the start-up sweep removes.
    if (request.attachments !== undefined) await adoptAttachments(this.config.dataDir, record.uuid, request.attachments);
    const claims = this.worker?.executes ? [this.worker.newClaim(record.uuid)] : [];
    if (this.worker && !this.worker.executes) record.status = "queued";
    let admitted: RunRecord | undefined;
    try {
      // A pipeline with max_concurrent_runs: the database decides whether it starts or waits.
      admitted = await this.admission.admit(record, executions);
      if (!admitted) await this.writer.write({ newRuns: [record], newExecutions: executions, claims });
    } catch (err) {
      // The write's failure is the one to report; a folder left behind is no run's, and the start-up sweep removes it.
      if (request.attachments !== undefined) await removeRunDir(this.config.dataDir, record.uuid).catch(() => undefined);
      throw err;
    }
    if (admitted?.status === "pending") {
      this.emit("run", admitted);
      for (const e of executions) this.emit("execution", e);
      return admitted;
    }
    await this.refreshGroupCap(groupId);
    this.emit("run", admitted ?? record);
    for (const e of executions) this.emit("execution", e);
    // An `api` process: a worker claims it, woken by this.
    if (this.worker && !this.worker.executes) return this.announceWork(record);
    if (admitted !== undefined) {
      // Admitted by the queue's transaction, which records no claim: claimed now, unless another
      // worker was quicker (it runs it then). Taken over as recovery does, so that this process's
      // own claim sweep, which may have found the run first, does not start it a second time.
      if (!(await this.claimHere(record.uuid))) return admitted;
      const admittedRun = await this.takeOver(admitted);
      if (reuse !== undefined) admittedRun.reuse = reuse;
      this.pump();
      return admitted;
    }
    const run = this.activate(record, executions);
    if (reuse !== undefined) run.reuse = reuse;
    // The pipeline's tasks only: a fan-out that starts adds its items to `slots`, and releases them itself.
    for (const slot of run.slotList) this.evaluate(run, slot);
    // A retry may have nothing left to run.
    this.maybeFinishRun(run);
    this.pump();
    return record;
  }

  /**
   * Retry from failure: a new run of the ended run's frozen pipeline, params and directives
   * that reuses what its tasks that succeeded left (outputs and results, linked to their
   * executions) and runs the failed, timed-out, cancelled and skipped ones again.
   */
  async retryRun(original: RunRecord, request: Omit<StartRunRequest, "pipeline" | "params" | "directives" | "retry" | "trigger">): Promise<RunRecord> {
    if (original.status === "pending" || original.status === "queued" || original.status === "running") {
      throw new CairnError("conflict", `run ${original.uuid} has not ended (it is ${original.status}): wait for it or cancel it before retrying it`);
    }
    if (original.status === "succeeded") {
      throw new CairnError("conflict", `run ${original.uuid} succeeded: there is nothing to retry (rerun starts it again in full)`);
    }
    const latest = new Map<string, ExecutionRecord>();
    for (const e of await this.store.listExecutions(original.uuid)) {
      const seen = latest.get(e.taskId);
      if (!seen || seen.attempt < e.attempt) latest.set(e.taskId, e);
    }
    // The items of a fan-out that succeeded as a whole come with it (its outputs); those of one that did not are reused one by one.
    const reuse = new Map([...latest].filter(([id, e]) => e.status === "succeeded" && latest.get(parseItemTaskId(id)?.taskId ?? "")?.status !== "succeeded"));
    return this.startRun({
      ...request,
      pipeline: original.pipeline as Pipeline,
      params: original.params,
      directives: original.directives,
      trigger: "retry",
      retry: { of: original.uuid, reuse },
    });
  }

  /** A retry's record of a task that succeeded in the retried run: done at once, with that execution's outputs. */
  private reusedAttempt(runUuid: RunId, original: ExecutionRecord): ExecutionRecord {
    const now = Date.now();
    const exec = newAttempt(runUuid, original.taskId, 1, null);
    const sealed = resealOutputs(original, exec.uuid, this.outputSealer);
    return {
      ...exec,
      status: "succeeded",
      startedAt: now,
      endedAt: now,
      exitCode: original.exitCode,
      message: `reused: succeeded in run ${original.runUuid} (execution ${original.uuid}); not run again`,
      outputs: original.outputs,
      imageDigest: original.imageDigest ?? null,
      reusedFrom: original.uuid,
      ...(sealed !== null ? { sealedOutputs: sealed } : {}),
    };
  }

  /** Resolves with the run's final record once every task is terminal. */
  async waitForRun(uuid: RunId): Promise<RunRecord> {
    const active = this.active.get(uuid);
    if (active) return active.settled;
    const waiting = this.admission.settled(uuid);
    if (waiting) return waiting;
    // Just left the queue: active once this process has taken it over.
    const starting = this.admission.starting(uuid);
    if (starting) return starting.then(() => this.waitForRun(uuid));
    // A run can end inside startRun (every task skipped, a fan-out over nothing): its end may still be on its way to the store.
    await this.writer.flush();
    const run = await this.store.getRun(uuid);
    if (!run) throw new CairnError("not_found", `run '${uuid}' was not found`);
    return run;
  }

  /** Stops running tasks and starts nothing new. Idempotent. */
  async cancelRun(uuid: RunId): Promise<void> {
    const run = this.active.get(uuid);
    if (!run) {
      if (await this.admission.cancel(uuid, "the run was cancelled while it was pending")) return;
      // It may have just left the queue: once this process has taken it over, cancel it as a running run.
      const starting = this.admission.starting(uuid);
      if (starting) {
        await starting;
        if (this.active.has(uuid)) return this.cancelRun(uuid);
      }
      const stored = await this.store.getRun(uuid);
      if (!stored) throw new CairnError("not_found", `run '${uuid}' was not found`);
      // Another process runs it (or will): the flag is its to act on, the wake-up tells it now.
      if (this.worker && (stored.status === "queued" || stored.status === "running")) await this.requestCancelElsewhere(uuid);
      return;
    }
    if (run.cancelRequested) return;
    run.cancelRequested = true;
    await this.writer.write({ runUpdates: [{ uuid, patch: { message: CANCEL_REQUESTED } }] });
    const updates: { uuid: ExecutionId; patch: ExecutionPatch }[] = [];
    const now = Date.now();
    for (const slot of run.slots.values()) {
      if (slot.current.status === "queued") {
        clearTimeout(slot.retryTimer);
        const patch: ExecutionPatch = { status: "cancelled", endedAt: now, message: "the run was cancelled" };
        updates.push({ uuid: slot.current.uuid, patch });
        Object.assign(slot.current, patch);
      }
    }
    await this.writer.write({ executionUpdates: updates });
    for (const u of updates) this.emitExecution(run, u.uuid);
    for (const slot of run.slotList) slot.fanOut?.recount();
    for (const slot of run.slots.values()) slot.controller?.abort(new AttemptAbort("cancel", "the run was cancelled"));
    this.maybeFinishRun(run);
  }

  /**
   * Finishes the runs a previous process left unfinished: follows attempts that are
   * still running where the runtime can re-attach, retries them otherwise, and
   * schedules everything that was waiting. Returns the runs it took over.
   */
  async recover(): Promise<RunRecord[]> {
    return this.adopt(await this.store.listUnfinishedRuns());
  }

  /** recover() for the given runs: those a previous process left, or (scale-out) claimed from the database. */
  async adopt(runs: RunRecord[]): Promise<RunRecord[]> {
    const taken: RunRecord[] = [];
    for (const record of runs) {
      if (this.active.has(record.uuid)) continue;
      await this.takeOver(record);
      taken.push(record);
    }
    this.pump();
    // Pending runs wait on: their timeouts run again, and those with a free slot start.
    await this.admission.recover();
    return taken;
  }

  /** A run the queue moved to `running`: taken over as recovery does; resolves once it is active, with its end. */
  private async startQueuedRun(record: RunRecord): Promise<{ settled: Promise<RunRecord> }> {
    this.emit("run", record);
    // With several workers, whoever claims the run runs it; this process then only follows its end.
    if (!(await this.claimHere(record.uuid))) return { settled: this.endedElsewhere(record.uuid) };
    const run = await this.takeOver(record);
    this.pump();
    return { settled: run.settled };
  }

  /**
   * Claims a run this process is about to run, where several processes write (PostgreSQL):
   * true when the claim is (now) this worker's. With one writer, every run is this process's.
   */
  private async claimHere(uuid: RunId): Promise<boolean> {
    if (!this.worker?.executes || !this.store.capabilities.multipleWriters) return true;
    const claim = this.worker.newClaim(uuid);
    return this.store.claims.claimRun(claim.workerId, uuid, Date.now(), claim.leaseUntil);
  }

  /** The end of a run another worker runs, read from the store (a run left the queue into another process's hands). */
  private async endedElsewhere(uuid: RunId): Promise<RunRecord> {
    for (;;) {
      const run = await this.store.getRun(uuid);
      if (run && !["pending", "queued", "running"].includes(run.status)) return run;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /** Activates a recorded run from what the store holds of it and schedules what it has left. */
  /**
   * A run this process is about to take over, by uuid: the claim sweep (adopt) and a run that
   * leaves the queue can reach the same run at the same moment, and it must be activated once.
   */
  private readonly takingOver = new Map<RunId, Promise<ActiveRun>>();

  private takeOver(record: RunRecord): Promise<ActiveRun> {
    const active = this.active.get(record.uuid);
    if (active) return Promise.resolve(active);
    let taking = this.takingOver.get(record.uuid);
    if (!taking) {
      taking = this.takeOverNow(record).finally(() => this.takingOver.delete(record.uuid));
      this.takingOver.set(record.uuid, taking);
    }
    return taking;
  }

  private async takeOverNow(record: RunRecord): Promise<ActiveRun> {
    await this.refreshGroupCap(record.groupId);
    const executions = await this.store.listExecutions(record.uuid);
    const latest = new Map<string, ExecutionRecord>();
    for (const e of executions) {
      const seen = latest.get(e.taskId);
      if (!seen || seen.attempt < e.attempt) latest.set(e.taskId, e);
    }
    const pipeline = record.pipeline as Pipeline;
    // A run recorded before its executions were (cannot happen with one batch, but be safe).
    const missing = pipeline.tasks.filter((t) => !latest.has(t.id)).map((t) => newAttempt(record.uuid, t.id, 1, null));
    if (missing.length > 0) await this.writer.write({ newExecutions: missing });
    const run = this.activate(record, [...latest.values(), ...missing], executions);
    // Before a pending cancel, which must find their items.
    this.resumeFanOuts(run, latest, executions);
    if (record.status === "queued") {
      const patch = { status: "running" as const, startedAt: Date.now() };
      await this.writer.write({ runUpdates: [{ uuid: record.uuid, patch }] });
      Object.assign(run.record, patch);
    }
    if (record.message === CANCEL_REQUESTED) {
      await this.cancelRun(record.uuid);
      // Attempts still marked running belong to a dead process: resume them so they get stopped.
    }
    for (const slot of run.slotList) {
      if (slot.fanOut !== undefined) continue; // its items are followed by the fan-out
      if (slot.current.status === "running") this.ready.push({ run, slot, resume: true });
      else this.evaluate(run, slot);
    }
    this.maybeFinishRun(run);
    return run;
  }

  /** Reads the group's max_parallel_tasks, so a change applies from the group's next run on. */
  private async refreshGroupCap(groupId: string): Promise<void> {
    const group = await this.store.service.getGroup(groupId);
    this.setGroupTaskCap(groupId, group?.maxParallelTasks ?? null);
  }

  /** A group's max_parallel_tasks changed (null: removed): applies to the tasks that start from now on. */
  setGroupTaskCap(groupId: string, cap: number | null): void {
    this.groupTasks.setCap(groupId, cap);
    this.pump();
  }

  /** Writes what is buffered and stops scheduling. Running processes are left to a later `recover()`. */
  async close(): Promise<void> {
    this.closed = true;
    this.admission.close();
    for (const run of this.active.values()) for (const slot of run.slots.values()) clearTimeout(slot.retryTimer);
    await this.writer.close();
    await this.taskCache.flushUses().catch(() => undefined);
    await Promise.all(this.cleanups);
  }

  // -- several processes (takeover.ts) ---------------------------------------------------

  get hasCapacity(): boolean {
    return !this.closed && this.running + this.ready.size < this.config.maxParallelTasks;
  }

  /** Attempts running now. */
  get busySlots(): number {
    return this.running;
  }

  activeRunIds(): RunId[] {
    return [...this.active.keys()];
  }

  async cancelIfActive(uuid: RunId): Promise<void> {
    const run = this.active.get(uuid);
    if (!run || run.cancelRequested) return;
    if ((await this.store.getRun(uuid))?.message === CANCEL_REQUESTED) await this.cancelRun(uuid);
  }

  private async requestCancelElsewhere(uuid: RunId): Promise<void> {
    if (await this.store.claims.flagRun(uuid, CANCEL_REQUESTED)) await this.store.claims.notify("cancel", uuid);
  }

  private announceWork(record: RunRecord): RunRecord {
    void this.store.claims.notify("work", record.uuid).catch((err: unknown) => process.emitWarning(`announcing run ${record.uuid}: ${describeError(err)}`, "CairnTakeover"));
    return record;
  }

  // -- scheduling ---------------------------------------------------------------------

  private activate(record: RunRecord, latest: ExecutionRecord[], history: ExecutionRecord[] = latest): ActiveRun {
    const pipeline = record.pipeline as Pipeline;
    let settle!: (run: RunRecord) => void;
    const settled = new Promise<RunRecord>((resolve) => (settle = resolve));
    const run: ActiveRun = {
      record,
      pipeline,
      slots: new Map(),
      slotList: [],
      settledUpTo: 0,
      cancelRequested: false,
      hasAttachments: runHasAttachments(this.config.dataDir, record.uuid),
      outputs: new Map(),
      settled,
      settle,
    };
    const byTask = new Map(latest.map((e) => [e.taskId, e]));
    // Earlier attempts that count as retries (an interruption by a restart does not), in one pass.
    const retriesByTask = new Map<string, number>();
    for (const e of history) {
      if (e.attempt < byTask.get(e.taskId)!.attempt && !(e.message ?? "").startsWith(INTERRUPTED)) {
        retriesByTask.set(e.taskId, (retriesByTask.get(e.taskId) ?? 0) + 1);
      }
    }
    for (const task of pipeline.tasks) {
      const current = byTask.get(task.id)!;
      const slot: TaskSlot = {
        task,
        profile: resolveExecutionProfile(pipeline, task),
        dependents: [],
        unfinishedDependencies: 0,
        current,
        retriesUsed: retriesByTask.get(task.id) ?? 0,
      };
      run.slots.set(task.id, slot);
      run.slotList.push(slot);
      if (current.status === "succeeded") run.outputs.set(task.id, outputsForDependents(current, this.outputSealer));
    }
    for (const slot of run.slotList) {
      for (const dep of slot.task.depends_on) {
        const depSlot = run.slots.get(dep.id)!;
        depSlot.dependents.push({ dependent: slot, canFail: dep.can_fail });
        if (!isTerminal(depSlot.current.status)) slot.unfinishedDependencies++;
      }
    }
    this.active.set(record.uuid, run);
    return run;
  }

  /** Decides what a queued task does next: wait, run, or be skipped. */
  private evaluate(run: ActiveRun, slot: TaskSlot): void {
    if (slot.current.status !== "queued" || run.cancelRequested) return;
    const notBefore = slot.current.notBefore;
    if (notBefore !== null && notBefore > Date.now()) {
      clearTimeout(slot.retryTimer);
      slot.retryTimer = setTimeout(() => {
        this.evaluate(run, slot);
        this.pump();
      }, notBefore - Date.now());
      return;
    }
    if (slot.unfinishedDependencies > 0) return;
    for (const dep of slot.task.depends_on) {
      const depSlot = run.slots.get(dep.id)!;
      if (!isTerminal(depSlot.current.status)) return;
      if (depSlot.current.status !== "succeeded" && !dep.can_fail) {
        this.skip(run, slot, `dependency '${dep.id}' ended ${depSlot.current.status}`);
        return;
      }
    }
    if (slot.task.conditions !== undefined && slot.task.conditions.length > 0) {
      let holds: boolean;
      try {
        holds = evaluateConditions(slot.task.conditions, { pipeline: run.pipeline, params: run.record.params, outputs: run.outputs });
      } catch (err) {
        // A condition that cannot be evaluated (a number against a string...) is a mistake in the pipeline, not a decision.
        this.failUnstarted(run, slot, `conditions could not be evaluated: ${describeError(err)}`);
        return;
      }
      if (!holds) {
        this.skip(run, slot, CONDITIONS_NOT_MET);
        return;
      }
    }
    if (slot.task.for_each !== undefined) {
      this.startFanOut(run, slot);
      return;
    }
    if (slot.waiting) return;
    slot.waiting = true;
    this.ready.push({ run, slot, resume: false });
  }

  private skip(run: ActiveRun, slot: TaskSlot, reason: string): void {
    const patch: ExecutionPatch = { status: "skipped", endedAt: Date.now(), message: `skipped: ${reason}` };
    Object.assign(slot.current, patch);
    const committed = this.writer.write({ executionUpdates: [{ uuid: slot.current.uuid, patch }] });
    // Its dependents' skips join the same transaction; nothing starts before it is committed.
    this.afterTerminal(run, slot);
    void committed.then(() => this.emit("execution", slot.current));
  }

  /** Ends a task that never started as failed (no retry: nothing about it would change). */
  private failUnstarted(run: ActiveRun, slot: TaskSlot, message: string): void {
    const patch: ExecutionPatch = { status: "failed", endedAt: Date.now(), message };
    Object.assign(slot.current, patch);
    this.log(run, slot.current, "system", message);
    const committed = this.writer.write({ executionUpdates: [{ uuid: slot.current.uuid, patch }] });
    this.afterTerminal(run, slot);
    void committed.then(() => this.emit("execution", slot.current));
  }

  /**
   * A task's attempt is final (its write may still be pending: whatever its dependents
   * write joins that batch, and a process starts only once its own `running` row, and so
   * this end, is committed).
   */
  private afterTerminal(run: ActiveRun, slot: TaskSlot): void {
    slot.itemOf?.itemEnded();
    const ended = slot.current.status;
    for (const { dependent, canFail } of slot.dependents) {
      dependent.unfinishedDependencies--;
      if (dependent.current.status !== "queued" || run.cancelRequested) continue;
      // Skipped as soon as one dependency it does not allow to fail has failed: it can never run.
      if (ended !== "succeeded" && !canFail) this.skip(run, dependent, `dependency '${slot.task.id}' ended ${ended}`);
      else if (dependent.unfinishedDependencies === 0) this.evaluate(run, dependent);
    }
    this.maybeFinishRun(run);
    this.pump();
  }

  // -- fan-out (fan-out.ts) -------------------------------------------------------------

  /** A ready task with for_each: resolves its items and hands them to a FanOut, which releases them. */
  private startFanOut(run: ActiveRun, slot: TaskSlot): void {
    let items: unknown[];
    try {
      items = resolveForEachItems(slot.task.for_each!, { pipeline: run.pipeline, params: run.record.params, outputs: run.outputs }, `tasks[${run.slotList.indexOf(slot)}].for_each`);
    } catch (err) {
      this.failUnstarted(run, slot, `for_each could not be resolved: ${describeError(err)}`);
      return;
    }
    slot.fanOut = new FanOut(this.fanOutHost(run), slot, itemsAtOnce(slot.task.for_each!, this.config.maxParallelTasks));
    slot.fanOut.start(items);
  }

  /** After a restart: the fan-outs that were running take their items back (queued, running or final). */
  private resumeFanOuts(run: ActiveRun, latest: ReadonlyMap<string, ExecutionRecord>, history: readonly ExecutionRecord[]): void {
    for (const slot of run.slotList) {
      if (slot.task.for_each === undefined || slot.current.status !== "running") continue;
      const items = itemExecutionsOf(slot.task.id, latest);
      const retries = new Map<string, number>();
      for (const e of history) {
        const current = items.get(e.taskId);
        if (current && e.attempt < current.attempt && !(e.message ?? "").startsWith(INTERRUPTED)) retries.set(e.taskId, (retries.get(e.taskId) ?? 0) + 1);
      }
      // The list is read again: its sources (params, env, succeeded upstream outputs) are the run's and do not change.
      let list: unknown[];
      try {
        list = resolveForEachItems(slot.task.for_each, { pipeline: run.pipeline, params: run.record.params, outputs: run.outputs }, `tasks[${run.slotList.indexOf(slot)}].for_each`);
      } catch (err) {
        // Cannot happen with the same sources; if it does, this run fails rather than every run's recovery.
        this.failUnstarted(run, slot, `for_each could not be read again after a restart: ${describeError(err)}`);
        continue;
      }
      slot.fanOut = new FanOut(this.fanOutHost(run), slot, itemsAtOnce(slot.task.for_each, this.config.maxParallelTasks));
      slot.fanOut.resume(list, items, retries);
    }
  }

  private fanOutHost(run: ActiveRun): FanOutHost<TaskSlot> {
    return {
      itemSlot: (parent, task, current, retriesUsed) => {
        const item: TaskSlot = { task, profile: parent.profile, dependents: [], unfinishedDependencies: 0, current, retriesUsed, itemOf: parent.fanOut! };
        run.slots.set(task.id, item);
        return item;
      },
      firstAttempt: (taskId) => {
        const original = run.reuse?.get(taskId);
        return original ? this.reusedAttempt(run.record.uuid, original) : newAttempt(run.record.uuid, taskId, 1, null);
      },
      write: (batch) => this.writer.write(batch),
      emit: (execution) => this.emit("execution", execution),
      release: (item) => this.evaluate(run, item),
      resume: (item) => this.ready.push({ run, slot: item, resume: true }),
      outputsOf: (item) => run.outputs.get(item.task.id) ?? outputsForDependents(item.current, this.outputSealer),
      seal: (outputs, executionUuid) => sealOutputs(outputs, executionUuid, this.outputSealer),
      ended: (parent, outputs, committed) => {
        if (parent.current.status === "succeeded") run.outputs.set(parent.task.id, outputs);
        // Items' outputs were kept for this gathering only; dependents read the parent's arrays.
        for (let i = 0; i < parent.fanOut!.size; i++) run.outputs.delete(itemTaskId(parent.task.id, i));
        this.afterTerminal(run, parent);
        void committed.then(() => this.emit("execution", parent.current));
      },
    };
  }

  private pump(): void {
    while (this.running < this.config.maxParallelTasks && !this.closed) {
      // Tasks put aside because their group was at its max_parallel_tasks go first once it has room.
      const next = this.groupTasks.takeReleased() ?? this.ready.take();
      if (next === undefined) break;
      const groupId = next.run.record.groupId;
      if (!next.resume) {
        // A cancelled run's waiting tasks are dropped here rather than searched for in the queue.
        if (next.run.cancelRequested || next.slot.current.status !== "queued") {
          next.slot.waiting = false;
          continue;
        }
        // Still `waiting` while parked, so an evaluation meanwhile does not queue it twice.
        if (!this.groupTasks.mayStart(groupId)) {
          this.groupTasks.park(groupId, next);
          continue;
        }
        next.slot.waiting = false;
      }
      this.groupTasks.started(groupId);
      this.running++;
      let freed = false;
      // Freed as soon as the attempt's end is known, so a dependent can start in the same turn (and its
      // `running` row share the end's transaction), or when the attempt fails in an unexpected way.
      const freeSlot = () => {
        if (freed) return;
        freed = true;
        this.running--;
        this.groupTasks.ended(groupId);
      };
      void this.execute(next.run, next.slot, next.resume, freeSlot).finally(() => {
        freeSlot();
        this.pump();
      });
    }
  }

  // -- one attempt --------------------------------------------------------------------

  private async execute(run: ActiveRun, slot: TaskSlot, resume: boolean, freeSlot: () => void): Promise<void> {
    const exec = slot.current;
    const controller = new AbortController();
    slot.controller = controller;
    if (!resume) {
      const patch: ExecutionPatch = { status: "running", startedAt: Date.now(), worker: this.workerId };
      Object.assign(exec, patch);
      await this.writer.write({ executionUpdates: [{ uuid: exec.uuid, patch }] });
      this.emit("execution", exec);
    } else if (exec.worker !== this.workerId) {
      // Taken over: the attempt is this worker's now, whether it re-attaches or ends it as interrupted.
      exec.worker = this.workerId;
      this.writer.writeSoon([{ uuid: exec.uuid, patch: { worker: this.workerId } }]);
    }
    if (run.cancelRequested) controller.abort(new AttemptAbort("cancel", "the run was cancelled"));
    const limitMs = slot.profile.max_exec_time * 1000;
    const elapsed = Date.now() - (exec.startedAt ?? Date.now());
    const timer = setTimeout(
      () => controller.abort(new AttemptAbort("timeout", `timed out after ${slot.profile.max_exec_time} s (max_exec_time)`)),
      Math.max(0, limitMs - elapsed),
    );

    let result: AttemptResult;
    try {
      result = await this.runHandler(run, slot, exec, controller.signal, resume);
    } catch (err) {
      result = failureResult(err, controller.signal);
    } finally {
      clearTimeout(timer);
      slot.controller = undefined;
    }
    await this.finishAttempt(run, slot, result, freeSlot);
  }

  private async runHandler(
    run: ActiveRun,
    slot: TaskSlot,
    exec: ExecutionRecord,
    signal: AbortSignal,
    resume: boolean,
  ): Promise<AttemptResult> {
    const handler = this.handlers.get(slot.task.type);
    if (!handler) throw new TaskFailure(`task type '${slot.task.type}' is not available on this server`, { retryable: false });
    if (resume && !handler.resume) return interrupted();
    const secretValues: string[] = [];
    const inputs = await resolveInputs(slot.task, {
      pipeline: run.pipeline,
      params: run.record.params,
      taskOutputs: run.outputs,
      secrets: async (name, groupId, pipelineId) => {
        const value = await this.secrets(name, groupId, pipelineId);
        if (value !== undefined) secretValues.push(value);
        return value;
      },
      groupId: run.record.groupId,
    });
    const api = resume ? undefined : await this.apiAccessFor(run, slot.task);
    // The task cache, before the attempt's folders are made, so that a hit makes none; a task
    // that runs an image is looked up in runAttemptIn, where its image can be pulled.
    const early = !resume && slot.profile.cache && !runsImage(handler, slot.profile) ? await this.lookUpInCache(run, slot, exec, inputs, async () => null) : {};
    if (early.hit) return this.cachedResult(exec, early.hit);
    if (api) secretValues.push(api.token);
    const paths = await this.attemptPaths(run, slot, exec, inputs, resume);
    const logPlain = (stream: LogStream, line: string) => this.log(run, exec, stream, line);
    let masking = secretValues.length > 0 ? new AttemptLogMasking(secretValues, logPlain) : undefined;
    const log = (stream: LogStream, line: string) => (masking ? masking.log(stream, line) : logPlain(stream, line));
    // An identity's credentials, once a task opens it, are masked like a secret input: in
    // every log line of the attempt (the engine's notes and the task's), its outputs and its failure.
    const opened = (credentials: Record<string, string | undefined>) => {
      // A user name is not a secret, and messages name it on purpose ("refused ... with the credentials of USER").
      const values = Object.entries(credentials)
        .filter(([key]) => key !== "username")
        .map(([, v]) => v)
        .filter((v): v is string => typeof v === "string" && v !== "");
      if (values.length === 0) return;
      if (masking) masking.addSecrets(values);
      else masking = new AttemptLogMasking(values, logPlain);
    };
    let handOn: readonly string[] | undefined;
    try {
      const result = await this.runAttemptIn(run, slot, exec, signal, resume, inputs, paths, log, api, opened, early.miss);
      handOn = result.handOn;
      // What an attempt made with a secret or an identity is never kept (task-cache/cache-key.ts cacheRefusal says why).
      if (masking && result.cacheMiss) {
        delete result.cacheMiss;
        log("system", "task cache: not kept, the attempt used a secret or an identity");
      }
      // Dependents get result.outputs as the task wrote them; people see them masked.
      const kept = outputsToKeep(masking, result.outputs, this.outputSealer, exec.uuid);
      result.shownOutputs = kept.shown;
      result.sealedOutputs = kept.sealed;
      return result;
    } catch (err) {
      // The failure's message is stored and answered by the API: masked like the log.
      if (masking && err instanceof TaskFailure && err.outputs) {
        for (const [name, value] of Object.entries(err.outputs)) err.outputs[name] = masking.maskText(value);
      }
      if (masking && err instanceof Error) {
        err.message = masking.maskText(err.message);
        if (err.cause instanceof Error) err.cause.message = masking.maskText(err.cause.message);
      }
      throw err;
    } finally {
      masking?.flush();
      // Before the end is written: a restart then finds the results where the API and archives look.
      let outbox: "empty" | "kept" | undefined;
      try {
        outbox = keepOutbox(paths.outbox, this.config.dataDir, run.record.uuid, slot.task.id, exec.attempt);
      } catch (err) {
        log("system", `what the attempt wrote to its outbox could not be kept as its results: ${describeError(err)}`);
      }
      // Results are shown (zips, archives): kept masked, so no secret stays in clear on disk.
      if (outbox === "kept" && masking) {
        const resultsDir = attemptResultsDir(this.config.dataDir, run.record.uuid, slot.task.id, exec.attempt);
        await maskResultFiles(resultsDir, masking.bytesMasker()).catch((err: unknown) => {
          log("system", `masking secrets in the attempt's results failed: ${describeError(err)}`);
        });
      }
      if (handOn !== undefined && outbox === "empty" && !this.config.keepWorkDirs) {
        this.handedOn.offer(run.record.uuid, this.folderOptions(run, slot), paths, handOn);
      }
    }
  }

  /** The attempt's folders (made ahead if they could be), with its inputs written. */
  private async attemptPaths(run: ActiveRun, slot: TaskSlot, exec: ExecutionRecord, inputs: Record<string, string>, resume: boolean): Promise<AttemptPaths> {
    const made = (await this.foldersAhead.take(exec.uuid)) ?? this.makeFolders(run, slot, exec, resume);
    writeInputs(made.inputs, inputs);
    const inbox = made.inbox ?? (await prepareInbox(this.config.dataDir, run.record.uuid, slot.task.id, slot.itemOf?.parent.task.id));
    return { root: made.root, inputs: made.inputs, outputs: made.outputs, inbox, outbox: made.outbox };
  }

  /** A resumed attempt keeps the folder it was started with, which an earlier Cairn may have named otherwise. */
  private makeFolders(run: ActiveRun, slot: TaskSlot, exec: ExecutionRecord, resume = false): MadeFolders {
    const { dataDir } = this.config;
    const options = this.folderOptions(run, slot);
    if (resume) options.root = existingAttemptRoot(dataDir, run.record.uuid, slot.task.id, exec.attempt);
    const folders =
      this.handedOn.take(dataDir, run.record.uuid, slot.task.id, exec.attempt, options) ??
      this.folderCost.time(() => makeAttemptFolders(dataDir, run.record.uuid, slot.task.id, exec.attempt, options));
    return { ...folders, inbox: this.sharedInbox(run) };
  }

  /** Folders handed on by an ended attempt are taken at once (a rename); only new ones are made in the pool. */
  private async makeFoldersInPool(run: ActiveRun, slot: TaskSlot, exec: ExecutionRecord): Promise<MadeFolders> {
    const { dataDir } = this.config;
    const options = this.folderOptions(run, slot);
    const folders =
      this.handedOn.take(dataDir, run.record.uuid, slot.task.id, exec.attempt, options) ??
      (await makeAttemptFoldersInPool(dataDir, run.record.uuid, slot.task.id, exec.attempt, options));
    return { ...folders, inbox: this.sharedInbox(run) };
  }

  private folderOptions(run: ActiveRun, slot: TaskSlot): AttemptFolderOptions {
    const hasInputs = Object.keys(slot.task.input).length > 0;
    return {
      forContainer: slot.profile.runtime !== "host",
      extra: handlerFolders(slot.task.type),
      ...(hasInputs ? {} : { noInputs: this.runEmptyDir(run) }),
    };
  }

  /** Every task's inbox in a run without attachments; undefined when the run has some (each task gets its own). */
  private sharedInbox(run: ActiveRun): string | undefined {
    return run.hasAttachments ? undefined : this.runEmptyDir(run);
  }

  private runEmptyDir(run: ActiveRun): string {
    return (run.emptyDir ??= makeRunEmptyDir(this.config.dataDir, run.record.uuid));
  }

  /**
   * While a process runs, the engine has nothing to do: the folders of the attempts that
   * are likely to start next are made then (folders-ahead.ts). Those waiting for a free
   * slot first, then the dependents of the task that just started.
   */
  private makeFoldersAhead(run: ActiveRun, started: TaskSlot): void {
    const want = (r: ActiveRun, slot: TaskSlot) => {
      if (r.cancelRequested || slot.current.status !== "queued") return;
      const exec = slot.current;
      // A synchronous mkdir costs less CPU than a round trip through the thread pool. Only
      // where new folders are slow (folder-cost.ts), and while tasks wait for a slot (the
      // engine's thread, which handles every end and start, is then what they wait for),
      // do the system calls go to the pool; otherwise the thread would be idle anyway.
      const inPool = () => this.ready.size > 0 && this.folderCost.preferPool();
      this.foldersAhead.want(exec.uuid, r.record.uuid, () => (inPool() ? this.makeFoldersInPool(r, slot, exec) : this.makeFolders(r, slot, exec)));
    };
    for (const next of this.ready.peek(this.config.maxParallelTasks * 2)) {
      if (this.foldersAhead.full) return;
      if (!next.resume) want(next.run, next.slot);
    }
    for (const { dependent } of started.dependents) {
      if (this.foldersAhead.full) return;
      want(run, dependent);
    }
    // An item's "dependents" are the items its fan-out releases next, which wait outside the ready queue.
    for (const next of started.itemOf?.upcoming(this.config.maxParallelTasks) ?? []) {
      if (this.foldersAhead.full) return;
      want(run, next);
    }
  }

  private async runAttemptIn(
    run: ActiveRun,
    slot: TaskSlot,
    exec: ExecutionRecord,
    signal: AbortSignal,
    resume: boolean,
    inputs: Record<string, string>,
    paths: AttemptPaths,
    log: (stream: LogStream, line: string) => void,
    api: TaskApiAccess | undefined,
    onIdentity: (credentials: Record<string, string | undefined>) => void,
    cacheMiss: CacheMiss | undefined,
  ): Promise<AttemptResult> {
    const handler = this.handlers.get(slot.task.type)!;
    const ctx: TaskExecutionContext = {
      runUuid: run.record.uuid,
      executionUuid: exec.uuid,
      attempt: exec.attempt,
      task: slot.task,
      profile: slot.profile,
      inputs,
      paths,
      runtimes: this.runtimes,
      config: this.config,
      egress: this.egress,
      log,
      started: async (handle, options) => {
        exec.runtimeHandle = handle;
        const update = [{ uuid: exec.uuid, patch: { runtimeHandle: handle } }];
        // A restart never follows such a process (it retries the attempt), so the handle is
        // for people to read and rides along with the attempt's end when it is quick.
        const committed = options?.reattachable === false ? undefined : this.writer.write({ executionUpdates: update });
        if (committed === undefined) this.writer.writeSoon(update);
        this.makeFoldersAhead(run, slot);
        await committed;
      },
      // Kept on the record and written with the attempt's end, in the same transaction.
      recordUsage: async (usage) => {
        exec.usage = usage;
      },
      usedImage: (digest) => {
        exec.imageDigest = digest;
      },
      recordImage: (image) =>
        // The run and task that made it; a mere sighting names none, so a later build's provenance wins.
        this.store.images.recordImage({
          ...image,
          groupId: run.record.groupId,
          recordedAt: Date.now(),
          runUuid: image.origin === "seen" ? null : run.record.uuid,
          taskId: image.origin === "seen" ? null : slot.task.id,
        }),
      images: groupImages(this.store.images, run.record.groupId),
      ...(this.actors ? { actors: this.actors.forGroup(run.record.groupId) } : {}),
      signal,
      directives: run.record.directives,
      pipelineId: run.record.pipelineId,
      ...(this.identities && run.record.startedBy ? { identity: identityOpener(this.identities, run.record.startedBy, onIdentity) } : {}),
      ...(this.registryIdentities && run.record.startedBy ? { registryIdentity: registryIdentityOpener(this.registryIdentities, run.record.startedBy, onIdentity) } : {}),
      resumeFrom: resume ? { seen: await this.storedLineCounts(exec), handle: exec.runtimeHandle } : undefined,
      groupId: run.record.groupId,
      ...(api ? { api } : {}),
    };
    // A resumed attempt of a cancelled run still goes to its handler, which stops the process.
    if (signal.aborted && !resume) throw signal.reason;
    // A task that runs an image: the key holds the image's id, pulled first as its pull_policy says.
    const late = !resume && slot.profile.cache && runsImage(handler, slot.profile) ? await this.lookUpInCache(run, slot, exec, inputs, () => handler.imageId!(ctx)) : {};
    if (late.hit) return this.cachedResult(exec, late.hit);
    const miss = cacheMiss ?? late.miss;
    const outcome = resume ? await handler.resume!(ctx) : await handler.run(ctx);
    if (outcome === undefined) return interrupted();
    const files = collectOutputs(paths.outputs, (m) => log("system", m));
    const outputs = { ...files.values, ...outcome.outputs };
    for (const name of Object.keys(slot.task.output)) {
      if (!(name in outputs)) log("system", `declared output '${name}' was not written to /cairn/outputs/${name}`);
    }
    const result: AttemptResult = { status: "succeeded", exitCode: outcome.exitCode ?? null, message: null, outputs, retryable: false, ...(miss ? { cacheMiss: miss } : {}) };
    if (outcome.leftNothingRunning && files.complete) result.handOn = Object.keys(files.values);
    return result;
  }

  private async apiAccessFor(run: ActiveRun, task: Task): Promise<TaskApiAccess | undefined> {
    if (!("inject_api_token" in task) || !task.inject_api_token) return undefined;
    if (!this.apiAccess) {
      throw new TaskFailure("inject_api_token needs `cairn server`: a local `cairn run` has no API to give a token for", { retryable: false });
    }
    return this.apiAccess.grant(run.record);
  }

  private async finishAttempt(run: ActiveRun, slot: TaskSlot, result: AttemptResult, freeSlot: () => void): Promise<void> {
    const exec = slot.current;
    const patch: ExecutionPatch = {
      status: result.status,
      endedAt: Date.now(),
      exitCode: result.exitCode,
      message: result.message,
      outputs: result.shownOutputs ?? result.outputs,
      ...(result.sealedOutputs ? { sealedOutputs: result.sealedOutputs } : {}),
      ...(exec.usage ? { usage: exec.usage } : {}),
      ...(exec.imageDigest ? { imageDigest: exec.imageDigest } : {}),
      ...(result.cachedFrom ? { cachedFrom: result.cachedFrom } : {}),
    };
    if (result.status === "succeeded" && result.cacheMiss) await this.keepInCache(run, slot, result, result.cacheMiss);
    Object.assign(exec, patch);
    let retry: ExecutionRecord | undefined;
    if ((result.status === "failed" || result.status === "timed_out") && result.retryable && !run.cancelRequested) {
      const isInterruption = (result.message ?? "").startsWith(INTERRUPTED);
      const delay = isInterruption ? 0 : retryDelayMs(slot.profile, slot.retriesUsed);
      if (delay !== undefined) {
        retry = newAttempt(run.record.uuid, slot.task.id, exec.attempt + 1, Date.now() + delay);
        if (!isInterruption) slot.retriesUsed++;
      }
    }
    if (result.status !== "succeeded" && result.message) this.log(run, exec, "system", result.message);
    // The retry takes the slot before the write is awaited: meanwhile another task may end and
    // ask whether the run is over, and a failed attempt about to be retried must not count as final.
    if (retry) slot.current = retry;
    const committed = this.writer.write({ executionUpdates: [{ uuid: exec.uuid, patch }], newExecutions: retry ? [retry] : [] });
    freeSlot();
    if (retry) {
      await committed;
      this.emit("execution", exec);
      this.emit("execution", retry);
      this.evaluate(run, slot);
      return;
    }
    if (result.status === "succeeded") run.outputs.set(slot.task.id, result.outputs);
    // Not awaited first: the dependents that start now write their `running` rows into the same
    // transaction, and each awaits that commit before its process starts (one commit, not two).
    this.afterTerminal(run, slot);
    await committed;
    this.emit("execution", exec);
  }

  private lookUpInCache(run: ActiveRun, slot: TaskSlot, exec: ExecutionRecord, inputs: Record<string, string>, imageId: () => Promise<string | null | undefined>): Promise<CacheLookup> {
    return this.taskCache.lookup({
      groupId: run.record.groupId,
      pipeline: run.pipeline,
      task: slot.task,
      profile: slot.profile,
      inputs,
      inbox: run.hasAttachments ? () => prepareInbox(this.config.dataDir, run.record.uuid, slot.task.id) : undefined,
      resultsDir: attemptResultsDir(this.config.dataDir, run.record.uuid, slot.task.id, exec.attempt),
      imageId,
      log: (stream, line) => this.log(run, exec, stream, line),
    });
  }

  /** A hit: the attempt succeeds with the entry's outputs (its result files are restored already), and nothing runs. */
  private cachedResult(exec: ExecutionRecord, hit: CacheHit): AttemptResult {
    exec.imageDigest = hit.imageDigest;
    return { status: "succeeded", exitCode: hit.exitCode, message: hit.message, outputs: hit.outputs, retryable: false, cachedFrom: hit.cachedFrom };
  }

  /** Before the attempt's end is written: a run started once this one has ended finds the entry. */
  private async keepInCache(run: ActiveRun, slot: TaskSlot, result: AttemptResult, miss: CacheMiss): Promise<void> {
    const exec = slot.current;
    await this.taskCache.keep(miss, {
      groupId: run.record.groupId,
      pipelineId: run.record.pipelineId,
      taskId: slot.task.id,
      runUuid: run.record.uuid,
      executionUuid: exec.uuid,
      attempt: exec.attempt,
      exitCode: result.exitCode,
      imageDigest: exec.imageDigest ?? null,
      outputs: result.outputs,
      log: (stream, line) => this.log(run, exec, stream, line),
    });
  }

  private maybeFinishRun(run: ActiveRun): void {
    if (!this.active.has(run.record.uuid)) return;
    // A final slot stays final (a retry replaces `current` before its attempt is final), so
    // the scan resumes where it stopped: the whole run costs O(tasks), not O(tasks²).
    const slots = run.slotList;
    while (run.settledUpTo < slots.length && isTerminal(slots[run.settledUpTo]!.current.status)) run.settledUpTo++;
    if (run.settledUpTo < slots.length) return;
    const finals = new Map<string, ExecutionStatus>(slots.map((slot) => [slot.task.id, slot.current.status]));
    this.active.delete(run.record.uuid);
    const aheadSettled = this.foldersAhead.forget(run.record.uuid);
    this.handedOn.forget(run.record.uuid);
    const byConditions = new Set(slots.filter((s) => s.current.status === "skipped" && s.current.message === `skipped: ${CONDITIONS_NOT_MET}`).map((s) => s.task.id));
    const outcome = runOutcome(run.pipeline, finals, run.cancelRequested, byConditions);
    const patch = { status: outcome.status, endedAt: Date.now(), message: outcome.message };
    Object.assign(run.record, patch);
    void this.writer
      .write({ runUpdates: [{ uuid: run.record.uuid, patch }] })
      // Folders still being made ahead for attempts that will not start would otherwise land in a deleted folder.
      .then(() => {
        // Its end is committed: a run of its pipeline waiting for a slot may start now.
        void this.admission.runEnded(run.record).catch((err: unknown) => this.warn(`starting the runs waiting for run ${run.record.uuid}'s slot failed: ${describeError(err)}`));
        return aheadSettled;
      })
      .then(() => {
        if (this.takeRun) this.takeRun(run.record);
        else this.cleanUp(run.record);
      })
      .finally(() => {
        this.emit("run", run.record);
        run.settle(run.record);
      });
  }

  /**
   * Deletes (or schedules deleting) an ended run's working folder. The run's end does not
   * wait for it: removing a run of 1,000 tasks' folders took 1.3 s on the development
   * machine, and nothing about the run depends on it any more. close() waits for it.
   */
  private cleanUp(run: RunRecord): void {
    const done: Promise<void> = this.workDirs.release(run).finally(() => this.cleanups.delete(done));
    this.cleanups.add(done);
  }

  private log(run: ActiveRun, exec: ExecutionRecord, stream: LogStream, line: string): void {
    const ts = Date.now();
    this.writer.appendLog({ executionUuid: exec.uuid, stream, ts, line });
    this.emit("log", { runUuid: run.record.uuid, executionUuid: exec.uuid, taskId: exec.taskId, attempt: exec.attempt, stream, line, ts });
  }

  /** Lines are stored in the order they came, so what is stored is a prefix of each stream. */
  private async storedLineCounts(exec: ExecutionRecord): Promise<SeenLines> {
    await this.writer.flush();
    const seen = { stdout: 0, stderr: 0 };
    for await (const line of this.store.allLogs(exec.uuid)) if (line.stream !== "system") seen[line.stream]++;
    return seen;
  }

  private emitExecution(run: ActiveRun, uuid: ExecutionId): void {
    for (const slot of run.slots.values()) if (slot.current.uuid === uuid) this.emit("execution", slot.current);
  }

  private async applyDuplicatePolicy(pipeline: Pipeline, groupId: string): Promise<void> {
    const policy = pipeline.execution_profile.duplicate_submission_policy ?? "allow";
    if (policy === "allow") return;
    const inFlight = await this.store.listRuns({ pipelineId: pipeline.id, groupId, statuses: ["pending", "queued", "running"] });
    if (inFlight.length === 0) return;
    if (policy === "deny") {
      throw new CairnError(
        "conflict",
        `pipeline '${pipeline.id}' already has a run in progress (${inFlight[0]!.uuid}) and its duplicate_submission_policy is 'deny'`,
      );
    }
    for (const other of inFlight) {
      await this.cancelRun(other.uuid);
      if (this.active.has(other.uuid)) await this.waitForRun(other.uuid);
    }
  }
}

/** A task that may start: `resume` when it was running under a process that stopped. */
interface ReadyTask {
  run: ActiveRun;
  slot: TaskSlot;
  resume: boolean;
}

interface AttemptResult {
  status: Extract<ExecutionStatus, "succeeded" | "failed" | "timed_out" | "cancelled">;
  exitCode: number | null;
  message: string | null;
  /** As the task wrote them: what dependents get. */
  outputs: Record<string, string>;
  /** What is shown and stored as the outputs, when masking changed any (log-masking.ts outputsToKeep). */
  shownOutputs?: Record<string, string>;
  /** The outputs sealed, when shownOutputs differ from them. */
  sealedOutputs?: string | null;
  retryable: boolean;
  /** Set when the attempt's folders may go to a later attempt (handed-on-folders.ts): its output files, each recorded. */
  handOn?: readonly string[];
  /** The task cache missed: a success is kept under this key. */
  cacheMiss?: CacheMiss;
  /** Restored from the task cache: the execution that made the entry. */
  cachedFrom?: ExecutionId;
}

function interrupted(): AttemptResult {
  return {
    status: "failed",
    exitCode: null,
    message: `${INTERRUPTED} the server stopped while this attempt ran and its process could not be followed again`,
    outputs: {},
    retryable: true,
  };
}

function failureResult(err: unknown, signal: AbortSignal): AttemptResult {
  if (signal.aborted && signal.reason instanceof AttemptAbort) {
    const timedOut = signal.reason.kind === "timeout";
    return { status: timedOut ? "timed_out" : "cancelled", exitCode: null, message: signal.reason.message, outputs: {}, retryable: timedOut };
  }
  const retryable = isRetryable(err);
  const exitCode = err instanceof TaskFailure && err.exitCode !== undefined ? err.exitCode : null;
  return { status: "failed", exitCode, message: describeError(err), outputs: err instanceof TaskFailure && err.outputs ? { ...err.outputs } : {}, retryable };
}

function identityOpener(lookup: IdentityLookup, owner: string, onOpened: (credentials: Record<string, string | undefined>) => void): (uuid: string) => Promise<IdentityCredentials | undefined> {
  return async (uuid) => {
    const identity = await lookup(uuid, owner);
    if (identity) onOpened(identity.credentials);
    return identity;
  };
}

function registryIdentityOpener(lookup: RegistryIdentityLookup, owner: string, onOpened: (credentials: Record<string, string | undefined>) => void): (registry: string) => Promise<IdentityCredentials | undefined> {
  return async (registry) => {
    const identity = await lookup(owner, registry);
    if (identity) onOpened(identity.credentials);
    return identity;
  };
}

/** Copies what a reused execution kept as its results to the retry's first attempt of the task (no link is followed). */
async function copyResults(dataDir: string, original: ExecutionRecord, runUuid: RunId): Promise<void> {
  const from = attemptResultsDir(dataDir, original.runUuid, original.taskId, original.attempt);
  if (!existsSync(from)) return;
  await cp(from, attemptResultsDir(dataDir, runUuid, original.taskId, 1), { recursive: true, verbatimSymlinks: true, errorOnExist: false });
}

function newAttempt(runUuid: RunId, taskId: string, attempt: number, notBefore: number | null): ExecutionRecord {
  return {
    uuid: newExecutionId(),
    runUuid,
    taskId,
    attempt,
    status: "queued",
    createdAt: Date.now(),
    notBefore,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    message: null,
    outputs: {},
    runtimeHandle: null,
  };
}
