import { describeError } from "../errors.js";
import type { RunId } from "../ids.js";
import type { RunRecord, Store } from "../store/store.js";
import type { WorkerRegistry } from "./worker-registry.js";

/** What the takeover needs of the engine (engine.ts implements it). */
export interface ClaimingEngine {
  /** Room for more work: attempts running and waiting are fewer than the slots. */
  readonly hasCapacity: boolean;
  /** Finishes runs claimed from the database: re-attaches, retries and schedules as recover() does. */
  adopt(runs: RunRecord[]): Promise<RunRecord[]>;
  /** A run this process runs, whose cancel another process asked for. */
  cancelIfActive(uuid: RunId): Promise<void>;
  /** The runs this process runs now. */
  activeRunIds(): RunId[];
  on(event: "run", listener: (run: RunRecord) => void): unknown;
  off(event: "run", listener: (run: RunRecord) => void): unknown;
}

/**
 * Where several processes share PostgreSQL: how a worker gets its work. It claims
 * unfinished runs nobody holds (started through an `api` process, or left by a process
 * whose lease passed) while it has free slots, one at a time so that work spreads over
 * the workers, and hands them to the engine's recovery path. It looks when woken: a
 * NOTIFY that work is ready, each heartbeat (an expired lease wakes nobody), a run of its
 * own ending. No polling in between.
 */
export class Takeover {
  private readonly store: Store;
  private readonly engine: ClaimingEngine;
  private readonly registry: WorkerRegistry;
  private readonly warn: (message: string) => void;
  private sweeping: Promise<void> | undefined;
  /** Set for the moment the next lease passes, so a takeover does not wait for the next heartbeat. */
  private leaseTimer: NodeJS.Timeout | undefined;
  private again = false;
  private stopped = false;
  private readonly unlisten: (() => void)[] = [];
  private readonly onRun = (run: RunRecord) => {
    if (run.endedAt !== null) this.sweep();
  };
  private readonly onBeat = () => this.sweep();

  constructor(options: { store: Store; engine: ClaimingEngine; registry: WorkerRegistry; warn?: (message: string) => void }) {
    this.store = options.store;
    this.engine = options.engine;
    this.registry = options.registry;
    this.warn = options.warn ?? ((message) => process.emitWarning(message, "CairnTakeover"));
  }

  async start(): Promise<void> {
    this.unlisten.push(await this.store.claims.listen("cancel", (uuid) => void this.cancel(uuid)));
    if (this.registry.executes) {
      this.unlisten.push(await this.store.claims.listen("work", () => this.sweep()));
      this.registry.on("beat", this.onBeat);
      this.engine.on("run", this.onRun);
      this.sweep();
      await this.sweeping;
    }
  }

  /** Claims runs while there is room; a sweep asked for during one runs once more after it. */
  sweep(): void {
    if (this.stopped) return;
    if (this.sweeping) {
      this.again = true;
      return;
    }
    this.sweeping = this.claimWhileRoom()
      .then(() => this.watchNextLease())
      .catch((err: unknown) => this.warn(`claiming runs failed: ${describeError(err)}`))
      .finally(() => {
        this.sweeping = undefined;
        if (this.again) {
          this.again = false;
          this.sweep();
        }
      });
  }

  private async claimWhileRoom(): Promise<void> {
    while (!this.stopped && this.engine.hasCapacity) {
      const now = Date.now();
      const uuids = await this.store.claims.claimRuns(this.registry.id, now, now + this.registry.leaseMs, 1);
      if (uuids.length === 0) return;
      const runs = await Promise.all(uuids.map((uuid) => this.store.getRun(uuid)));
      await this.engine.adopt(runs.filter((run): run is RunRecord => run !== undefined));
    }
  }

  /**
   * A lease that passes wakes nobody: without this, a run would wait for the next heartbeat
   * after its lease passed (up to a third of the lease more). With it, a takeover starts
   * about when the lease passes.
   */
  private async watchNextLease(): Promise<void> {
    if (this.stopped || !this.engine.hasCapacity) return;
    const now = Date.now();
    const next = await this.store.claims.nextLeaseEnd(this.registry.id, now);
    clearTimeout(this.leaseTimer);
    if (next === undefined || this.stopped) return;
    // Past the lease by a margin: a claim is taken only once its lease_until is before now.
    this.leaseTimer = setTimeout(() => this.sweep(), next - now + 20);
    this.leaseTimer.unref();
  }

  /** "" after a lost connection: any cancel may have been missed, so each run in hand is looked at. */
  private async cancel(uuid: string): Promise<void> {
    try {
      const uuids = uuid === "" ? this.engine.activeRunIds() : [uuid as RunId];
      for (const u of uuids) await this.engine.cancelIfActive(u);
    } catch (err) {
      this.warn(`cancelling run ${uuid} failed: ${describeError(err)}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.leaseTimer);
    for (const stop of this.unlisten) stop();
    this.registry.off("beat", this.onBeat);
    this.engine.off("run", this.onRun);
    await this.sweeping;
  }
}
