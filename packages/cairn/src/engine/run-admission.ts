import type { RunId } from "../ids.js";
import type { Pipeline } from "../spec/types.js";
import type { ExecutionRecord, RunRecord, Store } from "../store/store.js";

/**
 * A pipeline's `max_concurrent_runs` and `pending_timeout` (issue 17). A run past the
 * limit is recorded `pending` and starts, first in first out, when a run of its pipeline
 * ends; one that waits longer than `pending_timeout` is cancelled with that reason.
 *
 * The database decides (store/run-queue-store.ts): whether a new run starts or waits, and
 * which waiting runs start when one ends, are each one transaction under the pipeline's
 * admission lock, so the limit holds with several processes on one PostgreSQL. This
 * module only asks at the right moments and keeps the timers of the runs that wait.
 */

export interface RunAdmissionOptions {
  store: Pick<Store, "runQueue">;
  /** Takes over a run the queue just moved to `running`: resolves once it is active, with its end. */
  start: (run: RunRecord) => Promise<{ settled: Promise<RunRecord> }>;
  /** Tells of a pending run's new status (cancelled, or timed out). */
  changed: (run: RunRecord) => void;
  warn?: (message: string) => void;
  now?: () => number;
}

/** The limit a run's frozen pipeline set; undefined for none. */
export function maxConcurrentRuns(pipeline: unknown): number | undefined {
  return (pipeline as Partial<Pipeline> | null)?.execution_profile?.max_concurrent_runs;
}

function pendingTimeoutSeconds(pipeline: unknown): number | undefined {
  return (pipeline as Partial<Pipeline> | null)?.execution_profile?.pending_timeout;
}

/** The reason recorded on a run that waited past its pipeline's pending_timeout. */
export function pendingTimeoutMessage(seconds: number): string {
  return `pending_timeout: waited more than ${seconds} s for one of its pipeline's max_concurrent_runs slots; cancelled before it started`;
}

const pipelineKey = (run: Pick<RunRecord, "groupId" | "pipelineId">) => `${run.groupId}\u0000${run.pipelineId}`;

interface Waiting {
  run: RunRecord;
  timer: NodeJS.Timeout | undefined;
  settled: Promise<RunRecord>;
  settle: (run: RunRecord | Promise<RunRecord>) => void;
}

export class RunAdmission {
  readonly #options: RunAdmissionOptions;
  readonly #now: () => number;
  /** The pending runs this process knows of, by uuid. */
  readonly #waiting = new Map<RunId, Waiting>();
  /** Their pipelines, with how many: a run's end there asks the queue even when its own frozen pipeline had no limit. */
  readonly #waitingPipelines = new Map<string, number>();
  /** Runs that left the queue and are being taken over, until they are active. */
  readonly #starting = new Map<RunId, Promise<unknown>>();
  #closed = false;

  constructor(options: RunAdmissionOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Records a new run of a pipeline with a limit, `running` or `pending` as the database
   * decides. Undefined for a pipeline without one: the caller records the run itself.
   */
  async admit(run: RunRecord, executions: readonly ExecutionRecord[]): Promise<RunRecord | undefined> {
    const limit = maxConcurrentRuns(run.pipeline);
    if (limit === undefined) return undefined;
    const admitted = await this.#options.store.runQueue.admitRun(run, executions, limit);
    if (admitted.status === "pending") this.#watch(admitted);
    return admitted;
  }

  /** Whether this process knows the run as pending. */
  isWaiting(uuid: RunId): boolean {
    return this.#waiting.has(uuid);
  }

  /** Resolves once a run that just left the queue is active in the engine; undefined when none is being started. */
  starting(uuid: RunId): Promise<unknown> | undefined {
    return this.#starting.get(uuid);
  }

  /** The final record of a pending run this process knows of, once it ended; undefined for any other run. */
  settled(uuid: RunId): Promise<RunRecord> | undefined {
    return this.#waiting.get(uuid)?.settled;
  }

  /**
   * A run ended: its pipeline's oldest pending runs that now fit start. Asked only where a
   * limit can apply (the run's frozen pipeline had one, or a run of it waits here), so a
   * pipeline without a limit costs no transaction per run.
   */
  async runEnded(run: RunRecord): Promise<void> {
    if (maxConcurrentRuns(run.pipeline) === undefined && !this.#waitingPipelines.has(pipelineKey(run))) return;
    await this.#startFitting(run.groupId, run.pipelineId);
  }

  /**
   * Cancels a run that is still pending, with its tasks; the run's final record, or
   * undefined when it is not pending (any more).
   */
  async cancel(uuid: RunId, message: string): Promise<RunRecord | undefined> {
    const cancelled = await this.#options.store.runQueue.cancelPendingRun(uuid, this.#now(), message);
    if (cancelled) this.#ended(cancelled);
    return cancelled;
  }

  /**
   * After a restart: every pending run is watched again (its timeout counts from its
   * creation, so a run that waited past it while no process ran is cancelled now), and
   * each pipeline with a pending run starts those that fit: a run may have ended while
   * the process that would have started them was down.
   */
  async recover(): Promise<void> {
    const pending = await this.#options.store.runQueue.listPendingRuns();
    for (const run of pending) if (!this.#waiting.has(run.uuid)) this.#watch(run);
    const pipelines = new Map(pending.map((run) => [pipelineKey(run), run]));
    for (const run of pipelines.values()) await this.#startFitting(run.groupId, run.pipelineId);
  }

  /** Stops the timers; pending runs stay pending in the database for the next process. */
  close(): void {
    this.#closed = true;
    for (const waiting of this.#waiting.values()) clearTimeout(waiting.timer);
  }

  async #startFitting(groupId: string, pipelineId: string): Promise<void> {
    if (this.#closed) return;
    const started = await this.#options.store.runQueue.startPendingRuns(groupId, pipelineId, this.#now(), (run) => maxConcurrentRuns(run.pipeline) ?? Number.POSITIVE_INFINITY);
    for (const run of started) {
      const waiting = this.#forget(run.uuid);
      const taking = this.#options.start(run);
      const active = taking.then(
        () => undefined,
        (err: unknown) => this.#options.warn?.(`run ${run.uuid} left the queue but could not be started: ${err instanceof Error ? err.message : String(err)}`),
      );
      this.#starting.set(run.uuid, active);
      void active.finally(() => this.#starting.delete(run.uuid));
      waiting?.settle(taking.then((t) => t.settled));
    }
  }

  #watch(run: RunRecord): void {
    let settle!: Waiting["settle"];
    const settled = new Promise<RunRecord>((resolve) => (settle = resolve));
    const waiting: Waiting = { run, timer: undefined, settled, settle };
    const seconds = pendingTimeoutSeconds(run.pipeline);
    if (seconds !== undefined && !this.#closed) {
      const due = run.createdAt + seconds * 1000;
      waiting.timer = setTimeout(() => {
        void this.cancel(run.uuid, pendingTimeoutMessage(seconds)).catch((err: unknown) => {
          this.#options.warn?.(`run ${run.uuid}: cancelling it after its pending_timeout failed: ${err instanceof Error ? err.message : String(err)}`);
        });
      }, Math.max(0, due - this.#now()));
    }
    this.#waiting.set(run.uuid, waiting);
    const key = pipelineKey(run);
    this.#waitingPipelines.set(key, (this.#waitingPipelines.get(key) ?? 0) + 1);
  }

  #ended(run: RunRecord): void {
    const waiting = this.#forget(run.uuid);
    this.#options.changed(run);
    waiting?.settle(run);
  }

  #forget(uuid: RunId): Waiting | undefined {
    const waiting = this.#waiting.get(uuid);
    if (!waiting) return undefined;
    clearTimeout(waiting.timer);
    this.#waiting.delete(uuid);
    const key = pipelineKey(waiting.run);
    const left = (this.#waitingPipelines.get(key) ?? 1) - 1;
    if (left > 0) this.#waitingPipelines.set(key, left);
    else this.#waitingPipelines.delete(key);
    return waiting;
  }
}
