import type { NewLogLine, StateBatch, Store } from "../store/store.js";

/** Log lines wait at most this long before they are written, when no state change carries them sooner. */
const LOG_FLUSH_DELAY_MS = 100;
const LOG_FLUSH_LINES = 2_000;

/**
 * Coalesces the engine's writes. Every state change is awaited before the engine acts
 * on it (write-ahead), but changes made in the same turn of the event loop share one
 * transaction, and buffered log lines ride along with the next one. Commits are
 * strictly ordered, so a later change never lands before an earlier one.
 */
export class BatchWriter {
  private pending: Required<StateBatch> = emptyBatch();
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private scheduled: "now" | "later" | null = null;
  private logTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly store: Store) {}

  /** Resolves once the change is committed. */
  write(part: StateBatch): Promise<void> {
    const p = this.pending;
    if (part.newRuns) p.newRuns.push(...part.newRuns);
    if (part.newExecutions) p.newExecutions.push(...part.newExecutions);
    if (part.claims) p.claims.push(...part.claims);
    if (part.runUpdates) p.runUpdates.push(...part.runUpdates);
    if (part.executionUpdates) p.executionUpdates.push(...part.executionUpdates);
    if (part.logs) p.logs.push(...part.logs);
    const committed = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule("now");
    return committed;
  }

  /** Buffers a log line; it is written within LOG_FLUSH_DELAY_MS, or with the next state change. */
  appendLog(line: NewLogLine): void {
    this.pending.logs.push(line);
    this.schedule(this.pending.logs.length >= LOG_FLUSH_LINES ? "now" : "later");
  }

  /**
   * Buffers updates that nothing acts on (like log lines): written with the next state
   * change, or within LOG_FLUSH_DELAY_MS. A failure to write them rejects the writes
   * committed with them; with none, it goes unnoticed, as for log lines.
   */
  writeSoon(updates: StateBatch["executionUpdates"] & {}): void {
    this.pending.executionUpdates.push(...updates);
    this.schedule("later");
  }

  /** Writes whatever is buffered; resolves when all earlier writes are committed. */
  flush(): Promise<void> {
    return this.write({});
  }

  /**
   * Writes whatever is buffered. Attempts still running may write after this, and are
   * committed while the store is open; once the store is closed too, their writes fail,
   * and that failure is dropped rather than handed to an engine that has stopped (it
   * surfaced as an unhandled "driver has already been destroyed"): the next start's
   * recovery reads the state as it was.
   */
  async close(): Promise<void> {
    const flushed = this.flush();
    this.closed = true;
    await flushed;
  }

  private schedule(when: "now" | "later"): void {
    if (this.scheduled === "now" || this.scheduled === when) return;
    if (when === "now") {
      clearTimeout(this.logTimer);
      this.scheduled = "now";
      setImmediate(() => this.commitPending());
    } else {
      this.scheduled = "later";
      this.logTimer = setTimeout(() => this.commitPending(), LOG_FLUSH_DELAY_MS);
      this.logTimer.unref?.();
    }
  }

  private commitPending(): void {
    this.scheduled = null;
    clearTimeout(this.logTimer);
    const batch = this.pending;
    const waiters = this.waiters;
    this.pending = emptyBatch();
    this.waiters = [];
    this.chain = this.chain.then(
      () =>
        this.store.commit(batch).then(
          () => waiters.forEach((w) => w.resolve()),
          (err: unknown) => {
            if (!this.closed) waiters.forEach((w) => w.reject(err));
          },
        ),
    );
  }
}

function emptyBatch(): Required<StateBatch> {
  return { newRuns: [], newExecutions: [], claims: [], runUpdates: [], executionUpdates: [], logs: [] };
}
