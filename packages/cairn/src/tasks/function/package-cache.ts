import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TaskFailure } from "../../errors.js";
import type { Mount, ProcessSpec, Runtime } from "../../runtimes/runtime.js";
import type { FunctionInstaller } from "../../spec/types.js";
import type { TaskExecutionContext } from "../task-handler.js";
import type { FunctionFamily } from "./function-family.js";

/**
 * Packages of function tasks, installed once per distinct set and reused by every later
 * run. A set lives in `<dataDir>/cache/packages/<key>`; it is installed into a temp dir
 * that is renamed into place only once complete, so a crash mid-install leaves no half
 * set behind and two servers racing on one set both end up with a whole one.
 */

export interface PackageSet {
  family: FunctionFamily;
  installer: FunctionInstaller;
  packages: readonly string[];
  /**
   * Where the packages are installed and used: "host", or the image. Part of the key
   * because a set installed for one interpreter may not load in another (compiled
   * extensions, a different Python version).
   */
  where: string;
  /** The python that installs and loads the set (`python3.9` for that runtime); `python3` when unset. */
  interpreter?: string;
}

/** Written last in a complete set. */
const COMPLETE_MARKER = ".complete";
/** The install dir inside an install container. */
const CONTAINER_INSTALL_DIR = "/cairn/packages-install";
/** Lines of installer output quoted in a failure. */
const FAILURE_TAIL_LINES = 20;

/** Stable for the same set, whatever the order or repetition of the packages. */
export function packageCacheKey(set: PackageSet): string {
  const packages = [...new Set(set.packages)].sort();
  const identity = JSON.stringify([set.family, set.installer, set.where, packages]);
  return createHash("sha256").update(identity).digest("hex").slice(0, 16);
}

export function packageCacheRoot(dataDir: string): string {
  return join(dataDir, "cache", "packages");
}

/** Installs in progress in this process, by key: a second attempt with the same set waits for the first. */
const installing = new Map<string, Promise<void>>();

export interface EnsurePackagesOptions {
  runtime: Runtime;
  /** Container runtime only: the image the install runs in (the function's own). */
  image?: string;
}

/** Returns the host dir holding the set, installing it first unless it is cached already. */
export async function ensurePackages(ctx: TaskExecutionContext, set: PackageSet, options: EnsurePackagesOptions): Promise<string> {
  for (const name of set.packages) {
    if (name.startsWith("-")) {
      throw new TaskFailure(`package '${name}' looks like an option of ${set.installer}, not a package`, { retryable: false });
    }
  }
  const key = packageCacheKey(set);
  const dir = join(packageCacheRoot(ctx.config.dataDir), key);

  for (let pending = installing.get(key); pending !== undefined; pending = installing.get(key)) {
    ctx.log("system", `packages: waiting for another task installing the same set (${key})`);
    // Its outcome is read from disk below: a failed or cancelled install is simply redone.
    await untilSettledOrAborted(pending, ctx.signal);
    ctx.signal.throwIfAborted();
  }
  // Checked synchronously right before claiming the key, so no other attempt can slip in between.
  if (existsSync(join(dir, COMPLETE_MARKER))) {
    ctx.log("system", `packages: cache hit ${key}`);
    return dir;
  }
  const install = installSet(ctx, set, key, dir, options);
  installing.set(key, install);
  try {
    await install;
  } finally {
    installing.delete(key);
  }
  return dir;
}

/** A cancelled attempt stops waiting for another's install at once. */
async function untilSettledOrAborted(pending: Promise<unknown>, signal: AbortSignal): Promise<void> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([pending.then(noop, noop), aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort!);
  }
}

function noop(): void {}

async function installSet(ctx: TaskExecutionContext, set: PackageSet, key: string, dir: string, options: EnsurePackagesOptions): Promise<void> {
  const root = packageCacheRoot(ctx.config.dataDir);
  await mkdir(root, { recursive: true });
  await removeAbandonedTempDirs(root, key);
  const temp = join(root, `${key}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(temp);
  try {
    ctx.log("system", `packages: installing ${set.packages.join(", ")} with ${set.installer} (cache ${key})`);
    await runInstaller(ctx, set, temp, options);
    // "wx": the folder was the installer's, whose packages' scripts are a task's code; a
    // link left at the marker's name must not have the server write through it.
    await writeFile(join(temp, COMPLETE_MARKER), `${JSON.stringify({ packages: set.packages, installer: set.installer, where: set.where })}\n`, { flag: "wx" }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
      throw new TaskFailure(`installing packages [${set.packages.join(", ")}] left a file named '${COMPLETE_MARKER}', the name Cairn marks a finished install with; the install was not kept`, { retryable: false });
    });
    await moveIntoPlace(temp, dir);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function moveIntoPlace(temp: string, dir: string): Promise<void> {
  // A dir without the marker was not made by this code (rename is atomic): it is safe to replace.
  if (existsSync(dir) && !existsSync(join(dir, COMPLETE_MARKER))) await rm(dir, { recursive: true, force: true });
  try {
    await rename(temp, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Another server finished the same set first: theirs is as good as ours.
    if ((code === "ENOTEMPTY" || code === "EEXIST") && existsSync(join(dir, COMPLETE_MARKER))) return;
    throw err;
  }
}

/** Temp dirs of this key left by a process that died mid-install. */
async function removeAbandonedTempDirs(root: string, key: string): Promise<void> {
  for (const name of await readdir(root)) {
    const match = new RegExp(`^${key}\\.tmp-(\\d+)-`).exec(name);
    if (match && !processAlive(Number(match[1]))) await rm(join(root, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function runInstaller(ctx: TaskExecutionContext, set: PackageSet, temp: string, options: EnsurePackagesOptions): Promise<void> {
  const { runtime } = options;
  const inContainer = runtime.kind === "container";
  const target = inContainer ? CONTAINER_INSTALL_DIR : temp;
  const findLinks = set.installer === "pip" ? ctx.config.pipFindLinks : undefined;
  const mounts: Mount[] = [];
  if (inContainer) {
    mounts.push({ hostPath: temp, containerPath: CONTAINER_INSTALL_DIR, readOnly: false });
    if (findLinks !== undefined) mounts.push({ hostPath: findLinks, containerPath: findLinks, readOnly: true });
  }
  const spec: ProcessSpec = {
    // Its own execution id, so that after a restart the function's process is never confused with its install.
    labels: { runUuid: ctx.runUuid, taskId: ctx.task.id, executionUuid: installExecutionId(ctx.executionUuid), attempt: ctx.attempt },
    image: inContainer ? options.image : undefined,
    command: installerCommand(set, target, findLinks),
    // Installs run as root in containers; pip's warning about that would only clutter the log.
    env: set.installer === "pip" ? { PIP_ROOT_USER_ACTION: "ignore" } : {},
    mounts,
    network: "default",
  };

  const tail: string[] = [];
  const proc = await runtime.start(spec, (_stream, line) => {
    ctx.log("system", `install: ${line}`);
    tail.push(line);
    if (tail.length > FAILURE_TAIL_LINES) tail.shift();
  });
  // A kill that fails finds the process ended already; its exit is what the install reports.
  const kill = () => void proc.kill().catch(() => {});
  if (ctx.signal.aborted) kill();
  else ctx.signal.addEventListener("abort", kill, { once: true });
  try {
    const exit = await proc.wait();
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (exit.exitCode !== 0) {
      const quoted = tail.length > 0 ? `:\n${tail.join("\n")}` : "";
      throw new TaskFailure(`installing packages [${set.packages.join(", ")}] with ${set.installer} failed (exit ${exit.exitCode})${quoted}`, {
        retryable: false,
        exitCode: exit.exitCode,
      });
    }
  } finally {
    ctx.signal.removeEventListener("abort", kill);
    await runtime.release(spec.labels.executionUuid);
  }
}

export function installExecutionId(executionUuid: string): string {
  return `${executionUuid}-install`;
}

export function installerCommand(set: Pick<PackageSet, "installer" | "packages" | "interpreter">, target: string, findLinks: string | undefined): string[] {
  if (set.installer === "pip") {
    const index = findLinks === undefined ? [] : ["--no-index", "--find-links", findLinks];
    // --target also keeps pip clear of PEP 668's "externally managed environment" refusal.
    return [set.interpreter ?? "python3", "-m", "pip", "install", "--target", target, "--disable-pip-version-check", "--no-input", "--no-warn-script-location", ...index, ...set.packages];
  }
  // --install-links copies local folders instead of symlinking them, so the set stays whole when moved.
  return ["npm", "install", "--prefix", target, "--no-audit", "--no-fund", "--no-update-notifier", "--install-links", ...set.packages];
}
