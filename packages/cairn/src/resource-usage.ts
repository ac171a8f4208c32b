/**
 * What an attempt's process used, as far as the runtime could see it (each runtime says
 * how it measures). Cumulative over the whole process tree.
 */
export interface ResourceUsage {
  /** User plus system CPU time. */
  cpuSeconds: number;
  /** Highest memory in use at once (resident memory; for containers, the cgroup's usage less inactive page cache). */
  peakMemoryBytes: number;
  /** Bytes read from storage (block devices), not from pipes or the page cache. */
  readBytes: number;
  /** Bytes written to storage. */
  writtenBytes: number;
}
