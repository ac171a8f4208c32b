import type { ResourceUsage } from "../resource-usage.js";
import type { RuntimeKind } from "../spec/types.js";

/**
 * Where a task's process runs. Two implementations: the container engine (Docker
 * Engine API, Docker or Podman) and the host (a child process). Task handlers build a
 * ProcessSpec and hand it to one of them; nothing here knows about pipelines.
 */

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ProcessLabels {
  runUuid: string;
  taskId: string;
  executionUuid: string;
  attempt: number;
}

export interface ProcessSpec {
  labels: ProcessLabels;
  /** Container runtime only: a full reference, e.g. `localhost/busybox:test`. */
  image?: string;
  /**
   * argv. For containers it replaces both ENTRYPOINT and CMD when given; when absent
   * the image's own entrypoint and command run. Required for the host runtime.
   */
  command?: string[];
  env: Record<string, string>;
  workingDir?: string;
  /** Container runtime only (the host runtime reads paths from env instead). */
  mounts: Mount[];
  cpus?: number;
  memoryBytes?: number;
  /**
   * Container runtime only. Default "default" (the engine's default network); "host"
   * lets a task reach a Cairn API that listens on the host's loopback.
   */
  network?: "none" | "default" | "host";
}

/** How many lines of each stream are stored already, so a follower after a restart skips exactly those. */
export interface SeenLines {
  stdout: number;
  stderr: number;
}

export type LogSink = (stream: "stdout" | "stderr", line: string, ts: number) => void;

// Defined below the store, which records it; re-exported here for the runtimes that measure it.
export type { ResourceUsage } from "../resource-usage.js";

export interface ProcessExit {
  exitCode: number;
  /** True when the process ended because `kill()` was called. */
  killed: boolean;
  /** Absent when the runtime could not measure it (e.g. the process ended before the first reading). */
  usage?: ResourceUsage;
  /**
   * True when nothing the process started was left running at its end (a host process's
   * group was empty), so nothing can still write to its folders. Unset when unknown.
   */
  leftNothingRunning?: boolean;
}

/** The image a container runs, as the engine described it when the container was made. */
export interface ImageInUse {
  /** `sha256:…`, the image id. */
  id: string;
  /** The reference the task named, and the engine's names for the image. */
  names: string[];
  /** ms since the epoch. */
  createdAt: number;
  architecture: string | null;
  os: string | null;
  sizeBytes: number | null;
}

export interface RunningProcess {
  /** Stable id of the process: the container id, or the host pid. */
  readonly handle: string;
  /** Container runtime only: the exact image it runs, for the image catalog. */
  readonly image?: ImageInUse;
  /** Resolves once the process has exited and all its output has gone to the sink. */
  wait(): Promise<ProcessExit>;
  /** Stops the process (SIGKILL after a short grace period). Idempotent. */
  kill(): Promise<void>;
}

export interface Runtime {
  readonly kind: RuntimeKind;
  /**
   * False when `reattach` never finds a process again (a host process: its pipes die with
   * the server), so a restart has no use for the handle; absent means it can.
   */
  readonly reattaches?: boolean;
  /**
   * Begins, without waiting, what the first `start` would otherwise wait for (the host
   * runtime's launcher), when a run that will need the runtime begins.
   */
  prepare?(): void;
  /**
   * Starts the process; resolves as soon as it runs (not when it ends).
   * Throws CairnError `image_not_found` for a missing image, never hangs on it.
   */
  start(spec: ProcessSpec, onLog: LogSink): Promise<RunningProcess>;
  /**
   * After a restart: finds the process of an execution started earlier (by label,
   * so a crash between start and recording the handle loses nothing) and follows it
   * again. The first `seen` lines of each stream are not sent again. Resolves
   * undefined when the process can't be followed (gone, or a host process whose pipes
   * died with the old server): the engine then retries the attempt.
   */
  reattach(executionUuid: string, onLog: LogSink, options: { seen: SeenLines }): Promise<RunningProcess | undefined>;
  /** Frees what the runtime keeps for a finished execution (e.g. removes the container). */
  release(executionUuid: string): Promise<void>;
  close(): Promise<void>;
}
