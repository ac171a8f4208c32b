import type { Task } from "../spec/types.js";
import { gatherItemOutputs, itemTask, itemTaskId, parseItemTaskId } from "../spec/for-each.js";
import { TERMINAL_EXECUTION_STATUSES, type ExecutionPatch, type ExecutionRecord, type ExecutionStatus, type StateBatch } from "../store/store.js";

/** What the fan-out needs of the engine's slot of a task (or of one item). */
export interface FanOutSlot {
  task: Task;
  current: ExecutionRecord;
}

/** The engine, seen from one fan-out of one run. */
export interface FanOutHost<S extends FanOutSlot> {
  /** Makes (and registers with the run, so cancelling finds it) the slot of one item. */
  itemSlot(parent: S, task: Task, current: ExecutionRecord, retriesUsed: number): S;
  /** A first attempt of an item; or, for a retry from failure, the item's reused success. */
  firstAttempt(taskId: string): ExecutionRecord;
  write(batch: StateBatch): Promise<void>;
  emit(execution: ExecutionRecord): void;
  /** A queued item may start (it goes through the engine's evaluate, like a ready task). */
  release(item: S): void;
  /** A running item's attempt of a previous process, to be followed again. */
  resume(item: S): void;
  /** What a succeeded item hands on, as it wrote it (unmasked). */
  outputsOf(item: S): Record<string, string>;
  /** Seals the parent's outputs when masking changed what is shown (null when nothing is sealed). */
  seal(outputs: Record<string, string>, executionUuid: string): string | null;
  /** The parent's attempt is final (already patched): the engine goes on with its dependents. */
  ended(parent: S, outputs: Record<string, string>, committed: Promise<void>): void;
}

const isTerminal = (status: ExecutionStatus) => TERMINAL_EXECUTION_STATUSES.includes(status);
/** How many items a parent's message names when some did not succeed. */
const NAMED_ITEMS = 10;

/**
 * One task's run over its items. The task's own execution (the parent) is `running` while
 * its items run and ends when every item is final: `succeeded` when all succeeded, else
 * `failed` (or `cancelled`). An item that fails for good does not stop the others: they
 * finish, so a retry from failure re-runs only what failed. Each item is an execution
 * named `TASK[INDEX]` with its own attempts and retries. At most `limit` items are out at
 * once (released to the engine and not final); each final item releases the next, so the
 * cost per item is O(1) and the engine's ready queue never holds a whole fan-out.
 */
export class FanOut<S extends FanOutSlot> {
  private items: S[] = [];
  /** Queued items not yet released, in index order, and the next one to release. */
  private pending: S[] = [];
  private nextPending = 0;
  private out = 0;
  private finals = 0;
  private ended = false;

  constructor(
    private readonly host: FanOutHost<S>,
    readonly parent: S,
    private readonly limit: number,
  ) {}

  /** How many items it runs over. */
  get size(): number {
    return this.items.length;
  }

  /** Starts the parent over `items`: records its items' executions and the parent as running, then releases the first. */
  start(items: readonly unknown[]): void {
    const parent = this.parent;
    const now = Date.now();
    const patch: ExecutionPatch = { status: "running", startedAt: now, message: `fan-out over ${items.length} item(s)` };
    Object.assign(parent.current, patch);
    const executions = items.map((_, i) => this.host.firstAttempt(itemTaskId(parent.task.id, i)));
    this.items = executions.map((e, i) => this.host.itemSlot(parent, itemTask(parent.task, i, items[i]), e, 0));
    const committed = this.host.write({ executionUpdates: [{ uuid: parent.current.uuid, patch }], newExecutions: executions });
    void committed.then(() => {
      this.host.emit(parent.current);
      for (const e of executions) this.host.emit(e);
    });
    this.begin();
  }

  /**
   * Takes over a parent a previous process left running: its items' latest executions are
   * in `latest` (by task id) and `retries` counts each item's spent retries. Items the
   * previous process never recorded (it stopped between the parent's and items' writes
   * cannot happen: they share one batch) are not looked for.
   */
  resume(items: readonly unknown[], latest: ReadonlyMap<string, ExecutionRecord>, retries: ReadonlyMap<string, number>): void {
    const parent = this.parent;
    const missing: ExecutionRecord[] = [];
    this.items = items.map((item, i) => {
      const id = itemTaskId(parent.task.id, i);
      let current = latest.get(id);
      if (current === undefined) {
        current = this.host.firstAttempt(id);
        missing.push(current);
      }
      return this.host.itemSlot(parent, itemTask(parent.task, i, item), current, retries.get(id) ?? 0);
    });
    if (missing.length > 0) void this.host.write({ newExecutions: missing });
    this.begin();
  }

  private begin(): void {
    for (const item of this.items) {
      const status = item.current.status;
      if (isTerminal(status)) this.finals++;
      else if (status === "running") {
        this.out++;
        this.host.resume(item);
      } else this.pending.push(item);
    }
    this.fill();
    this.settleIfDone();
  }

  /** Up to `count` queued items to be released next (their folders can be made while others run). */
  upcoming(count: number): S[] {
    return this.pending.slice(this.nextPending, this.nextPending + count);
  }

  /** One of this fan-out's items has ended for good (its attempt is final and not retried). */
  itemEnded(): void {
    this.out--;
    this.finals++;
    this.fill();
    this.settleIfDone();
  }

  /**
   * After the run was cancelled: queued items were cancelled without ending one by one,
   * so the count is taken again. Ends the parent when nothing of it still runs.
   */
  recount(): void {
    if (this.ended) return;
    this.finals = this.items.filter((item) => isTerminal(item.current.status)).length;
    this.out = this.items.length - this.finals - this.pendingLeft();
    this.settleIfDone();
  }

  private pendingLeft(): number {
    let left = 0;
    for (let i = this.nextPending; i < this.pending.length; i++) if (!isTerminal(this.pending[i]!.current.status)) left++;
    return left;
  }

  private fill(): void {
    while (this.out < this.limit && this.nextPending < this.pending.length) {
      const item = this.pending[this.nextPending++]!;
      // Cancelled while it waited to be released.
      if (isTerminal(item.current.status)) continue;
      this.out++;
      this.host.release(item);
    }
  }

  private settleIfDone(): void {
    if (this.ended || this.finals < this.items.length) return;
    this.ended = true;
    const parent = this.parent;
    const unsuccessful = this.items.filter((item) => item.current.status !== "succeeded");
    const failed = unsuccessful.some((item) => item.current.status === "failed" || item.current.status === "timed_out");
    const status: ExecutionStatus = unsuccessful.length === 0 ? "succeeded" : failed ? "failed" : "cancelled";
    const outputs = status === "succeeded" ? gatherItemOutputs(parent.task, this.items.map((item) => this.host.outputsOf(item))) : {};
    const shown = status === "succeeded" ? gatherItemOutputs(parent.task, this.items.map((item) => item.current.outputs)) : {};
    const sealed = status === "succeeded" && JSON.stringify(shown) !== JSON.stringify(outputs) ? this.host.seal(outputs, parent.current.uuid) : null;
    const patch: ExecutionPatch = {
      status,
      endedAt: Date.now(),
      message: unsuccessful.length === 0 ? `all ${this.items.length} item(s) succeeded` : describeUnsuccessful(unsuccessful, this.items.length),
      outputs: shown,
      ...(sealed !== null ? { sealedOutputs: sealed } : {}),
    };
    Object.assign(parent.current, patch);
    const committed = this.host.write({ executionUpdates: [{ uuid: parent.current.uuid, patch }] });
    this.host.ended(parent, outputs, committed);
  }
}

function describeUnsuccessful(items: readonly FanOutSlot[], total: number): string {
  const named = items.slice(0, NAMED_ITEMS).map((item) => `${item.task.id} (${item.current.status})`);
  const more = items.length > NAMED_ITEMS ? ` and ${items.length - NAMED_ITEMS} more` : "";
  return `${items.length} of ${total} item(s) did not succeed: ${named.join(", ")}${more}`;
}

/** By parent task id, the latest execution of each of its items, from a run's latest executions. */
export function itemExecutionsOf(taskId: string, latest: ReadonlyMap<string, ExecutionRecord>): Map<string, ExecutionRecord> {
  const found = new Map<string, ExecutionRecord>();
  for (const [id, e] of latest) if (parseItemTaskId(id)?.taskId === taskId) found.set(id, e);
  return found;
}
