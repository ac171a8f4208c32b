import type { RuntimeKind } from "../spec/types.js";
import type { Mount } from "../runtimes/runtime.js";
import type { TaskExecutionContext } from "./task-handler.js";

/**
 * What every process-based task sees, whatever its type: its inputs as env vars, and
 * where its input and output files are. In a container those are fixed paths under
 * /cairn, mounted from the attempt's directory; on the host they are the real paths.
 */

export interface ProcessEnvironment {
  env: Record<string, string>;
  mounts: Mount[];
  /** Where the process finds its input files (a container path or a host path). */
  inputsDir: string;
  /** Where the process writes its output files. */
  outputsDir: string;
  /**
   * Set for a container with an API token: it shares the host's network, so the URL the
   * server listens on (often loopback) means the same inside as outside.
   */
  network?: "host";
}

export const CONTAINER_INPUTS_DIR = "/cairn/inputs";
export const CONTAINER_OUTPUTS_DIR = "/cairn/outputs";

export function processEnvironment(ctx: TaskExecutionContext, kind: RuntimeKind): ProcessEnvironment {
  const inContainer = kind === "container";
  const inputsDir = inContainer ? CONTAINER_INPUTS_DIR : ctx.paths.inputs;
  const outputsDir = inContainer ? CONTAINER_OUTPUTS_DIR : ctx.paths.outputs;
  const mounts: Mount[] = inContainer
    ? [
        { hostPath: ctx.paths.inputs, containerPath: CONTAINER_INPUTS_DIR, readOnly: true },
        { hostPath: ctx.paths.outputs, containerPath: CONTAINER_OUTPUTS_DIR, readOnly: false },
      ]
    : [];
  const env: Record<string, string> = {
    ...ctx.inputs,
    // After the inputs, so an input cannot hide where the task's files are.
    CAIRN_INPUTS_DIR: inputsDir,
    CAIRN_OUTPUTS_DIR: outputsDir,
    CAIRN_RUN_UUID: ctx.runUuid,
    CAIRN_TASK_ID: ctx.task.id,
    CAIRN_EXECUTION_UUID: ctx.executionUuid,
    CAIRN_ATTEMPT: String(ctx.attempt),
    // Env only, never an input file: the token must not outlive the attempt on disk.
    ...(ctx.api ? { CAIRN_API_URL: ctx.api.url, CAIRN_API_TOKEN: ctx.api.token } : {}),
  };
  return { env, mounts, inputsDir, outputsDir, ...(inContainer && ctx.api ? { network: "host" as const } : {}) };
}
