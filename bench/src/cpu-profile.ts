/**
 * Reads a V8 CPU profile (the `.cpuprofile` JSON that `node --cpu-prof` writes) and says
 * where the time went: self time per function, per file and per area (a Cairn folder, an
 * npm package, a Node.js module, or V8's own buckets such as idle and GC).
 */

/** The parts of the `.cpuprofile` format (Chrome DevTools protocol, Profiler.Profile) read here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds. */
  startTime: number;
  endTime: number;
  /** Node id of each sample, in time order. */
  samples?: number[];
  /** Microseconds since the previous sample (the first: since startTime). */
  timeDeltas?: number[];
}

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
  children?: number[];
}

export interface SelfTime {
  /** A function (`name (file:line)`), a file, or an area. */
  label: string;
  selfMs: number;
  /** Of the whole profile, idle included, 0-1. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time the main thread waited for the event loop (V8's `(idle)` bucket). */
  idleMs: number;
  functions: SelfTime[];
  files: SelfTime[];
  areas: SelfTime[];
  /**
   * Cairn's own functions (files under packages/cairn) by self time, and by total time:
   * their own plus that of everything they called synchronously (a function on the stack
   * twice counts once). An async function's total is the sum of its synchronous stretches.
   */
  cairnSelf: SelfTime[];
  cairnTotal: SelfTime[];
}

/** V8's own buckets: not JavaScript functions. */
const V8_BUCKETS = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

/**
 * `repositoryRoot` (a path) is cut from file URLs so labels read `packages/cairn/dist/...`.
 * `top` limits the function and file lists; areas are all listed.
 */
export function summariseProfile(profile: CpuProfile, options: { repositoryRoot: string; top: number }): ProfileSummary {
  const selfUs = selfTimes(profile);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const labelOf = (frame: ProfileNode["callFrame"]) => {
    const file = fileLabel(frame.url, options.repositoryRoot);
    const name = frame.functionName === "" ? "(anonymous)" : frame.functionName;
    return { file, fn: file === "" ? name : `${name} (${file}:${frame.lineNumber + 1})` };
  };
  const isCairn = (file: string) => file.startsWith("packages/cairn/");
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const areas = new Map<string, number>();
  const cairnSelf = new Map<string, number>();
  const cairnTotal = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    totalUs += us;
    if (frame.functionName === "(idle)") idleUs += us;
    const { file, fn } = labelOf(frame);
    add(functions, fn, us);
    add(files, file === "" ? nativeLabel(frame.functionName) : file, us);
    add(areas, areaOf(frame.url, frame.functionName, options.repositoryRoot), us);
    if (isCairn(file)) add(cairnSelf, fn, us);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const caller = byId.get(at)?.callFrame;
      if (caller === undefined) break;
      const label = labelOf(caller);
      if (isCairn(label.file)) onStack.add(label.fn);
    }
    for (const fnLabel of onStack) add(cairnTotal, fnLabel, us);
  }
  const rank = (totals: Map<string, number>, limit: number): SelfTime[] =>
    [...totals]
      .map(([label, us]) => ({ label, selfMs: us / 1000, share: totalUs > 0 ? us / totalUs : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, limit);
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: rank(functions, options.top),
    files: rank(files, options.top),
    areas: rank(areas, Number.POSITIVE_INFINITY),
    cairnSelf: rank(cairnSelf, options.top),
    cairnTotal: rank(cairnTotal, options.top),
  };
}

/**
 * Microseconds of self time per node. A sample stands for the time until the next one
 * (DevTools counts it the same way); the last one runs to the profile's end. A profile
 * without samples falls back on hit counts at the average interval.
 */
export function selfTimes(profile: CpuProfile): Map<number, number> {
  const totals = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    let at = profile.startTime;
    const stamps = deltas.map((delta) => (at += delta));
    samples.forEach((id, i) => {
      const next = i + 1 < stamps.length ? stamps[i + 1]! : profile.endTime;
      add(totals, id, Math.max(0, next - stamps[i]!));
    });
    return totals;
  }
  const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const perHit = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
  for (const node of profile.nodes) if (node.hitCount) add(totals, node.id, node.hitCount * perHit);
  return totals;
}

/** `file:///repo/packages/x.js` to `packages/x.js`; `node:fs` stays; native code has no URL. */
export function fileLabel(url: string, repositoryRoot: string): string {
  if (url === "") return "";
  const path = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  const root = repositoryRoot.endsWith("/") ? repositoryRoot : `${repositoryRoot}/`;
  return path.startsWith(root) ? path.slice(root.length) : path;
}

/**
 * A coarse owner of the time: `cairn/engine` (a folder of the built package), an npm
 * package (`kysely`), a Node.js module (`node:child_process`), or a V8 bucket.
 */
export function areaOf(url: string, functionName: string, repositoryRoot: string): string {
  if (url === "") return V8_BUCKETS.has(functionName) ? functionName : "(native code)";
  if (url.startsWith("node:")) {
    const module = url.slice("node:".length).replace(/^internal\//, "");
    return `node:${module.split("/")[0]}`;
  }
  const file = fileLabel(url, repositoryRoot);
  const inModules = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (inModules) return inModules[1]!;
  const inCairn = /^packages\/cairn\/(?:dist|src)\/([^/]+)/.exec(file);
  if (inCairn) return `cairn/${inCairn[1]!.replace(/\.[cm]?[jt]s$/, "")}`;
  return file;
}

function nativeLabel(functionName: string): string {
  return V8_BUCKETS.has(functionName) ? functionName : "(native code)";
}

function add<K>(totals: Map<K, number>, key: K, amount: number): void {
  totals.set(key, (totals.get(key) ?? 0) + amount);
}
