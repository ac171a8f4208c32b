/**
 * The JSON the builders emit: pipeline and task definitions as submitted to the API
 * (shared/reference/tapis-workflows.txt). Each type is Cairn's validated spec type with
 * the fields the server fills in with defaults made optional, so a change to the spec
 * changes these types too; a few fields are narrowed where the spec only checks at
 * run time (function runtimes).
 */
import type {
  ContainerRunTask,
  ExecutionProfileSpec,
  FunctionTask,
  ImageBuildTask,
  InlineCredentials,
  Pipeline,
  RequestTask,
  TapisActorTask,
  TapisJobTask,
} from "cairn/spec";

export type {
  ComparisonOperator,
  Condition,
  ConditionOperand,
  ConditionValue,
  LogicalOperator,
  EnvValue,
  ExecutionProfileSpec,
  FunctionInstaller,
  HttpMethod,
  InputType,
  RetryPolicy,
  RuntimeKind,
  TaskDependency,
  TaskInputSpec,
  TaskOutputSpec,
  TaskType,
  ValueFrom,
} from "cairn/spec";

/** Flattens intersections so editors show one object type. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** `T` with the fields the server defaults left optional. */
type Submitted<T, Defaulted extends keyof T> = Simplify<Omit<T, Defaulted> & Partial<Pick<T, Defaulted>>>;

/** Every task type defaults these to empty. */
type TaskDefaults = "depends_on" | "execution_profile" | "input" | "output";

export type ContainerRunTaskJson = Submitted<ContainerRunTask, TaskDefaults | "env" | "inject_api_token">;

/** The runtimes Cairn's validator accepts: python3, python3.N, node, nodeN, bash. */
export type FunctionRuntime = "python3" | `python3.${number}` | "node" | `node${number}` | "bash";

export type FunctionTaskJson = Simplify<Omit<Submitted<FunctionTask, TaskDefaults | "packages" | "inject_api_token">, "runtime"> & { runtime: FunctionRuntime }>;

/** `protocol` is inferred from the url and `http_method` defaults to get. */
export type RequestTaskJson = Submitted<RequestTask, TaskDefaults | "protocol" | "http_method" | "headers" | "query_params">;

export type RequestAuth = NonNullable<RequestTask["auth"]>;

/** Builders, contexts and destinations are the spec's own types: the validator checks them field by field. */
export type { ImageBuilderName, ImageBuildContext, ImageBuildDestination } from "cairn/spec";

/** Credentials given inline instead of through an identity. */
export type RegistryCredentials = InlineCredentials;

export type ImageBuildTaskJson = Submitted<ImageBuildTask, TaskDefaults>;

export type TapisJobTaskJson = Submitted<TapisJobTask, TaskDefaults>;

export type TapisActorTaskJson = Submitted<TapisActorTask, TaskDefaults>;

export type TaskJson = ContainerRunTaskJson | FunctionTaskJson | RequestTaskJson | ImageBuildTaskJson | TapisJobTaskJson | TapisActorTaskJson;

export type PipelineJson = Simplify<
  Omit<Submitted<Pipeline, "env" | "execution_profile" | "archives">, "tasks"> & { tasks: TaskJson[] }
>;
