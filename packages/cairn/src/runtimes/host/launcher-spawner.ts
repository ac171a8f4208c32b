import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { TaskFailure } from "../../errors.js";
import type { ResourceUsage } from "../runtime.js";
import { startFailureReason, type SpawnEvents, type SpawnRequest, type SpawnedProcess, type Spawner } from "./spawner.js";

/**
 * Starts the host runtime's processes through one long-lived helper process,
 * `launcher/host_launcher.py` (its docstring has the protocol), instead of forking this
 * big process for each of them.
 *
 * Why a Python helper (measured on the 2-core development machines, see
 * docs/engine-design.md): child_process.spawn blocks the event loop until the child has
 * exec'd, 6-12 ms from the engine; a bare Node.js launcher pays nearly the same (its fork
 * of a 50 MB process costs 4-7 ms), while Python's os.posix_spawn (glibc's vfork-based
 * posix_spawn) costs about what a shell pays, and Python's standard library has all the
 * launcher needs (pidfds, epoll, wait4), with no native module to build. Python 3 is part
 * of a standard Debian install, and `scripts/setup.sh` installs it when missing; without
 * it, HostRuntime falls back to NodeSpawner.
 *
 * If the launcher dies, every process it was following is killed (SIGKILL to its group:
 * its output can no longer be read) and ends as `lost`, which fails the attempt as
 * retryable; the next spawn starts a new launcher.
 *
 * With `pythonFork` (the default), a `python3 SCRIPT.py` process is started as a fork of
 * the launcher's own warm interpreter wherever that is the same as exec'ing python3
 * (launcher/warm_python.py decides, and says why not): a new interpreter costs 25-60 ms
 * here, a fork about 1 ms, and the forked task about half the CPU of an exec'd one.
 */

export const LAUNCHER_PATH = fileURLToPath(new URL("../../../launcher/host_launcher.py", import.meta.url));

/** Frame kinds, as in host_launcher.py. */
const READY = 0;
const STARTED = 1;
const FAILED = 2;
const STDOUT = 3;
const STDERR = 4;
const EXIT = 5;
const HEADER_BYTES = 9;

/** How long the launcher may take to say it is ready (Python starts in about 20 ms; a pyenv shim adds more). */
const READY_TIMEOUT_MS = 10_000;

/** Kept from the launcher's stderr for the message when it dies. */
const MAX_STDERR_CHARS = 2000;

export interface LauncherOptions {
  /** The Python interpreter; by default the system's, else `python3` from PATH. */
  python?: string;
  /**
   * Starts `python3 SCRIPT.py` processes as forks of the launcher's warm interpreter where
   * that is the same as exec'ing python3 (launcher/warm_python.py says when); default on.
   */
  pythonFork?: boolean;
}

/** What the launcher started: a process, and whether as a fork of its own interpreter. */
export interface LaunchedProcess extends SpawnedProcess {
  readonly forked: boolean;
  /** Why a python3 task was exec'd rather than forked (unset for other commands, or with pythonFork off). */
  readonly execBecause: string | undefined;
}

/**
 * The launcher needs only the standard library, and the system's interpreter starts
 * fastest: a version manager's shim on PATH (pyenv's is a bash script) adds 0.3 s or more.
 */
function defaultPython(): string {
  return existsSync(SYSTEM_PYTHON) ? SYSTEM_PYTHON : "python3";
}
const SYSTEM_PYTHON = "/usr/bin/python3";

export class LauncherSpawner implements Spawner {
  private current: Launcher | undefined;
  private restarting: Promise<Launcher> | undefined;
  private closed = false;

  private constructor(
    private readonly python: string,
    private readonly pythonFork: boolean,
  ) {}

  /** Starts the launcher; rejects when it cannot run here (no python3, too old, no pidfds), so the caller can fall back. */
  static async start(options: LauncherOptions = {}): Promise<LauncherSpawner> {
    const spawner = new LauncherSpawner(options.python ?? defaultPython(), options.pythonFork ?? true);
    spawner.current = await Launcher.start(spawner.python, spawner.pythonFork);
    return spawner;
  }

  /** The launcher process's pid (for tests that kill it). */
  get launcherPid(): number | undefined {
    return this.current?.alive ? this.current.pid : undefined;
  }

  async spawn(request: SpawnRequest, events: SpawnEvents): Promise<LaunchedProcess> {
    if (this.closed) throw new TaskFailure("the host runtime is closed", { retryable: true });
    return (await this.live()).spawn(request, events);
  }

  async close(): Promise<void> {
    this.closed = true;
    // A restart that failed left nothing to stop; the start that needed it reported why.
    await this.restarting?.catch(() => {});
    await this.current?.stop();
  }

  /** The running launcher, or a new one after the last died: one restart shared by every spawn waiting for it. */
  private live(): Promise<Launcher> {
    if (this.current?.alive) return Promise.resolve(this.current);
    this.restarting ??= Launcher.start(this.python, this.pythonFork)
      .then(
        (launcher) => (this.current = launcher),
        (err: unknown) => {
          throw new TaskFailure(`the host launcher could not be restarted: ${(err as Error).message}`, { retryable: true, cause: err });
        },
      )
      .finally(() => (this.restarting = undefined));
    return this.restarting;
  }
}

interface Entry {
  command: string;
  events: SpawnEvents;
  pid?: number;
  started?: { resolve: (started: Started) => void; reject: (err: Error) => void };
  ended: boolean;
}

/** The STARTED frame's payload. */
interface Started {
  pid: number;
  forked: boolean;
  exec_because?: string;
}

/** One launcher process and the tasks it follows. */
class Launcher {
  alive = true;
  private readonly entries = new Map<number, Entry>();
  private nextId = 1;
  private buffered: Buffer = Buffer.alloc(0);
  private stderr = "";
  private readonly gone: Promise<void>;
  private onReady: ((err?: Error) => void) | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on("data", (chunk: Buffer) => this.receive(chunk));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (text: string) => {
      this.stderr = (this.stderr + text).slice(-MAX_STDERR_CHARS);
    });
    // Writes to a launcher that just died fail with EPIPE; 'close' below handles its death.
    child.stdin!.on("error", () => {});
    this.idle();
    this.gone = new Promise((resolve) => {
      child.once("error", (err) => {
        this.stderr ||= err.message;
      });
      // 'close': the process has exited and every frame it wrote has been read.
      child.once("close", (code, signal) => {
        this.died(signal !== null ? `killed by ${signal}` : `exited with code ${code ?? "?"}`);
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(python: string, pythonFork: boolean): Promise<Launcher> {
    // -I: no PYTHON* variables, no user site packages; -S: no site module (faster start).
    const child = spawn(python, ["-I", "-S", LAUNCHER_PATH, ...(pythonFork ? ["--python-fork"] : [])], {
      // The locale is the one HostRuntime gives its tasks (LANG, not LC_ALL): the warm
      // interpreter forks only for a task whose locale is its own.
      env: pick(process.env, ["PATH", "LANG"]),
      // Its own process group: a Ctrl-C at the terminal reaches the engine, which stops the tasks, not the launcher first.
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const launcher = new Launcher(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the host launcher (${python}) did not start within ${READY_TIMEOUT_MS} ms`));
      }, READY_TIMEOUT_MS);
      launcher.onReady = (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
    });
    return launcher;
  }

  spawn(request: SpawnRequest, events: SpawnEvents): Promise<LaunchedProcess> {
    if (!this.alive) return Promise.reject(new TaskFailure("the host launcher stopped; the process was not started", { retryable: true }));
    const id = this.nextId++;
    const entry: Entry = { command: request.command, events, ended: false };
    if (this.entries.size === 0) this.busy();
    this.entries.set(id, entry);
    const started = new Promise<Started>((resolve, reject) => (entry.started = { resolve, reject }));
    this.send({ op: "start", id, argv: [request.command, ...request.args], env: request.env, cwd: request.cwd ?? null });
    return started.then(({ pid, forked, exec_because }) => ({
      pid,
      forked,
      execBecause: exec_because,
      signal: (signal) => {
        if (!entry.ended) this.send({ op: "signal", id, signal: signal === "SIGKILL" ? 9 : 15 });
      },
      stopReading: () => {
        if (!entry.ended) this.send({ op: "detach", id });
      },
    }));
  }

  /** Ends its stdin: the launcher kills what still runs and exits. */
  async stop(): Promise<void> {
    if (this.alive) {
      // Waiting for its exit must keep this process alive.
      this.busy();
      this.child.stdin!.end();
    }
    await this.gone;
  }

  /**
   * An idle launcher does not keep this process alive (an engine that forgot close()
   * still exits); one that follows a process does, as the process's own pipes would.
   */
  private idle(): void {
    this.child.unref();
    for (const stream of this.pipes()) stream.unref();
  }

  private busy(): void {
    this.child.ref();
    for (const stream of this.pipes()) stream.ref();
  }

  /** stdio "pipe" streams are net.Sockets, though typed as plain streams. */
  private pipes(): Socket[] {
    return [this.child.stdin, this.child.stdout, this.child.stderr] as Socket[];
  }

  private forget(id: number): void {
    this.entries.delete(id);
    if (this.entries.size === 0 && this.alive) this.idle();
  }

  private send(message: object): void {
    if (this.alive) this.child.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  private receive(chunk: Buffer): void {
    const data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let offset = 0;
    while (data.length - offset >= HEADER_BYTES) {
      const length = data.readUInt32BE(offset + 5);
      if (data.length - offset < HEADER_BYTES + length) break;
      const kind = data.readUInt8(offset);
      const id = data.readUInt32BE(offset + 1);
      const payload = data.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
      offset += HEADER_BYTES + length;
      this.frame(kind, id, payload);
    }
    // Copied, so a small remainder does not keep a big chunk alive.
    this.buffered = offset === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(offset));
  }

  private frame(kind: number, id: number, payload: Buffer): void {
    if (kind === READY) {
      this.onReady?.();
      this.onReady = undefined;
      return;
    }
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    switch (kind) {
      case STDOUT:
        entry.events.output("stdout", payload);
        break;
      case STDERR:
        entry.events.output("stderr", payload);
        break;
      case STARTED: {
        const started = JSON.parse(payload.toString()) as Started;
        entry.pid = started.pid;
        entry.started?.resolve(started);
        entry.started = undefined;
        break;
      }
      case FAILED: {
        const { errno, message } = JSON.parse(payload.toString()) as { errno: number | null; message: string };
        this.forget(id);
        entry.started?.reject(new TaskFailure(`command '${entry.command}' ${startFailureReason(errnoName(errno), message)}`, { retryable: false }));
        break;
      }
      case EXIT: {
        const exit = JSON.parse(payload.toString()) as { code?: number; signal?: number; usage?: ResourceUsage };
        this.forget(id);
        entry.ended = true;
        const exitCode = exit.signal !== undefined ? 128 + exit.signal : (exit.code ?? 0);
        entry.events.end(exit.usage ? { kind: "exited", exitCode, usage: exit.usage } : { kind: "exited", exitCode });
        break;
      }
    }
  }

  private died(how: string): void {
    this.alive = false;
    const detail = this.stderr.trim();
    const reason = `the host launcher ${how}${detail ? `: ${detail}` : ""}`;
    this.onReady?.(new Error(reason));
    this.onReady = undefined;
    for (const entry of this.entries.values()) {
      if (entry.started) {
        entry.started.reject(new TaskFailure(`${reason}; the process was not started`, { retryable: true }));
        continue;
      }
      // Its pipes died with the launcher: stop it rather than let it run unseen (and run twice once retried).
      if (entry.pid !== undefined) signalGroup(entry.pid, "SIGKILL");
      entry.ended = true;
      entry.events.end({ kind: "lost", reason });
    }
    this.entries.clear();
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of names) if (env[name] !== undefined) result[name] = env[name];
  return result;
}

/** Linux errno numbers the messages distinguish. */
function errnoName(errno: number | null): string | undefined {
  return errno === 2 ? "ENOENT" : errno === 13 ? "EACCES" : undefined;
}
