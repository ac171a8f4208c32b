import { spawn, type ChildProcess } from "node:child_process";
import { stat } from "node:fs/promises";
import { constants } from "node:os";
import type { Readable } from "node:stream";
import { TaskFailure } from "../../errors.js";
import type { LogSink, ProcessExit, ProcessSpec, RunningProcess, Runtime, SeenLines } from "../runtime.js";
import { UsageSampler } from "../usage-sampler.js";
import { readProcessTreeUsage } from "./proc-usage.js";

/**
 * Runs a task as a child process of the server. What a container would give and a host
 * process does not: `image`, `mounts` and `network` are ignored (the process sees the
 * host's file system and network; inputs and outputs reach it through paths in its env),
 * and `cpus`/`memoryBytes` are not enforced (that needs cgroups, which the server may
 * not own). This is why the engine only allows the host runtime when configured to.
 */

/** A task sees only its own env, plus these so ordinary commands work; never the server's secrets. */
const INHERITED_ENV = ["PATH", "HOME", "LANG", "TMPDIR"] as const;

/** SIGTERM first so the process can clean up; SIGKILL if it is still there after this. */
const KILL_GRACE_MS = 2000;

/** A line longer than this is sent in pieces, so one unterminated line cannot fill memory. */
const MAX_LINE_CHARS = 1024 * 1024;

export class HostRuntime implements Runtime {
  readonly kind = "host" as const;
  private readonly running = new Set<HostProcess>();

  async start(spec: ProcessSpec, onLog: LogSink): Promise<RunningProcess> {
    const [command, ...args] = spec.command ?? [];
    if (command === undefined || command === "") {
      throw new TaskFailure("the host runtime needs a command to run, and none was given", { retryable: false });
    }
    if (spec.workingDir !== undefined) await checkDirectory(spec.workingDir);

    const child = spawn(command, args, {
      env: processEnv(spec.env),
      cwd: spec.workingDir,
      // Own process group: kill() signals the whole tree, not just the direct child.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    await spawned(child, command);

    const proc = new HostProcess(child, onLog);
    this.running.add(proc);
    void proc.wait().finally(() => this.running.delete(proc));
    return proc;
  }

  /** A host process's pipes died with the server that started it, so there is nothing to follow; the engine retries. */
  async reattach(_executionUuid: string, _onLog: LogSink, _options: { seen: SeenLines }): Promise<RunningProcess | undefined> {
    return undefined;
  }

  /** Nothing is kept once a host process has exited. */
  async release(_executionUuid: string): Promise<void> {}

  async close(): Promise<void> {
    await Promise.all([...this.running].map((p) => p.kill()));
  }
}

class HostProcess implements RunningProcess {
  readonly handle: string;
  private readonly pid: number;
  private readonly exit: Promise<ProcessExit>;
  private closed = false;
  private killRequested = false;
  private killing: Promise<void> | undefined;

  constructor(
    private readonly child: ChildProcess,
    onLog: LogSink,
  ) {
    this.pid = child.pid!;
    this.handle = String(this.pid);
    pipeLines(child.stdout!, (line) => onLog("stdout", line, Date.now()));
    pipeLines(child.stderr!, (line) => onLog("stderr", line, Date.now()));
    // Read from /proc while the process runs: it is reaped before 'exit' fires (see UsageSampler).
    const sampler = new UsageSampler(() => readProcessTreeUsage(this.pid));
    // 'close', not 'exit': only then has every line of output reached the sink.
    this.exit = new Promise((resolve) => {
      child.once("close", (code, signal) => {
        this.closed = true;
        const exit: ProcessExit = { exitCode: code ?? 128 + signalNumber(signal), killed: this.killRequested };
        void sampler.stop().then((usage) => resolve(usage ? { ...exit, usage } : exit));
      });
    });
    // After a successful spawn the only 'error' is a failed signal, which kill() already tolerates.
    child.on("error", () => {});
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
    this.signalGroup("SIGTERM");
    if (await this.closedWithin(KILL_GRACE_MS)) return;
    this.signalGroup("SIGKILL");
    if (await this.closedWithin(KILL_GRACE_MS)) return;
    // Only a process that left our group (setsid) can still hold the pipes open; stop reading so wait() ends.
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    await this.exit;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the whole group is gone already.
    }
  }

  private async closedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([this.exit.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
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

async function checkDirectory(dir: string): Promise<void> {
  // spawn reports a missing cwd as ENOENT on the command, which would blame the wrong thing.
  const info = await stat(dir).catch((cause: unknown) => {
    throw new TaskFailure(`working directory '${dir}' does not exist`, { retryable: false, cause });
  });
  if (!info.isDirectory()) throw new TaskFailure(`working directory '${dir}' is not a directory`, { retryable: false });
}

/** Resolves once the process runs; a command that can't be started becomes a TaskFailure, not an 'error' event. */
function spawned(child: ChildProcess, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("spawn", () => {
      child.off("error", onError);
      resolve();
    });
    const onError = (err: NodeJS.ErrnoException) => {
      const reason = err.code === "ENOENT" ? "not found" : err.code === "EACCES" ? "not executable" : `could not be started: ${err.message}`;
      reject(new TaskFailure(`command '${command}' ${reason}`, { retryable: false, cause: err }));
    };
    child.once("error", onError);
  });
}

/** Calls onLine per `\n`-terminated line, keeping a partial line across chunks and sending it at the end. */
function pipeLines(stream: Readable, onLine: (line: string) => void): void {
  // setEncoding keeps multi-byte characters whole across chunk boundaries.
  stream.setEncoding("utf8");
  let partial = "";
  stream.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop()!;
    for (const line of lines) onLine(line);
    while (partial.length > MAX_LINE_CHARS) {
      onLine(partial.slice(0, MAX_LINE_CHARS));
      partial = partial.slice(MAX_LINE_CHARS);
    }
  });
  const flush = () => {
    if (partial !== "") onLine(partial);
    partial = "";
  };
  // 'end', because the child's own 'close' can fire inside the stream's 'close' before our listener;
  // 'close' too, for a stream destroyed without ending.
  stream.on("end", flush);
  stream.on("close", flush);
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}
