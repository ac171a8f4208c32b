import type { ExecutionId, RunId } from "../ids.js";
import type { ExecutionProfile, Task, TaskType } from "../spec/types.js";
import type { LogStream } from "../store/store.js";
import type { ResourceUsage, Runtime, SeenLines } from "../runtimes/runtime.js";
import type { CairnConfig } from "../config.js";
import type { ImageEngine } from "../images/image-engine.js";
import type { Directives } from "../spec/directives.js";
import type { NewImage } from "../store/image-catalog.js";
import type { EgressPolicy } from "../net/egress-policy.js";
import type { GroupImages } from "../images/image-access.js";
import type { GroupActors } from "../actors/group-actors.js";

/** Host paths of one attempt's working directory. */
export interface AttemptPaths {
  root: string;
  /** Holds one file per resolved input, named after the input. Mounted read-only at /cairn/inputs. */
  inputs: string;
  /** The task writes its outputs here, one file per output. Mounted at /cairn/outputs. */
  outputs: string;
  /** The task's attachments (shared by its attempts). Mounted read-only at /inbox. */
  inbox: string;
  /** Whatever the attempt writes here is kept as its results (DATA_DIR/results/…). Mounted at /outbox. */
  outbox: string;
}

export interface Runtimes {
  /** Started lazily: a pipeline with no container task never touches the engine. */
  container(): Promise<Runtime>;
  host: Runtime;
  /** The container engine's image side (build, pull, push), for image_build tasks; started lazily like `container`. */
  images?(): Promise<ImageEngine>;
}

/** What a handler knows of an image it built, pulled or ran. */
export type ObservedImage = Omit<NewImage, "groupId" | "recordedAt" | "runUuid" | "taskId">;

/** An identity's credentials, opened for one attempt; never logged (the handler masks them). */
export interface IdentityCredentials {
  type: string;
  host: string | null;
  credentials: Record<string, string>;
}

export interface TaskExecutionContext<T extends Task = Task> {
  runUuid: RunId;
  executionUuid: ExecutionId;
  attempt: number;
  task: T;
  profile: ExecutionProfile;
  /** Resolved input values, by input name. Also written as files under paths.inputs. */
  inputs: Record<string, string>;
  paths: AttemptPaths;
  runtimes: Runtimes;
  config: CairnConfig;
  /** Every connection the handler opens for the task (request, git clone) goes through it. */
  egress: EgressPolicy;
  log(stream: LogStream, line: string): void;
  /**
   * Records where the attempt runs. Call it right after starting and before waiting.
   * With `reattachable: false` (the runtime can never follow the process after a
   * restart) the handle is only for people to read: it is written with the next state
   * change, and the promise does not wait for that.
   */
  started(handle: string, options?: { reattachable?: boolean }): Promise<void>;
  /** Records what the attempt's process used. Call it once the process has ended, whatever the outcome. */
  recordUsage(usage: ResourceUsage): Promise<void>;
  /** Records the exact image (`sha256:…` id) the attempt ran in or built; written with the attempt's end. */
  usedImage?(digest: string): void;
  /** Adds an image to the run's group's image catalog (the run and task are filled in). */
  recordImage?(image: ObservedImage): Promise<void>;
  /**
   * The run's group's view of the image catalog: which images it may run (its own, free
   * ones, shared ones). Images a build makes are named in this group's namespace
   * (images/image-namespace.ts). Without it (a handler tested alone), the group is "local".
   */
  images?: GroupImages;
  /** Set by a server: the actors of the run's group, for tapis_actor tasks. */
  actors?: GroupActors;
  /** Aborted on cancel or timeout; the handler stops its process and rethrows. */
  signal: AbortSignal;
  /** Set when the task asked for an API token (inject_api_token) and the engine serves an API. */
  api?: TaskApiAccess;
  /** The run's directives (`custom_tag`, `no_push`, ...). */
  directives?: Directives;
  pipelineId?: string;
  /**
   * Set by a server: opens an identity of the user who started the run; undefined when
   * there is none by that uuid or it belongs to someone else.
   */
  identity?(uuid: string): Promise<IdentityCredentials | undefined>;
  /**
   * Set by a server: the `dockerhub` or `registry` identity of the user who started the
   * run whose registry host is this one (`host[:port]`), to pull a task's image with.
   */
  registryIdentity?(registry: string): Promise<IdentityCredentials | undefined>;
  /**
   * Set when `resume` follows an attempt started before a restart: this many lines of each
   * stream are stored already, and the handle `started` recorded (null if none was).
   */
  resumeFrom?: { seen: SeenLines; handle?: string | null };
  /** The run's group: what a task may name (apps, systems) is looked up in it. */
  groupId?: string;
}

export interface TaskApiAccess {
  /** The API's base URL, e.g. http://127.0.0.1:8080/v3/workflows. */
  url: string;
  token: string;
}

export interface TaskOutcome {
  exitCode?: number;
  /** Outputs the handler produced itself (e.g. a request's status and body). Files in paths.outputs are added by the engine. */
  outputs?: Record<string, string>;
  /**
   * The attempt's process left nothing running that could still write to its folders
   * (ProcessExit.leftNothingRunning): the engine may hand folders it left empty to a later
   * attempt of the run.
   */
  leftNothingRunning?: boolean;
}

/**
 * One per task type. `run` resolves on success and throws a TaskFailure (with
 * `retryable` as data) on failure. `resume` follows an attempt started before a
 * restart; it resolves undefined when it cannot, and the engine retries.
 */
export interface TaskHandler<T extends Task = Task> {
  readonly type: TaskType;
  run(ctx: TaskExecutionContext<T>): Promise<TaskOutcome>;
  resume?(ctx: TaskExecutionContext<T>): Promise<TaskOutcome | undefined>;
  /**
   * For the task cache's key, before the task runs: the id (`sha256:…`) of the image
   * `run` will run it in, pulled first as the task's pull_policy says; undefined when it
   * cannot be known before (the image is only in the image cache). Absent for types that
   * run no image; a host process answers null.
   */
  imageId?(ctx: TaskExecutionContext<T>): Promise<string | null | undefined>;
}
