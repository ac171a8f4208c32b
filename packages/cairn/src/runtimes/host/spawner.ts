import type { ResourceUsage } from "../runtime.js";

/**
 * How the host runtime starts a process and learns what it writes and how it ends. Two
 * implementations: LauncherSpawner (a small long-lived helper process starts the
 * children, the default) and NodeSpawner (child_process from this process, when the
 * helper cannot run here). HostRuntime adds lines, timestamps, kill and usage on top.
 */

export interface SpawnRequest {
  command: string;
  args: string[];
  /** The whole environment of the process (nothing is inherited on top). */
  env: Record<string, string>;
  cwd?: string;
}

export type SpawnEnd =
  /** The process was reaped and both pipes are closed; `usage` when the spawner measured it at the end (wait4). */
  | { kind: "exited"; exitCode: number; usage?: ResourceUsage }
  /** The process can no longer be followed (the launcher died); it has been sent SIGKILL. */
  | { kind: "lost"; reason: string };

export interface SpawnEvents {
  output(stream: "stdout" | "stderr", chunk: Buffer): void;
  /** Once, after the last output of both streams. */
  end(end: SpawnEnd): void;
}

export interface SpawnedProcess {
  readonly pid: number;
  /** Signals the process's group (each process has its own); a no-op once it has ended. */
  signal(signal: "SIGTERM" | "SIGKILL"): void;
  /** Stops reading its pipes, so `end` can come although a descendant that left the group still holds them. */
  stopReading(): void;
}

export interface Spawner {
  /** Resolves once the process runs; a command that cannot be started rejects with a TaskFailure. */
  spawn(request: SpawnRequest, events: SpawnEvents): Promise<SpawnedProcess>;
  close(): Promise<void>;
}

/** The same wording from both spawners for a command that cannot be started. */
export function startFailureReason(errnoCode: string | undefined, message: string): string {
  return errnoCode === "ENOENT" ? "not found" : errnoCode === "EACCES" ? "not executable" : `could not be started: ${message}`;
}
