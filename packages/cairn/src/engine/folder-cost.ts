import { performance } from "node:perf_hooks";

/**
 * How long making an attempt's folders synchronously takes on this data dir, so that the
 * engine hands them to libuv's thread pool only where that pays.
 *
 * A round trip through the pool costs the engine's thread more than it saves where a new
 * folder is cheap: four folders took 0.07-0.13 ms synchronously and 0.23-0.35 ms of CPU
 * through the pool on the development machines' ext4 (with the main thread preempted by
 * each pool thread it wakes, on 2 cores). Where a new inode is slow (0.2-0.4 ms each under
 * those machines' /tmp; a network file system is slower still), the pool moves that time
 * off the thread that every task's end and start waits for.
 *
 * The cost is a moving average of wall times: a synchronous system call's wall time is its
 * cost to this thread. While the pool is chosen, one making in `probeEvery` is still
 * synchronous and timed, so a file system that became fast again is noticed.
 */
export class FolderCost {
  private averageMs: number | undefined;
  private sinceProbe = 0;

  constructor(
    /** Above this average, the pool is preferred (when tasks wait for a slot). */
    private readonly slowMs = 0.3,
    private readonly probeEvery = 32,
  ) {}

  /** Runs a synchronous making of folders and records how long it took. */
  time<T>(make: () => T): T {
    const start = performance.now();
    const made = make();
    this.record(performance.now() - start);
    return made;
  }

  /** Whether the next making should go through the thread pool. */
  preferPool(): boolean {
    if (this.averageMs === undefined || this.averageMs < this.slowMs) return false;
    if (++this.sinceProbe < this.probeEvery) return true;
    this.sinceProbe = 0;
    return false;
  }

  /** The moving average, in ms (undefined before the first making). */
  get typicalMs(): number | undefined {
    return this.averageMs;
  }

  private record(ms: number): void {
    // A quarter weight: one preempted call does not flip the choice, a changed file system soon does.
    this.averageMs = this.averageMs === undefined ? ms : this.averageMs + (ms - this.averageMs) / 4;
  }
}
