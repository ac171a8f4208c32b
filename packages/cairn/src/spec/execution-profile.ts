import { DEFAULT_EXECUTION_PROFILE, type ExecutionProfile, type ExecutionProfileSpec, type Pipeline, type PipelineExecutionProfileSpec, type Task } from "./types.js";

/**
 * The profile a task runs with: each field from the task if set, else from the
 * pipeline (Tapis: tasks inherit the pipeline's profile field by field), else the default.
 */
export function resolveExecutionProfile(pipeline: Pick<Pipeline, "execution_profile">, task: Pick<Task, "execution_profile">): ExecutionProfile {
  // The fields about runs as a whole (max_concurrent_runs, pending_timeout) are no task's.
  const { max_concurrent_runs: _runs, pending_timeout: _timeout, ...inherited } = pipeline.execution_profile as PipelineExecutionProfileSpec;
  return { ...DEFAULT_EXECUTION_PROFILE, ...definedFields(inherited), ...definedFields(task.execution_profile) };
}

function definedFields(spec: ExecutionProfileSpec): ExecutionProfileSpec {
  return Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
}

/** Whether any of the pipeline's tasks runs as a process on the server's host. */
export function usesHostRuntime(pipeline: Pick<Pipeline, "execution_profile" | "tasks">): boolean {
  return pipeline.tasks.some((task) => resolveExecutionProfile(pipeline, task).runtime === "host");
}
