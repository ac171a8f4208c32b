import { statSync } from "node:fs";
import { TaskFailure } from "../../errors.js";
import type { LogSink, ProcessExit, ProcessSpec, ResourceUsage, RunningProcess, Runtime, SeenLines } from "../runtime.js";
import { UsageSampler, merge } from "../usage-sampler.js";
import { LauncherSpawner, type LauncherOptions } from "./launcher-spawner.js";
import { LineSplitter } from "../line-splitter.js";
import { NodeSpawner } from "./node-spawner.js";
import { readProcessTreeUsage } from "./proc-usage.js";
import type { SpawnEnd, SpawnedProcess, Spawner } from "./spawner.js";

/**
 * Runs a task as a process on the server's host. What a container would give and a host
 * process does not: `image`, `mounts` and `network` are ignored (the process sees the
 * host's file system and network; inputs and outputs reach it through paths in its env),
 * and `cpus`/`memoryBytes` are not enforced (that needs cgroups, which the server may
 * not own). This is why the engine only allows the host runtime when configured to.
 *
 * The processes are started by a small long-lived launcher process (LauncherSpawner),
 * which costs a fraction of forking the engine; where it cannot run, from this process
 * (NodeSpawner).
 */

/** A task sees only its own env, plus these so ordinary commands work; never the server's secrets. */
const INHERITED_ENV = ["PATH", "HOME", "LANG", "TMPDIR"] as const;

/** SIGTERM first so the process can clean up; SIGKILL if it is still there after this. */
const KILL_GRACE_MS = 2000;

/**
 * When /proc is first read for a process whose spawner measures its end (the launcher's
 * wait4): a process that ends sooner is measured by that alone. Reading /proc at once
 * cost 16 system calls per task and said next to nothing (the process had just exec'd).
 */
const FIRST_READING_MS = 100;

export interface HostRuntimeOptions {
  /** `node` spawns from this process; the default tries the launcher first and falls back to that. */
  spawner?: "launcher" | "node" | "auto";
  launcher?: LauncherOptions;
}

export class HostRuntime implements Runtime {
  readonly kind = "host" as const;
  readonly reattaches = false;
  private readonly running = new Set<HostProcess>();
  private spawner: Promise<Spawner> | undefined;

  constructor(private readonly options: HostRuntimeOptions = {}) {}

  async start(spec: ProcessSpec, onLog: LogSink): Promise<RunningProcess> {
    const [command, ...args] = spec.command ?? [];
    if (command === undefined || command === "") {
      throw new TaskFailure("the host runtime needs a command to run, and none was given", { retryable: false });
    }
    if (spec.workingDir !== undefined) checkDirectory(spec.workingDir);

    const proc = new HostProcess(onLog);
    await proc.start(await this.spawnerInUse(), { command, args, env: processEnv(spec.env), cwd: spec.workingDir });
    this.running.add(proc);
    // Only bookkeeping: whoever awaits proc.wait() sees its failure.
    void proc.wait().finally(() => this.running.delete(proc)).catch(() => {});
    return proc;
  }

  /**
   * The spawner, chosen once, on first use (starting the launcher costs a Python start,
   * about 20 ms). With "auto", a launcher that cannot start then means NodeSpawner for
   * the runtime's life; a launcher that dies later is restarted instead.
   */
  spawnerInUse(): Promise<Spawner> {
    this.spawner ??= chooseSpawner(this.options);
    return this.spawner;
  }

  /** Starts the launcher while a run that has host tasks is being recorded, not when its first task starts. */
  prepare(): void {
    // A launcher that cannot start is reported by the first start that needs it.
    this.spawnerInUse().catch(() => {});
  }

  /** A host process's pipes died with the server that started it, so there is nothing to follow; the engine retries. */
  async reattach(_executionUuid: string, _onLog: LogSink, _options: { seen: SeenLines }): Promise<RunningProcess | undefined> {
    return undefined;
  }

  /** Nothing is kept once a host process has exited. */
  async release(_executionUuid: string): Promise<void> {}

  async close(): Promise<void> {
    await Promise.all([...this.running].map((p) => p.kill()));
    // A launcher that never started has nothing to close; the start that needed it reported why.
    const spawner = await this.spawner?.catch(() => undefined);
    await spawner?.close();
  }
}

async function chooseSpawner(options: HostRuntimeOptions): Promise<Spawner> {
  const choice = options.spawner ?? "auto";
  if (choice === "node") return new NodeSpawner();
  if (choice === "launcher") return LauncherSpawner.start(options.launcher);
  return LauncherSpawner.start(options.launcher).catch(() => new NodeSpawner());
}

class HostProcess implements RunningProcess {
  handle = "";
  private spawned: SpawnedProcess | undefined;
  /** Set as the spawn is asked for: a process that exits at once can end before `spawned` is. */
  private spawning: Promise<SpawnedProcess> | undefined;
  private readonly exit: Promise<ProcessExit>;
  private resolveExit!: (exit: ProcessExit) => void;
  private rejectExit!: (err: Error) => void;
  private closed = false;
  private killRequested = false;
  private killing: Promise<void> | undefined;
  private sampler: UsageSampler | undefined;
  private samplerStart: NodeJS.Timeout | undefined;
  private readonly stdout: LineSplitter;
  private readonly stderr: LineSplitter;

  constructor(onLog: LogSink) {
    this.stdout = new LineSplitter((line) => onLog("stdout", line, Date.now()));
    this.stderr = new LineSplitter((line) => onLog("stderr", line, Date.now()));
    this.exit = new Promise((resolve, reject) => {
      this.resolveExit = resolve;
      this.rejectExit = reject;
    });
  }

  async start(spawner: Spawner, request: Parameters<Spawner["spawn"]>[0]): Promise<void> {
    this.spawning = spawner.spawn(request, {
      output: (stream, chunk) => (stream === "stdout" ? this.stdout : this.stderr).push(chunk),
      end: (end) => this.ended(end),
    });
    this.spawned = await this.spawning;
    this.handle = String(this.spawned.pid);
    const pid = this.spawned.pid;
    // Read from /proc while the process runs: it is reaped before its end is reported (see UsageSampler).
    // The end may have come already (a process that exits at once); then there is nothing to read.
    if (this.closed) return;
    const sample = () => (this.sampler = new UsageSampler(() => readProcessTreeUsage(pid)));
    // NodeSpawner measures nothing at the end: its processes are read from the start.
    if (spawner instanceof NodeSpawner) sample();
    else this.samplerStart = setTimeout(sample, FIRST_READING_MS).unref();
  }

  private ended(end: SpawnEnd): void {
    this.closed = true;
    clearTimeout(this.samplerStart);
    this.stdout.end();
    this.stderr.end();
    const sampled = this.sampler ? this.sampler.stop() : Promise.resolve(undefined);
    // A spawn that failed reports no end of its own; `undefined` only guards the order of the two.
    const spawned = this.spawning!.catch(() => undefined);
    void Promise.all([sampled, spawned]).then(([usage, child]) => {
      if (end.kind === "lost") {
        this.rejectExit(new TaskFailure(`${end.reason}; the process was stopped`, { retryable: true }));
        return;
      }
      const exit: ProcessExit = { exitCode: end.exitCode, killed: this.killRequested };
      if (child !== undefined && groupEnded(child.pid)) exit.leftNothingRunning = true;
      const all = combine(usage, end.usage);
      this.resolveExit(all ? { ...exit, usage: all } : exit);
    });
  }

  wait(): Promise<ProcessExit> {
    return this.exit;
  }

  kill(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.killing ??= this.terminate();
    return this.killing;
  }

  private async terminate(): Promise<void> {
    this.killRequested = true;
    this.spawned!.signal("SIGTERM");
    if (await this.closedWithin(KILL_GRACE_MS)) return;
    this.spawned!.signal("SIGKILL");
    if (await this.closedWithin(KILL_GRACE_MS)) return;
    // Only a process that left our group (setsid) can still hold the pipes open; stop reading so wait() ends.
    this.spawned!.stopReading();
    // Only waiting for the end: wait() reports how the process ended.
    await this.exit.catch(() => {});
  }

  private async closedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([this.exit.then(() => true, () => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The samples from /proc see descendants still running; wait4's figures (from the
 * launcher) see the whole end, including what ran after the last sample.
 */
function combine(sampled: ResourceUsage | undefined, atEnd: ResourceUsage | undefined): ResourceUsage | undefined {
  if (atEnd === undefined) return sampled;
  return merge(sampled, atEnd);
}

/**
 * Whether the process group a task's process led is empty: each process starts as the
 * leader of a group of its own, and what it left running in the background (`cmd &`)
 * stays in it unless it moved out (setsid), which nothing on the host can follow.
 */
function groupEnded(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function processEnv(env: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) result[name] = value;
  }
  return { ...result, ...env };
}

function checkDirectory(dir: string): void {
  // A missing cwd would be reported as a failure of the command, which would blame the wrong thing.
  // Synchronous: one stat, cheaper than a thread-pool round trip (workspace/attempt-files.ts).
  let info;
  try {
    info = statSync(dir);
  } catch (cause) {
    throw new TaskFailure(`working directory '${dir}' does not exist`, { retryable: false, cause });
  }
  if (!info.isDirectory()) throw new TaskFailure(`working directory '${dir}' is not a directory`, { retryable: false });
}
