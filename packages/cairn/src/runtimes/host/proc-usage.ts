import { readFileSync } from "node:fs";
import type { ResourceUsage } from "../runtime.js";

/**
 * A reading of a host process tree's usage from Linux's /proc (proc(5)):
 * - CPU: utime + stime + cutime + cstime (/proc/PID/stat) of the root and of every
 *   descendant still there. The c-fields hold each child the process has waited for,
 *   with that child's own c-fields, and a process is either still there or reaped into
 *   its parent's c-fields, so nothing counts twice.
 * - I/O: read_bytes and write_bytes of /proc/PID/io, the bytes that reached or came from
 *   storage (writes count when they dirty the page cache, so no sync is needed). Like the
 *   CPU fields they include reaped children, so the root's plus those of live
 *   descendants. Not rchar/wchar: those count pipes too, e.g. every log line.
 * - Memory: the larger of the root's own peak (VmHWM) and the summed resident memory
 *   of the tree now. A descendant's own peak between two readings is not seen.
 *
 * Descendants are found through /proc/PID/task/TID/children (Linux 3.5+). Resolves
 * undefined when the root process is gone.
 *
 * The reads are synchronous on purpose: /proc files are made in memory by the kernel
 * (tens of microseconds for a whole tree), while an asynchronous read is a round trip
 * through libuv's thread pool for each file, which cost more than the task itself for
 * short tasks (about 3.5 ms a task in the chain-1000 benchmark's profile).
 */

/** proc(5) reports times in clock ticks of USER_HZ, which Linux fixes at 100 for user space. */
const TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

export async function readProcessTreeUsage(rootPid: number): Promise<ResourceUsage | undefined> {
  const root = readProcess(rootPid, true);
  if (root === undefined) return undefined;
  let ticks = root.ticks;
  let rss = root.rssBytes;
  let readBytes = root.readBytes;
  let writtenBytes = root.writtenBytes;
  for (const pid of descendants(rootPid)) {
    const p = readProcess(pid, false);
    if (p === undefined) continue;
    ticks += p.ticks;
    rss += p.rssBytes;
    readBytes += p.readBytes;
    writtenBytes += p.writtenBytes;
  }
  return {
    cpuSeconds: ticks / TICKS_PER_SECOND,
    peakMemoryBytes: Math.max(rss, root.peakRssBytes),
    readBytes,
    writtenBytes,
  };
}

interface ProcessReading {
  ticks: number;
  rssBytes: number;
  peakRssBytes: number;
  readBytes: number;
  writtenBytes: number;
}

function readProcess(pid: number, withPeak: boolean): ProcessReading | undefined {
  const stat = readOrEmpty(`/proc/${pid}/stat`);
  if (stat === "") return undefined;
  // Unreadable for another user's process; CPU and memory still count.
  const io = readOrEmpty(`/proc/${pid}/io`);
  const status = withPeak ? readOrEmpty(`/proc/${pid}/status`) : "";
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const field = (n: number) => Number(fields[n - 3] ?? 0);
  const ticks = field(14) + field(15) + field(16) + field(17);
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return {
    ticks,
    rssBytes: field(24) * PAGE_SIZE,
    peakRssBytes: hwm ? Number(hwm[1]) * 1024 : 0,
    readBytes: ioField(io, "read_bytes"),
    writtenBytes: ioField(io, "write_bytes"),
  };
}

function ioField(io: string, name: string): number {
  const match = new RegExp(`^${name}: (\\d+)$`, "m").exec(io);
  return match ? Number(match[1]) : 0;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    // Children of the main thread only: task programs rarely fork from other threads.
    const children = readOrEmpty(`/proc/${parent}/task/${parent}/children`);
    for (const child of children.split(" ")) {
      if (child.trim() === "") continue;
      found.push(Number(child));
      queue.push(Number(child));
    }
  }
  return found;
}
