import type { TaskType } from "cairn/spec";
import { ContainerRunTaskBuilder } from "./container-run-task.js";
import { FunctionTaskBuilder } from "./function-task.js";
import { ImageBuildTaskBuilder } from "./image-build-task.js";
import { RequestTaskBuilder } from "./request-task.js";
import { TapisActorTaskBuilder } from "./tapis-actor-task.js";
import { TapisJobTaskBuilder } from "./tapis-job-task.js";

/** The builder each task type gets, with all its required fields still unset. */
export interface TaskBuilderByType {
  container_run: ContainerRunTaskBuilder;
  function: FunctionTaskBuilder;
  request: RequestTaskBuilder;
  image_build: ImageBuildTaskBuilder;
  tapis_job: TapisJobTaskBuilder;
  tapis_actor: TapisActorTaskBuilder;
}

const BUILDERS = {
  container_run: ContainerRunTaskBuilder,
  function: FunctionTaskBuilder,
  request: RequestTaskBuilder,
  image_build: ImageBuildTaskBuilder,
  tapis_job: TapisJobTaskBuilder,
  tapis_actor: TapisActorTaskBuilder,
} as const satisfies Record<TaskType, unknown>;

/**
 * Starts a task; the type picks the builder, so only that type's fields can be set.
 * @example task("greet", "container_run").image("docker.io/library/busybox:1.36").command(["echo", "hello"])
 */
export function task<Type extends TaskType>(id: string, type: Type): TaskBuilderByType[Type] {
  const Builder = (Object.hasOwn(BUILDERS, type) ? BUILDERS[type] : undefined) as
    | (new (json: { id: string; type: Type }) => TaskBuilderByType[Type])
    | undefined;
  // For callers without the types (plain JavaScript, JSON-driven code).
  if (Builder === undefined) throw new TypeError(`unknown task type '${String(type)}'; known types: ${Object.keys(BUILDERS).join(", ")}`);
  // The type's required fields are missing until set; the builder's `Unset` parameter tracks them.
  return new Builder({ id, type });
}
