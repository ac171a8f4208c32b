/**
 * The pipeline format (Tapis Workflows' objects, see shared/reference/tapis-workflows.txt).
 * These are the shapes *after* validation: `validatePipeline` returns exactly this,
 * with defaults applied. The zod schemas in `schema.ts` must produce these types.
 */

import type { TapisJobDef } from "./tapis-job-def.js";

export type TaskType = "image_build" | "container_run" | "function" | "request" | "tapis_job" | "tapis_actor";

/** The types whose result is outputs and result files, which the task cache can keep and restore. */
export const CACHEABLE_TASK_TYPES: readonly string[] = ["container_run", "function", "request"];

export type RetryPolicy = "none" | "fixed" | "exponential_backoff";
export type InvocationMode = "async" | "sync";
export type DuplicateSubmissionPolicy = "allow" | "deny" | "terminate";
export type RuntimeKind = "container" | "host";
/** When a task's image is pulled from its registry: when the engine lacks it (default), before every attempt, or never. */
export type PullPolicy = "if_not_present" | "always" | "never";

/** As submitted: every field optional, tasks inherit unset fields from the pipeline. */
export interface ExecutionProfileSpec {
  max_retries?: number;
  retry_policy?: RetryPolicy;
  /** Seconds before the first retry (fixed: every retry; exponential: doubled each time). Cairn extension. */
  retry_delay?: number;
  /** Seconds; the attempt is killed and recorded `timed_out` past it. */
  max_exec_time?: number;
  invocation_mode?: InvocationMode;
  duplicate_submission_policy?: DuplicateSubmissionPolicy;
  /** Where the task's process runs. Cairn extension; default `container`. */
  runtime?: RuntimeKind;
  /** When the image of a container_run or function task is pulled. Cairn extension; default `if_not_present`. */
  pull_policy?: PullPolicy;
  /**
   * Reuse the outputs and results of an earlier execution of the same task with the same
   * definition, inputs, attachments and image (docs/task-cache.md). Cairn extension; default false.
   */
  cache?: boolean;
  /** Seconds a cache entry may be reused after it was made; unset: until evicted or invalidated. Cairn extension. */
  cache_ttl?: number;
}

/** A pipeline's profile: the task fields every task inherits, and those about its runs. */
export interface PipelineExecutionProfileSpec extends ExecutionProfileSpec {
  /** Runs of the pipeline running at once; those past it wait `pending`, first in first out. Unlimited when absent. Cairn extension. */
  max_concurrent_runs?: number;
  /** Seconds a run may wait `pending` before it is cancelled. Waits for ever when absent. Cairn extension. */
  pending_timeout?: number;
}

/** Fully resolved (pipeline defaults, then task overrides, then built-in defaults). */
export interface ExecutionProfile {
  max_retries: number;
  retry_policy: RetryPolicy;
  retry_delay: number;
  max_exec_time: number;
  invocation_mode: InvocationMode;
  duplicate_submission_policy: DuplicateSubmissionPolicy;
  runtime: RuntimeKind;
  pull_policy: PullPolicy;
  cache: boolean;
  /** Undefined: no age limit. */
  cache_ttl?: number;
}

export type ValueFrom =
  | { env: string }
  | { params: string }
  | { task_output: { task_id: string; output_id: string } }
  | { secret: string };

export type InputType = "string" | "number" | "boolean" | "json" | "file" | "tapis_file_input" | "tapis_file_input_array";

export interface TaskInputSpec {
  type: InputType;
  description?: string;
  value?: string | number | boolean | null;
  value_from?: ValueFrom;
}

export interface TaskOutputSpec {
  type: string;
  description?: string;
}

export interface TaskDependency {
  id: string;
  can_fail: boolean;
}

export type ComparisonOperator = "eq" | "ne" | "gt" | "lt" | "ge" | "le";
export type LogicalOperator = "and" | "or" | "xor" | "nand" | "nor" | "xnor";
/** What an operand evaluates to. */
export type ConditionValue = string | number | boolean | null;
/** A literal, an earlier task's output, a run parameter (`args`) or a key of the pipeline env. */
export type ConditionOperand = ConditionValue | { task_output: { task_id: string; output_id: string } } | { args: string } | { env: string };

/** One Tapis condition expression: an object with one operator key (spec/conditions.ts evaluates it). */
export type Condition =
  | { [K in ComparisonOperator]: Record<K, [ConditionOperand, ConditionOperand]> }[ComparisonOperator]
  | { in: [ConditionOperand, ConditionOperand[]] }
  | { and: Condition[] }
  | { or: Condition[] }
  | { xor: Condition[] }
  | { nand: Condition[] }
  | { nor: Condition[] }
  | { xnor: Condition[] }
  /** Written `{"not": expr}` or `{"not": [expr]}`; stored as the one-item list. */
  | { not: [Condition] };

/** Where a fan-out's list comes from: like an input's value_from, without secrets (items are named and shown). */
export type ForEachSource = { env: string } | { params: string } | { task_output: { task_id: string; output_id: string } };

/**
 * Runs the task once per item of a JSON array (spec/for-each.ts). Cairn extension, after
 * Argo's withItems/withParam: the list is written in the pipeline or read when the task
 * is ready from a parameter, an env value or an upstream output holding a JSON array.
 */
export type ForEach = ({ value: unknown[] } | { value_from: ForEachSource }) & {
  /** Items running at once; default the engine's limit (CAIRN_MAX_PARALLEL_TASKS). */
  max_parallel?: number;
};

interface TaskBase {
  id: string;
  type: TaskType;
  description?: string;
  depends_on: TaskDependency[];
  /** Every one must hold for the task to run; otherwise it is skipped ("conditions not met"). */
  conditions?: Condition[];
  /** Runs the task once per item; its outputs become JSON arrays in item order. */
  for_each?: ForEach;
  execution_profile: ExecutionProfileSpec;
  input: Record<string, TaskInputSpec>;
  output: Record<string, TaskOutputSpec>;
}

export interface ContainerRunTask extends TaskBase {
  type: "container_run";
  /** Gives the task CAIRN_API_URL and a CAIRN_API_TOKEN that reads its group's pipelines, runs, logs and results and starts runs, nothing else (default false). */
  inject_api_token: boolean;
  image: string;
  image_tag?: string;
  /** Overrides both ENTRYPOINT and CMD. A string is split like a shell would (no shell is run). */
  command?: string | string[];
  env: Record<string, string>;
  working_dir?: string;
  cpus?: number;
  /** Bytes, or a string like "256m" / "1g". */
  memory?: number | string;
}

export type FunctionRuntime = string; // "python3", "python3.9", "node", "node20", "bash"
export type FunctionInstaller = "pip" | "npm";

export interface FunctionTask extends TaskBase {
  type: "function";
  /** Gives the task CAIRN_API_URL and a CAIRN_API_TOKEN that reads its group's pipelines, runs, logs and results and starts runs, nothing else (default false). */
  inject_api_token: boolean;
  runtime: FunctionRuntime;
  /** Base64-encoded source. */
  code: string;
  packages: string[];
  installer?: FunctionInstaller;
  /** Shell command run before the code (in the same environment). */
  command?: string;
  entrypoint?: string;
}

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete" | "head" | "options";

export interface RequestTask extends TaskBase {
  type: "request";
  protocol: "http" | "https";
  http_method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  query_params: Record<string, string>;
  data?: unknown;
  auth?: { type: "basic"; username: string; password: string } | { type: "bearer"; token: string };
  /** Cairn extension: statuses that count as success; default 200-299. */
  success_status_codes?: number[];
}

/** `kaniko` means the default OCI builder (Podman's); `singularity` needs apptainer on the server. */
export type ImageBuilderName = "podman" | "docker" | "kaniko" | "singularity";

/** Credentials written into the pipeline instead of an identity: a token or a password. */
export type InlineCredentials = { username: string; token: string } | { username: string; password: string } | { username: string; personal_access_token: string };

interface ContextAccess {
  /** Default public; private needs identity_uuid or credentials. */
  visibility?: "public" | "private";
  identity_uuid?: string;
  credentials?: InlineCredentials;
}

/** Where an image build gets its recipe. */
export type ImageBuildContext =
  | (ContextAccess & {
      /** `github`: `account/repo`, resolved against CAIRN_GITHUB_URL; `git`: any http(s) clone URL. */
      type: "github" | "git";
      url: string;
      /** The repository's default branch when unset. */
      branch?: string;
      /** The build context folder inside the repository (default its root). */
      sub_path?: string | null;
      /** The Dockerfile, relative to the context folder (default `Dockerfile`). */
      build_file_path?: string | null;
      /** A Cairn extension: `mercurial` for an hg repository (Kabuto's `repo_url`); git by default. */
      vcs?: "git" | "mercurial";
    })
  | {
      /** A Cairn extension (kabuto-api.txt): the Dockerfile's text and files beside it. */
      type: "inline";
      dockerfile: string;
      /** Path in the context to base64 content. */
      attachments?: Record<string, string>;
      /**
       * Also the files attached to the run for this task (its /inbox: an event's multipart
       * files, or `POST /image`'s attachments), at their paths, under `attachments`.
       */
      include_inbox?: boolean;
    }
  | (ContextAccess & {
      /** Pull this image and retag it: a "build" that copies an image (arvados' `docker pull`). */
      type: "dockerhub" | "registry";
      /** The repository: `account/repo` on Docker Hub, any path on a registry. */
      url: string;
      /** `registry` only: `host[:port]`. */
      host?: string;
      tag?: string;
    });

/** Where the built image goes. */
export type ImageBuildDestination =
  | {
      type: "dockerhub" | "registry";
      url: string;
      /** `registry` only: `host[:port]`. */
      host?: string;
      /** Default `latest`; the custom_tag and commit_destination directives override it. */
      tag?: string;
      identity_uuid?: string;
      credentials?: InlineCredentials;
    }
  | {
      /** Kept in the engine's image store for later tasks of the pipeline; `filename` also saves it as an archive output. */
      type: "local";
      url?: string;
      tag?: string;
      filename?: string;
      /** The layout of the `filename` archive: `oci-archive` (default; Podman) or `docker-archive` (Docker too). */
      archive_format?: "oci-archive" | "docker-archive";
    };

export interface ImageBuildTask extends TaskBase {
  type: "image_build";
  builder: ImageBuilderName;
  /** Reuse cached layers (default true); the nocache directive turns it off for one run. */
  cache?: boolean;
  context: ImageBuildContext;
  destination: ImageBuildDestination;
  /** Cairn extension: build arguments (ARG). Resolved inputs are passed as build arguments too. */
  build_args?: Record<string, string>;
  /** Cairn extension: the stage of a multi-stage Dockerfile to build. */
  target?: string;
}

export interface TapisJobTask extends TaskBase {
  type: "tapis_job";
  /** The Tapis Jobs submit request (spec/tapis-job-def.ts). */
  tapis_job_def: TapisJobDef;
  poll?: boolean;
}

export interface TapisActorTask extends TaskBase {
  type: "tapis_actor";
  /** An actor of the pipeline's group (api/routes/actors.ts). */
  tapis_actor_id: string;
  /** The message; a JSON value other than a string is sent as its JSON text. Absent: the input MSG, else "". */
  tapis_actor_message?: unknown;
  /** Default true: wait for the execution's end and fail with it. */
  poll?: boolean;
}

export type Task = ContainerRunTask | FunctionTask | RequestTask | ImageBuildTask | TapisJobTask | TapisActorTask;

export type EnvValue = string | number | boolean | { value_from: ValueFrom };

/** One declared run parameter: `cairn run --param NAME=VALUE`, the API event's `params`. */
export interface ParamSpec {
  type: "string" | "number" | "boolean" | "json";
  required: boolean;
  default?: string | number | boolean;
  description?: string;
  /** The only values taken. */
  enum?: (string | number | boolean)[];
}

export interface Pipeline {
  id: string;
  description?: string;
  tasks: Task[];
  env: Record<string, EnvValue>;
  execution_profile: PipelineExecutionProfileSpec;
  archives: string[];
  /** The run parameters it takes; absent: any, unchecked (as before they could be declared). */
  params?: Record<string, ParamSpec>;
}

export const DEFAULT_EXECUTION_PROFILE: ExecutionProfile = {
  max_retries: 0,
  retry_policy: "exponential_backoff",
  retry_delay: 1,
  max_exec_time: 3600,
  invocation_mode: "async",
  duplicate_submission_policy: "allow",
  runtime: "container",
  pull_policy: "if_not_present",
  cache: false,
};
