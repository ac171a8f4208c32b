import { TaskFailure } from "../errors.js";
import type { EnvValue, Pipeline, Task, ValueFrom } from "../spec/types.js";

/**
 * Finds a secret by name for a run of the given group and pipeline (the local CLI has one
 * group, "local"); undefined when there is none by that name. Throws when the pipeline
 * may not read it (secrets/secret-access.ts).
 */
export type SecretLookup = (name: string, groupId: string, pipelineId: string) => Promise<string | undefined>;

export interface InputSources {
  pipeline: Pipeline;
  params: Record<string, string>;
  /** Outputs of tasks that have finished, by task id (the latest attempt's). */
  taskOutputs: ReadonlyMap<string, Record<string, string>>;
  secrets: SecretLookup;
  groupId: string;
}

/**
 * Resolves a task's inputs when it starts. A missing reference fails the task with a
 * message naming the input and what it referred to; such a failure is not retried,
 * since the next attempt would find the same nothing.
 */
export async function resolveInputs(task: Task, sources: InputSources): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const [name, spec] of Object.entries(task.input)) {
    if (spec.value_from !== undefined) {
      resolved[name] = await resolveValueFrom(spec.value_from, sources, `input '${name}'`);
    } else {
      resolved[name] = spec.value === undefined || spec.value === null ? "" : String(spec.value);
    }
  }
  return resolved;
}

async function resolveValueFrom(from: ValueFrom, sources: InputSources, subject: string): Promise<string> {
  if ("env" in from) {
    const value = sources.pipeline.env[from.env];
    if (value === undefined) throw missing(`${subject}: the pipeline env has no variable '${from.env}'`);
    return resolveEnvValue(value, sources, `${subject} (pipeline env '${from.env}')`);
  }
  if ("params" in from) {
    const value = sources.params[from.params];
    if (value === undefined) throw missing(`${subject}: the run parameter '${from.params}' was not given`);
    return value;
  }
  if ("task_output" in from) {
    const { task_id, output_id } = from.task_output;
    const outputs = sources.taskOutputs.get(task_id);
    if (outputs === undefined) throw missing(`${subject}: task '${task_id}' has not produced outputs (it did not succeed)`);
    const value = outputs[output_id];
    if (value === undefined) throw missing(`${subject}: task '${task_id}' did not produce output '${output_id}'`);
    return value;
  }
  const value = await sources.secrets(from.secret, sources.groupId, sources.pipeline.id);
  if (value === undefined) throw missing(`${subject}: there is no secret named '${from.secret}'`);
  return value;
}

export function resolveEnvValue(value: EnvValue, sources: InputSources, subject: string): Promise<string> | string {
  if (typeof value === "object") return resolveValueFrom(value.value_from, sources, subject);
  return String(value);
}

function missing(message: string): TaskFailure {
  return new TaskFailure(message, { retryable: false });
}
