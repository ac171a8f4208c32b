import { readdir, readFile } from "node:fs/promises";
import type { ResourceUsage } from "../runtime.js";

/**
 * Reads a container's usage straight from its cgroup, when the engine runs on this
 * machine (found where the container before had its own, else through the container's
 * main process in /proc, or by its name; an engine elsewhere, or in a VM, has none of
 * them here, and the caller falls back to the engine's stats).
 *
 * Why not only the engine's stats: they end as the container exits (Podman answers an
 * empty body then), and Podman's give memory in use now but no peak, so sampling misses
 * short peaks. The cgroup keeps the kernel's own peak, and it is still there for a moment
 * after the exit, until the engine's cleanup (`podman container cleanup`, started by
 * conmon) removes it: the attach stream ends within milliseconds of the exit, and a
 * reading then gives the final figures. Measured on Podman 4 with runc and cgroupfs: the
 * cgroup was there at the end of the stream in every run, and gone about 100 ms later.
 *
 * Both cgroup versions, and the hybrid layout (v1 controllers plus a v2 mount):
 * - CPU: v1 cpuacct.usage (ns); v2 cpu.stat usage_usec.
 * - Memory: v1 memory.max_usage_in_bytes; v2 memory.peak (Linux 5.19+), else
 *   memory.current. Both count the page cache the container caused, as the kernel
 *   charges it (the figure a memory limit acts on).
 * - I/O: v1 blkio.throttle.io_service_bytes_recursive; v2 io.stat rbytes/wbytes. Block
 *   I/O only; on v1 buffered writes are written back outside the container's cgroup and
 *   do not count.
 */

interface CgroupMount {
  /** Where it is mounted here. */
  mountPoint: string;
  /** The cgroup path this mount shows at its mount point (not "/" inside a cgroup namespace). */
  root: string;
  /** v1: the controllers it holds; v2: undefined. */
  controllers: string[] | undefined;
}

interface Source {
  file: string;
  version: 1 | 2;
}

export interface CgroupFiles {
  cpu?: Source;
  memory?: Source & { peak: boolean };
  io?: Source;
}

/**
 * Where the cgroup files of the container are: found through its main process `pid` while
 * it runs (checked by the container's id in that process's cgroup path), else, when there
 * is no such process (pid 0: a short task may end before its pid is known, while its
 * cgroup is still there), by looking for a cgroup named after the container. Undefined
 * when neither finds it, as for an engine on another machine.
 */
export async function locateCgroup(pid: number | undefined, containerId: string): Promise<CgroupFiles | undefined> {
  const mounts = await cgroupMounts();
  // Unreadable: the process has ended, or its pid is in another namespace; membership is then unknown.
  const membership = pid ? await readFile(`/proc/${pid}/cgroup`, "utf8").catch(() => undefined) : undefined;
  // A process here that is not in the container's cgroup: the engine is elsewhere, and its pids are not ours.
  if (membership !== undefined && !membership.includes(containerId)) return undefined;
  const found = membership !== undefined ? parseMembership(membership) : await searchById(mounts, containerId);
  if (found === undefined) return undefined;
  const { paths, unified } = containersOwn(found, containerId);
  const v1 = (controller: string, name: string): Source | undefined => {
    const path = paths.get(controller);
    const mount = mounts.find((m) => m.controllers?.includes(controller));
    const dir = path !== undefined && mount ? under(mount, path) : undefined;
    return dir === undefined ? undefined : { file: `${dir}/${name}`, version: 1 };
  };
  const v2Mount = mounts.find((m) => m.controllers === undefined);
  const v2Dir = unified !== undefined && v2Mount ? under(v2Mount, unified) : undefined;
  const v2 = async (name: string): Promise<Source | undefined> => {
    if (v2Dir === undefined) return undefined;
    const file = `${v2Dir}/${name}`;
    return (await readable(file)) ? { file, version: 2 } : undefined;
  };

  const files: CgroupFiles = {};
  const cpu = v1("cpuacct", "cpuacct.usage") ?? (await v2("cpu.stat"));
  if (cpu && (await readable(cpu.file))) files.cpu = cpu;
  const v1Memory = v1("memory", "memory.max_usage_in_bytes");
  if (v1Memory && (await readable(v1Memory.file))) files.memory = { ...v1Memory, peak: true };
  else {
    const peak = await v2("memory.peak");
    const current = peak ? undefined : await v2("memory.current");
    if (peak) files.memory = { ...peak, peak: true };
    else if (current) files.memory = { ...current, peak: false };
  }
  const io = v1("blkio", "blkio.throttle.io_service_bytes_recursive") ?? (await v2("io.stat"));
  if (io && (await readable(io.file))) files.io = io;
  if (!files.cpu && !files.memory) return undefined;
  lastLocated = { containerId, files };
  return files;
}

/** The files of the container located last: the layout the next one is looked for in first. */
let lastLocated: { containerId: string; files: CgroupFiles } | undefined;

/**
 * Where the container's cgroup files are if it sits where the container located last did,
 * with its own id in the path (an engine puts every container at the same place, named
 * after it); undefined when it is not there, or none was located yet. One file read, where
 * `locateCgroup` needs the container's pid from the engine first: a container that ends at
 * once is often cleaned up, its cgroup with it, before the engine answers (Podman's
 * inspect waits for the container's lock, which its cleanup holds).
 */
export async function guessCgroup(containerId: string): Promise<CgroupFiles | undefined> {
  const last = lastLocated;
  if (last === undefined) return undefined;
  const moved = <T extends Source>(source: T | undefined): T | undefined =>
    source === undefined ? undefined : { ...source, file: source.file.replaceAll(last.containerId, containerId) };
  const files: CgroupFiles = {};
  const cpu = moved(last.files.cpu);
  const memory = moved(last.files.memory);
  const io = moved(last.files.io);
  if (cpu) files.cpu = cpu;
  if (memory) files.memory = memory;
  if (io) files.io = io;
  return (await readable((cpu ?? memory)!.file)) ? files : undefined;
}

export interface Membership {
  /** v1: the cgroup path per controller. */
  paths: Map<string, string>;
  /** v2: the cgroup path in the unified hierarchy. */
  unified: string | undefined;
}

/**
 * Only the container's own cgroups: with the cgroupfs manager a container can sit at the
 * root of some hierarchies, whose files count the whole machine (seen: "cpu 11659 s,
 * mem 3.1 GiB" for an `echo`), and conmon's cgroup is named after the container too.
 */
export function containersOwn(membership: Membership, containerId: string): Membership {
  const own = (path: string | undefined) => (path?.includes(containerId) && !path.includes("conmon") ? path : undefined);
  return {
    paths: new Map([...membership.paths].filter(([, path]) => own(path) !== undefined)),
    unified: own(membership.unified),
  };
}

/** /proc/PID/cgroup: "ID:CONTROLLERS:PATH" per v1 hierarchy, "0::PATH" for v2. */
export function parseMembership(text: string): Membership {
  const paths = new Map<string, string>();
  let unified: string | undefined;
  for (const line of text.split("\n")) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, id, controllers, path] = match as unknown as [string, string, string, string];
    if (id === "0" && controllers === "") unified = path;
    else for (const c of controllers.split(",")) paths.set(c, path);
  }
  return { paths, unified };
}

/** Engines name a container's cgroup after it, a few levels down: libpod_parent/libpod-ID, docker/ID, system.slice/docker-ID.scope. */
const SEARCH_DEPTH = 3;

async function searchById(mounts: CgroupMount[], containerId: string): Promise<Membership | undefined> {
  const paths = new Map<string, string>();
  let unified: string | undefined;
  for (const mount of mounts) {
    const relative = await findDir(mount.mountPoint, "", containerId, SEARCH_DEPTH);
    if (relative === undefined) continue;
    const path = (mount.root === "/" ? "" : mount.root) + relative;
    if (mount.controllers === undefined) unified = path;
    else for (const c of mount.controllers) paths.set(c, path);
  }
  return paths.size > 0 || unified !== undefined ? { paths, unified } : undefined;
}

async function findDir(base: string, relative: string, containerId: string, depth: number): Promise<string | undefined> {
  if (depth === 0) return undefined;
  const entries = await readdir(base + relative, { withFileTypes: true }).catch(() => []);
  const dirs = entries.filter((e) => e.isDirectory());
  // Podman's conmon, the container's monitor, has a cgroup named after the container too.
  const match = dirs.find((e) => e.name.includes(containerId) && !e.name.includes("conmon"));
  if (match) return `${relative}/${match.name}`;
  for (const dir of dirs) {
    const found = await findDir(base, `${relative}/${dir.name}`, containerId, depth - 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** One reading; undefined once the cgroup is gone. */
export async function readCgroupUsage(files: CgroupFiles): Promise<ResourceUsage | undefined> {
  const [cpu, memory, io] = await Promise.all([
    files.cpu ? readFile(files.cpu.file, "utf8") : undefined,
    files.memory ? readFile(files.memory.file, "utf8") : undefined,
    // io.stat is optional (no io controller delegated): usage is then without I/O.
    files.io ? readFile(files.io.file, "utf8").catch(() => undefined) : undefined,
  ]).catch(() => [undefined, undefined, undefined]);
  if (cpu === undefined && memory === undefined) return undefined;
  const { readBytes, writtenBytes } = io === undefined ? { readBytes: 0, writtenBytes: 0 } : parseIo(io, files.io!.version);
  return {
    cpuSeconds: cpu === undefined ? 0 : files.cpu!.version === 1 ? Number(cpu.trim()) / 1e9 : keyValue(cpu, "usage_usec") / 1e6,
    peakMemoryBytes: memory === undefined ? 0 : Number(memory.trim()),
    readBytes,
    writtenBytes,
  };
}

function parseIo(text: string, version: 1 | 2): { readBytes: number; writtenBytes: number } {
  let readBytes = 0;
  let writtenBytes = 0;
  for (const line of text.split("\n")) {
    if (version === 1) {
      // "8:0 Read 4096"; the last line, "Total N", has no device.
      const [device, op, value] = line.split(" ");
      if (device === undefined || !device.includes(":")) continue;
      if (op === "Read") readBytes += Number(value);
      else if (op === "Write") writtenBytes += Number(value);
    } else {
      // "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0"
      readBytes += Number(/\brbytes=(\d+)/.exec(line)?.[1] ?? 0);
      writtenBytes += Number(/\bwbytes=(\d+)/.exec(line)?.[1] ?? 0);
    }
  }
  return { readBytes, writtenBytes };
}

function keyValue(text: string, key: string): number {
  return Number(new RegExp(`^${key} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
}

function under(mount: CgroupMount, path: string): string | undefined {
  if (mount.root === "/") return mount.mountPoint + path;
  if (path !== mount.root && !path.startsWith(`${mount.root}/`)) return undefined;
  return mount.mountPoint + path.slice(mount.root.length);
}

async function readable(file: string): Promise<boolean> {
  return readFile(file, "utf8").then(
    () => true,
    () => false,
  );
}

let mountsOnce: Promise<CgroupMount[]> | undefined;

/** The cgroup file systems mounted here (proc(5), /proc/self/mountinfo); they do not change while we run. */
function cgroupMounts(): Promise<CgroupMount[]> {
  mountsOnce ??= readFile("/proc/self/mountinfo", "utf8").then(
    (text) => {
      const mounts: CgroupMount[] = [];
      for (const line of text.split("\n")) {
        // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"
        const [before, after] = line.split(" - ");
        if (before === undefined || after === undefined) continue;
        const [, , , root, mountPoint] = before.split(" ");
        const [fsType, , superOptions] = after.split(" ");
        if (root === undefined || mountPoint === undefined) continue;
        if (fsType === "cgroup2") mounts.push({ mountPoint, root, controllers: undefined });
        else if (fsType === "cgroup") mounts.push({ mountPoint, root, controllers: (superOptions ?? "").split(",") });
      }
      return mounts;
    },
    () => [],
  );
  return mountsOnce;
}
