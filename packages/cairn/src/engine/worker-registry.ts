import { EventEmitter } from "node:events";
import type { WorkerRole } from "../config.js";
import { describeError } from "../errors.js";
import type { RunId } from "../ids.js";
import type { RunClaim } from "../store/claim-store.js";
import type { Store } from "../store/store.js";

export interface WorkerRegistryOptions {
  store: Store;
  /** `HOST:PID:START` (store/worker-id.ts). */
  id: string;
  role: WorkerRole;
  slotsTotal: number;
  /** CAIRN_LEASE_SECONDS in ms: a claim not renewed for this long may be taken over. */
  leaseMs: number;
  warn?: (message: string) => void;
}

export interface WorkerRegistryEvents {
  /** After each heartbeat that went through. */
  beat: [];
  /**
   * Runs this process was running whose claim it no longer holds (another worker took them
   * over while this one could not renew its lease: a pause, a lost database). Whatever it
   * does for them now may clash with the new owner: the server stops (fail-stop).
   */
  lost: [RunId[]];
}

/**
 * This process as a worker in the database: its row, renewed by a heartbeat every third
 * of the lease, which also renews the lease of every run it holds. Also what the engine
 * asks for claims: a run it records is claimed in the same batch (newClaim).
 */
export class WorkerRegistry extends EventEmitter<WorkerRegistryEvents> {
  readonly id: string;
  readonly role: WorkerRole;
  readonly leaseMs: number;
  readonly startedAt = Date.now();
  private readonly store: Store;
  private readonly slotsTotal: number;
  private readonly warn: (message: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private lastRenewal = Date.now();
  private slotsUsed: () => number = () => 0;
  private held: () => readonly RunId[] = () => [];
  private stopped = false;

  constructor(options: WorkerRegistryOptions) {
    super();
    this.store = options.store;
    this.id = options.id;
    this.role = options.role;
    this.slotsTotal = options.role === "api" ? 0 : options.slotsTotal;
    this.leaseMs = options.leaseMs;
    this.warn = options.warn ?? ((message) => process.emitWarning(message, "CairnWorker"));
  }

  /** Whether this process runs tasks (its role is not `api`). */
  get executes(): boolean {
    return this.role !== "api";
  }

  /** What the heartbeat reports: the slots in use, and the runs this process has in hand. */
  measure(slotsUsed: () => number, held: () => readonly RunId[]): void {
    this.slotsUsed = slotsUsed;
    this.held = held;
  }

  /** A claim for a run this worker records itself, written in the same batch as the run. */
  newClaim(runUuid: RunId): RunClaim {
    return { runUuid, workerId: this.id, leaseUntil: Date.now() + this.leaseMs };
  }

  /** Registers the worker now, then beats every third of the lease. */
  async start(): Promise<void> {
    if (this.timer !== undefined) return;
    await this.beat();
    this.timer = setInterval(() => void this.beat(), Math.max(100, Math.floor(this.leaseMs / 3)));
  }

  /** One heartbeat (never two at once): the row, the leases, and a check that no claim was lost. */
  beat(): Promise<void> {
    return (this.beating ??= this.beatOnce().finally(() => (this.beating = undefined)));
  }

  private async beatOnce(): Promise<void> {
    if (this.stopped) return;
    const now = Date.now();
    // Read before the heartbeat: a run claimed after it is not in what the store answers yet.
    const inHand = [...this.held()];
    let held: RunId[];
    try {
      held = await this.store.claims.heartbeat(
        { id: this.id, role: this.role, slotsTotal: this.slotsTotal, slotsUsed: this.slotsUsed(), startedAt: this.startedAt, heartbeatAt: now },
        now + this.leaseMs,
      );
    } catch (err) {
      this.warn(`the heartbeat of worker ${this.id} failed: ${describeError(err)}`);
      // Past the lease without a renewal, other workers may have taken every run over.
      const expired = Date.now() - this.lastRenewal > this.leaseMs;
      if (expired && this.store.capabilities.multipleWriters && inHand.length > 0 && !this.stopped) this.emit("lost", inHand);
      return;
    }
    this.lastRenewal = now;
    const still = new Set(held);
    // With one writer (SQLite) the process holds the data dir itself, and recover() takes every run without a claim.
    const missing = this.store.capabilities.multipleWriters ? inHand.filter((uuid) => !still.has(uuid)) : [];
    // A run that ended since `inHand` was read has no claim any more (the heartbeat drops the
    // claims of ended runs): only a claim that another worker holds now is a lost one.
    const lost: RunId[] = [];
    for (const uuid of missing) {
      const claim = await this.store.claims.getClaim(uuid).catch(() => undefined);
      if (claim !== undefined && claim.workerId !== this.id) lost.push(uuid);
    }
    if (lost.length > 0 && !this.stopped) this.emit("lost", lost);
    this.emit("beat");
  }

  /** Stops beating and removes the worker's row and claims, so other workers take its runs over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.beating;
    await this.store.claims.retire(this.id).catch((err: unknown) => this.warn(`retiring worker ${this.id} failed: ${describeError(err)}`));
  }
}
