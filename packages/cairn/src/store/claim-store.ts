import type { WorkerRole } from "../config.js";
import type { RunId } from "../ids.js";

/**
 * Scale-out (issue 15): the processes sharing one database coordinate through it alone.
 * Each process is a worker with a row renewed by its heartbeat; each unfinished run is
 * owned by at most one worker through a claim with a lease, which the owner's heartbeat
 * renews and any other worker may take once it has passed (after a kill -9, a power loss,
 * a partition). SQLite implements the same operations with its single writer (and one
 * process per data dir: data-dir-lock.ts).
 */

export { WORKER_ROLES, type WorkerRole } from "../config.js";

export interface WorkerRecord {
  /** `HOST:PID:START` (worker-id.ts). */
  id: string;
  role: WorkerRole;
  slotsTotal: number;
  slotsUsed: number;
  startedAt: number;
  heartbeatAt: number;
}

/** A run owned by a worker until `leaseUntil` (ms since the epoch). */
export interface RunClaim {
  runUuid: RunId;
  workerId: string;
  leaseUntil: number;
}

/** What a wake-up is about: work became ready to claim, or a run's cancel was asked for (payload: the run's uuid). */
export type WakeupTopic = "work" | "cancel";

export interface ClaimStore {
  /**
   * Writes the worker's row and renews the lease of every claim it still holds, in one
   * transaction; drops its claims of runs that have ended. Returns the runs it still
   * holds: one it had and that is missing was taken over by another worker.
   */
  heartbeat(worker: WorkerRecord, leaseUntil: number): Promise<RunId[]>;
  /** Workers whose heartbeat is at or after `aliveSince`, oldest first. */
  listWorkers(aliveSince: number): Promise<WorkerRecord[]>;
  /** A stopping worker: its row and its claims go, so other workers take its runs over at once. */
  retire(workerId: string): Promise<void>;
  /**
   * Claims up to `limit` unfinished runs that no worker holds or whose lease passed before
   * `now`, oldest first (`FOR UPDATE SKIP LOCKED` where several processes write). A claim is
   * won by one worker only: the lease is taken by a conditional upsert. Returns the runs won, oldest first.
   */
  claimRuns(workerId: string, now: number, leaseUntil: number, limit: number): Promise<RunId[]>;
  /**
   * Claims one unfinished run for `workerId` when it has no claim, an expired one, or one of
   * this worker already; false when another worker holds it.
   */
  claimRun(workerId: string, runUuid: RunId, now: number, leaseUntil: number): Promise<boolean>;
  /**
   * Sets an unfinished run's message (the engine's cancel flag), and only while it is
   * unfinished: a run's end, written by its owner meanwhile, is never overwritten.
   * Returns whether the run was unfinished.
   */
  flagRun(runUuid: RunId, message: string): Promise<boolean>;
  /** When the first lease another worker holds on an unfinished run, still live at `now`, passes: when a takeover may next be due. */
  nextLeaseEnd(workerId: string, now: number): Promise<number | undefined>;
  /** The claim on a run, if any (expired or not). */
  getClaim(runUuid: RunId): Promise<RunClaim | undefined>;
  /** Wakes every process listening for `topic`, this one included (NOTIFY on PostgreSQL). */
  notify(topic: WakeupTopic, payload: string): Promise<void>;
  /**
   * Calls `handler` for each wake-up about `topic` until the returned function is called.
   * After a lost connection the handler is called with "" (something may have been missed).
   */
  listen(topic: WakeupTopic, handler: (payload: string) => void): Promise<() => void>;
}
