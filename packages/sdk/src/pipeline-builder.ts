import { parsePipeline, validatePipeline, type EnvValue, type Issue, type ValidationResult } from "cairn/spec";
import { mergeExecutionProfile, type PipelineExecutionProfileOptions } from "./execution-profile.js";
import type { PipelineJson } from "./pipeline-json.js";
import type { CompleteTask } from "./task-builder.js";
import type { EnvSource } from "./value-from.js";

/** One problem the validator found: a JSON path (`tasks[2].depends_on[0].id`) and a reason. */
export type ValidationIssue = Issue;

/** A pipeline env value: a literal, or a secret or run parameter resolved when the run starts. */
export type EnvInput = string | number | boolean | EnvSource;

/**
 * Builds a pipeline definition. Immutable: each method returns a new builder. Methods
 * taking a map (`env`, `executionProfile`) add to what was set; those taking a list
 * (`tasks`, `archives`) append.
 */
export class PipelineBuilder {
  readonly #json: PipelineJson;

  /** Use `pipeline(id)`. */
  constructor(json: PipelineJson) {
    this.#json = json;
  }

  get id(): string {
    return this.#json.id;
  }

  /** @example pipeline("nightly").description("Rebuilds the image and reruns the analysis") */
  description(text: string): PipelineBuilder {
    return this.with({ description: text });
  }

  /**
   * Variables every task can read with `fromEnv(name)`.
   * @example pipeline("p").env({ REGION: "eu", TOKEN: secret("api-token"), DAY: fromParam("day") })
   */
  env(variables: Readonly<Record<string, EnvInput>>): PipelineBuilder {
    const added = Object.entries(variables).map(([name, value]): [string, EnvValue] => [name, typeof value === "object" ? { value_from: { ...value } } : value]);
    return this.with({ env: { ...this.#json.env, ...Object.fromEntries(added) } });
  }

  /**
   * Defaults for every task's profile; a task's own profile wins field by field.
   * `maxConcurrentRuns` and `pendingTimeout` are the pipeline's own (its queue of runs).
   * @example pipeline("p").executionProfile({ maxRetries: 2, retryPolicy: "exponential_backoff", maxExecTime: 600 })
   * @example pipeline("p").executionProfile({ maxConcurrentRuns: 1, pendingTimeout: 600 })
   */
  executionProfile(options: PipelineExecutionProfileOptions): PipelineBuilder {
    return this.with({ execution_profile: mergeExecutionProfile(this.#json.execution_profile, options) });
  }

  /** Archives (by id) that keep the run's results. @example pipeline("p").archives(["lab-archive"]) */
  archives(archiveIds: readonly string[]): PipelineBuilder {
    return this.with({ archives: [...(this.#json.archives ?? []), ...archiveIds] });
  }

  /**
   * Adds tasks; each must have its type's required fields set (a compile error otherwise).
   * @example pipeline("p").tasks(task("hello", "function").runtime("bash").code("echo hello"))
   */
  tasks(...tasks: CompleteTask[]): PipelineBuilder {
    return this.with({ tasks: [...this.#json.tasks, ...tasks.map((t) => t.toJSON())] });
  }

  /**
   * Checks the definition with Cairn's own validator: the dependency graph, `value_from`
   * references, installers and everything else the types cannot express. Never throws.
   * @example const result = pipeline("p").tasks(hello).validate(); if (!result.ok) console.error(result.issues)
   */
  validate(): ValidationResult {
    return validatePipeline(this.#json);
  }

  /**
   * The definition exactly as the API accepts it, once Cairn's validator has passed it
   * (Gofer's `Finish()`). Defaults are left for the server to fill in.
   * @throws ValidationError (code `invalid_input`) listing every problem with its path.
   * @example const json = pipeline("p").tasks(hello).build()
   */
  build(): PipelineJson {
    parsePipeline(this.#json, `pipeline '${this.#json.id}'`);
    return structuredClone(this.#json);
  }

  /**
   * `build()`, so `JSON.stringify(builder)` writes checked JSON or throws: an invalid
   * pipeline never leaves the SDK looking like a finished one.
   * @example await fetch(url, { method: "POST", body: JSON.stringify(pipeline("p").tasks(hello)) })
   */
  toJSON(): PipelineJson {
    return this.build();
  }

  private with(patch: Partial<PipelineJson>): PipelineBuilder {
    return new PipelineBuilder({ ...this.#json, ...patch });
  }
}

/**
 * Starts a pipeline; ids are letters, digits, '.', '_' and '-'.
 * @example
 * const json = pipeline("hello")
 *   .description("Says hello")
 *   .tasks(task("greet", "container_run").image("docker.io/library/busybox:1.36").command(["echo", "hello"]))
 *   .build();
 */
export function pipeline(id: string): PipelineBuilder {
  return new PipelineBuilder({ id, tasks: [] });
}
