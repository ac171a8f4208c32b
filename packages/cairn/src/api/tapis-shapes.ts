import { createHash } from "node:crypto";
import { resolveExecutionProfile } from "../spec/execution-profile.js";
import type { ExecutionProfile, ExecutionProfileSpec } from "../spec/types.js";

/**
 * Pipelines and tasks in the shape of tapis-workflows.txt's examples, for clients written
 * against Tapis: every documented field present (`null` when unset), the execution
 * profile's documented fields also flattened onto the object, and a `uuid` per task.
 * What Cairn stores and answers besides is kept, so these are supersets of the
 * definitions as submitted and no client of Cairn's own shape breaks.
 */

/** The execution profile fields the Tapis examples show on pipelines and tasks. */
const FLATTENED_PROFILE_FIELDS = ["invocation_mode", "max_exec_time", "max_retries", "retry_policy"] as const;

/** Fields of a task in the Tapis example that a Cairn task may leave out, with the value Tapis shows then. */
const DOCUMENTED_TASK_FIELDS: Record<string, unknown> = {
  cache: false,
  depends_on: [],
  description: null,
  input: null,
  output: null,
  poll: null,
  builder: null,
  context: null,
  destination: null,
  auth: null,
  data: null,
  headers: null,
  http_method: null,
  protocol: null,
  query_params: null,
  url: null,
  image: null,
  tapis_job_def: null,
  tapis_actor_id: null,
};

type Definition = Record<string, unknown> & { execution_profile?: ExecutionProfileSpec };

/** The pipeline's own documented profile fields, resolved with Cairn's defaults. */
export function flattenedPipelineProfile(definition: Definition): Record<string, unknown> {
  return pick(resolveExecutionProfile({ execution_profile: definition.execution_profile ?? {} }, { execution_profile: {} }));
}

/**
 * A task as Tapis shows it: the documented fields, its definition over them, the profile
 * it runs with (inherited field by field from the pipeline) flattened, and its uuid.
 */
export function tapisTask(pipeline: Definition, pipelineUuid: string, task: Definition): Record<string, unknown> {
  const profile = resolveExecutionProfile({ execution_profile: pipeline.execution_profile ?? {} }, { execution_profile: task.execution_profile ?? {} });
  return {
    ...DOCUMENTED_TASK_FIELDS,
    ...pick(profile),
    ...withoutUndefined(task),
    pipeline: pipelineUuid,
    uuid: taskUuid(pipelineUuid, String(task.id)),
  };
}

/**
 * Cairn stores a task inside its pipeline's definition, with no uuid of its own; this one
 * is a name-based UUID (RFC 9562 version 5) of the pipeline's uuid and the task's id, so
 * it stays the same across reads and changes to the task, and differs between pipelines.
 */
export function taskUuid(pipelineUuid: string, taskId: string): string {
  const namespace = Buffer.from(pipelineUuid.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(namespace).update(taskId, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function pick(profile: ExecutionProfile): Record<string, unknown> {
  return Object.fromEntries(FLATTENED_PROFILE_FIELDS.map((field) => [field, profile[field] ?? null]));
}

function withoutUndefined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}
