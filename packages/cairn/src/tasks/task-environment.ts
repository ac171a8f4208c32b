import type { RuntimeKind } from "../spec/types.js";
import type { Mount } from "../runtimes/runtime.js";
import type { TaskExecutionContext } from "./task-handler.js";

/**
 * What every process-based task sees, whatever its type: its inputs as env vars, and
 * where its input and output files are. In a container those are fixed paths (/cairn/…,
 * and Kabuto's /inbox and /outbox), mounted from the data directory; on the host they
 * are the real paths.
 */

export interface ProcessEnvironment {
  env: Record<string, string>;
  mounts: Mount[];
  /** Where the process finds its input files (a container path or a host path). */
  inputsDir: string;
  /** Where the process writes its output files. */
  outputsDir: string;
  /** Where it finds its attachments (read-only in a container). */
  inboxDir: string;
  /** Where whatever it writes is kept as its results. */
  outboxDir: string;
  /**
   * Set for a container with an API token: it shares the host's network, so the URL the
   * server listens on (often loopback) means the same inside as outside.
   */
  network?: "host";
}

export const CONTAINER_INPUTS_DIR = "/cairn/inputs";
export const CONTAINER_OUTPUTS_DIR = "/cairn/outputs";
export const CONTAINER_INBOX_DIR = "/inbox";
export const CONTAINER_OUTBOX_DIR = "/outbox";

export function processEnvironment(ctx: TaskExecutionContext, kind: RuntimeKind): ProcessEnvironment {
  const inContainer = kind === "container";
  const inputsDir = inContainer ? CONTAINER_INPUTS_DIR : ctx.paths.inputs;
  const outputsDir = inContainer ? CONTAINER_OUTPUTS_DIR : ctx.paths.outputs;
  const inboxDir = inContainer ? CONTAINER_INBOX_DIR : ctx.paths.inbox;
  const outboxDir = inContainer ? CONTAINER_OUTBOX_DIR : ctx.paths.outbox;
  const mounts: Mount[] = inContainer
    ? [
        { hostPath: ctx.paths.inputs, containerPath: CONTAINER_INPUTS_DIR, readOnly: true },
        { hostPath: ctx.paths.outputs, containerPath: CONTAINER_OUTPUTS_DIR, readOnly: false },
        { hostPath: ctx.paths.inbox, containerPath: CONTAINER_INBOX_DIR, readOnly: true },
        { hostPath: ctx.paths.outbox, containerPath: CONTAINER_OUTBOX_DIR, readOnly: false },
      ]
    : [];
  const env: Record<string, string> = {
    ...ctx.inputs,
    // After the inputs, so an input cannot hide where the task's files are.
    CAIRN_INPUTS_DIR: inputsDir,
    CAIRN_OUTPUTS_DIR: outputsDir,
    CAIRN_INBOX_DIR: inboxDir,
    CAIRN_OUTBOX_DIR: outboxDir,
    CAIRN_RUN_UUID: ctx.runUuid,
    CAIRN_TASK_ID: ctx.task.id,
    CAIRN_EXECUTION_UUID: ctx.executionUuid,
    CAIRN_ATTEMPT: String(ctx.attempt),
    // Env only, never an input file: the token must not outlive the attempt on disk.
    ...(ctx.api ? { CAIRN_API_URL: ctx.api.url, CAIRN_API_TOKEN: ctx.api.token } : {}),
  };
  return { env, mounts, inputsDir, outputsDir, inboxDir, outboxDir, ...(inContainer && ctx.api ? { network: "host" as const } : {}) };
}
