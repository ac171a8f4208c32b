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
  };
  return { env, mounts, inputsDir, outputsDir };
}
