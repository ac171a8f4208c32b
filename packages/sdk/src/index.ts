/**
 * Cairn's pipeline SDK: builders that write pipeline definitions as the JSON the API
 * accepts, with compile errors for shapes the types can rule out and Cairn's own
 * validator for the rest (`validate()`; `build()` and `toJSON()` throw ValidationError).
 */
export { pipeline, type PipelineBuilder, type EnvInput } from "./pipeline-builder.js";
export { task, type TaskBuilderByType } from "./task.js";
export {
  fromEnv,
  fromParam,
  secret,
  taskOutput,
  type EnvRef,
  type EnvSource,
  type ForEachSource,
  type ParamRef,
  type SecretRef,
  type TaskOutputRef,
  type TaskRef,
  type ValueSource,
} from "./value-from.js";
export type { TaskBuilder, CompleteTask, LiteralInput, InputFromOptions } from "./task-builder.js";
export type { ContainerRunTaskBuilder, ContainerExecutionProfileOptions, MemorySize } from "./container-run-task.js";
export type { FunctionTaskBuilder } from "./function-task.js";
export type { RequestTaskBuilder, HttpUrl } from "./request-task.js";
export type { ImageBuildTaskBuilder } from "./image-build-task.js";
export type { TapisJobTaskBuilder } from "./tapis-job-task.js";
export type { TapisActorTaskBuilder } from "./tapis-actor-task.js";
export type { ExecutionProfileOptions, PipelineExecutionProfileOptions } from "./execution-profile.js";
export type * from "./pipeline-json.js";
export { ValidationError, type ValidationResult } from "cairn/spec";
export type { ValidationIssue } from "./pipeline-builder.js";
