import type { ResourceUsage } from "./runtime.js";

/**
 * Takes readings of a running process's usage until it ends. The figures cannot be read
 * after the end: a host process is reaped before anyone can read its /proc entry (the
 * host launcher then adds wait4's figures; Node's own spawn does not expose them), and a
 * container's cgroup goes away with it. So the figures
 * are those of the last reading. A container's cgroup outlives the exit by a moment, so
 * its runtime takes a last reading on stop (see cgroup-usage.ts); a host process's last
 * reading is the last periodic one, and up to one interval at the very end is missed.
 *
 * Readings start at once and then every 100 ms, growing to one per second: a short task
 * is measured closely, and a long one costs one reading a second.
 */

const FIRST_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 1000;
const GROWTH = 1.25;

export class UsageSampler {
  private usage: ResourceUsage | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private interval = FIRST_INTERVAL_MS;

  /**
   * `read` gives cumulative CPU and I/O so far, and memory in use now (or the peak so far
   * where the source keeps one). It resolves undefined (or throws) once the process is gone;
   * that reading is ignored, as is one of nothing but zeros.
   */
  constructor(private readonly read: () => Promise<ResourceUsage | undefined>) {
    this.tick();
  }

  /**
   * Stops reading and returns the figures so far (undefined if no reading succeeded).
   * With `lastReading`, takes one more reading first: for a source that still answers a
   * moment after the end.
   */
  async stop(options: { lastReading?: boolean } = {}): Promise<ResourceUsage | undefined> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    if (options.lastReading) await this.take();
    return this.usage;
  }

  private take(): Promise<void> {
    return this.read().then(
      (reading) => {
        // All zeros: read before the process started, or after it was gone (Docker's stats
        // of an exited container, a zombie's /proc entry). A reading with CPU time but no
        // memory is kept: a container that ends at once can leave its memory cgroup
        // uncharged (seen on cgroup v1 with Podman), and its CPU time is still its own.
        if (reading !== undefined && !allZero(reading)) this.usage = merge(this.usage, reading);
      },
      () => {},
    );
  }

  private tick(): void {
    this.inFlight = this.take().finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(() => this.tick(), this.interval);
        // A reading never keeps the process alive.
        this.timer.unref();
        this.interval = Math.min(MAX_INTERVAL_MS, this.interval * GROWTH);
      });
  }
}

function allZero(usage: ResourceUsage): boolean {
  return usage.cpuSeconds === 0 && usage.peakMemoryBytes === 0 && usage.readBytes === 0 && usage.writtenBytes === 0;
}

/**
 * Cumulative counters only grow; a later reading can be lower when a child process ended
 * between two readings and its counts have not reached its parent yet, so keep the highest.
 */
export function merge(a: ResourceUsage | undefined, b: ResourceUsage): ResourceUsage {
  if (a === undefined) return { ...b };
  return {
    cpuSeconds: Math.max(a.cpuSeconds, b.cpuSeconds),
    peakMemoryBytes: Math.max(a.peakMemoryBytes, b.peakMemoryBytes),
    readBytes: Math.max(a.readBytes, b.readBytes),
    writtenBytes: Math.max(a.writtenBytes, b.writtenBytes),
  };
}
