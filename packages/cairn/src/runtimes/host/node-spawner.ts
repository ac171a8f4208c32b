import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:os";
import { TaskFailure } from "../../errors.js";
import { startFailureReason, type SpawnEvents, type SpawnRequest, type SpawnedProcess, type Spawner } from "./spawner.js";

/**
 * Starts each process with child_process.spawn from this process. Node.js forks its
 * whole process for that, which blocks the event loop for several milliseconds per task
 * in a big engine (see docs/engine-design.md), so this is only the fallback for a machine
 * where the launcher cannot run (no python3 3.9+).
 */
export class NodeSpawner implements Spawner {
  async spawn(request: SpawnRequest, events: SpawnEvents): Promise<SpawnedProcess> {
    const child = spawn(request.command, request.args, {
      env: request.env,
      cwd: request.cwd,
      // Own process group: a signal reaches the whole tree, not just the direct child.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    await spawned(child, request.command);
    const pid = child.pid!;
    let ended = false;
    child.stdout!.on("data", (chunk: Buffer) => events.output("stdout", chunk));
    child.stderr!.on("data", (chunk: Buffer) => events.output("stderr", chunk));
    // 'close', not 'exit': only then has every chunk of output been read.
    child.once("close", (code, signal) => {
      ended = true;
      events.end({ kind: "exited", exitCode: code ?? 128 + signalNumber(signal) });
    });
    // After a successful spawn the only 'error' is a failed signal, which signal() tolerates.
    child.on("error", () => {});
    return {
      pid,
      signal(signal) {
        if (ended) return;
        try {
          process.kill(-pid, signal);
        } catch {
          // ESRCH: the whole group is gone already.
        }
      },
      stopReading() {
        child.stdout?.destroy();
        child.stderr?.destroy();
      },
    };
  }

  async close(): Promise<void> {}
}

/** Resolves once the process runs; a command that can't be started becomes a TaskFailure, not an 'error' event. */
function spawned(child: ChildProcess, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("spawn", () => {
      child.off("error", onError);
      resolve();
    });
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new TaskFailure(`command '${command}' ${startFailureReason(err.code, err.message)}`, { retryable: false, cause: err }));
    };
    child.once("error", onError);
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}
