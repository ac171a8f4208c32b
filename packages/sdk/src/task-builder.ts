import type { Condition, InputType, TaskOutputSpec } from "cairn/spec";
import { mergeExecutionProfile, type ExecutionProfileOptions } from "./execution-profile.js";
import type { TaskJson } from "./pipeline-json.js";
import { taskIdOf, type ForEachSource, type TaskRef, type ValueSource } from "./value-from.js";

/** An input with a literal value. */
export interface LiteralInput {
  type: InputType;
  value: string | number | boolean | null;
  description?: string;
}

/** How an input taken from elsewhere is typed; `type` defaults to "string". */
export interface InputFromOptions {
  type?: InputType;
  description?: string;
}

/** The fields every task type has. */
type CommonTaskJson = Pick<TaskJson, "description" | "depends_on" | "conditions" | "for_each" | "execution_profile" | "input" | "output">;

/** A task with every required field set: what `pipeline().tasks()` takes. */
export interface CompleteTask {
  readonly id: string;
  readonly unsetRequiredFields: never;
  toJSON(): TaskJson;
}

/**
 * What every task builder can do. Builders are immutable: each method returns a new
 * builder, so one can be a template for several tasks.
 *
 * `Unset` names the type's required fields not set yet (`"image"` on a fresh
 * container_run builder). The setter of each removes its name, and `pipeline().tasks()`
 * and `toJSON()` accept only builders where none is left, so a missing image is a
 * compile error rather than a rejected submission.
 */
export abstract class TaskBuilder<Json extends TaskJson, Unset extends string> {
  /** Type-level only: the required fields still to set. Never has a value at run time. */
  declare readonly unsetRequiredFields: Unset;
  readonly #json: Json;

  /** Use `task(id, type)`; the constructor is for the builders themselves. */
  constructor(json: Json) {
    this.#json = json;
  }

  get id(): string {
    return this.#json.id;
  }

  get type(): Json["type"] {
    return this.#json.type;
  }

  /** @example task("build", "image_build").description("Builds the analysis image") */
  description(text: string): this {
    return this.withCommon({ description: text });
  }

  /**
   * Runs after `task`; with `canFail`, also when `task` fails. Naming a task twice keeps the last options.
   * @example task("report", "container_run").dependsOn("fetch").dependsOn(lint, { canFail: true })
   */
  dependsOn(task: TaskRef, options: { canFail?: boolean } = {}): this {
    const id = taskIdOf(task);
    const dependency = { id, can_fail: options.canFail ?? false };
    const current = this.#json.depends_on ?? [];
    const replaced = current.some((d) => d.id === id);
    return this.withCommon({ depends_on: replaced ? current.map((d) => (d.id === id ? dependency : d)) : [...current, dependency] });
  }

  /**
   * Tapis conditions: expressions that must all hold, once the dependencies are done, for
   * the task to run; otherwise it is skipped ("conditions not met"), which does not fail
   * the run. Adds to the conditions already set. A task_output operand must name an ancestor.
   * @example
   * task("deploy", "container_run")
   *   .dependsOn("test")
   *   .conditions(
   *     { eq: [{ task_output: { task_id: "test", output_id: "verdict" } }, "pass"] },
   *     { or: [{ eq: [{ args: "target" }, "prod"] }, { not: [{ eq: [{ env: "DRY_RUN" }, true] }] }] },
   *   )
   */
  conditions(...expressions: Condition[]): this {
    return this.withCommon({ conditions: [...(this.#json.conditions ?? []), ...structuredClone(expressions)] });
  }

  /**
   * Fan-out: runs the task once per item of a list (at most 10,000), each item as
   * `TASK[INDEX]` with the inputs ITEM and ITEM_INDEX, retried on its own; the task's
   * outputs become JSON arrays in item order. The list is written here, or read when the
   * task is ready from a parameter, an env value or an ancestor's output holding a JSON array.
   * @example
   * task("measure", "container_run").forEach(["alpha", "beta"], { maxParallel: 2 })
   * task("measure", "container_run").dependsOn("list").forEach(taskOutput("list", "samples"))
   */
  forEach(items: readonly unknown[] | ForEachSource, options: { maxParallel?: number } = {}): this {
    const source = Array.isArray(items) ? { value: structuredClone([...items]) } : { value_from: { ...(items as ForEachSource) } };
    return this.withCommon({ for_each: { ...source, ...(options.maxParallel === undefined ? {} : { max_parallel: options.maxParallel }) } as TaskJson["for_each"] });
  }

  /**
   * An input with a literal value; the task sees it as the environment variable `name`.
   * @example task("run", "container_run").input("THRESHOLD", { type: "number", value: 0.5 })
   */
  input(name: string, input: LiteralInput): this {
    const spec = { type: input.type, value: input.value, ...(input.description === undefined ? {} : { description: input.description }) };
    return this.withCommon({ input: { ...this.#json.input, [name]: spec } });
  }

  /**
   * An input whose value comes from the pipeline env, a run parameter, a secret or an earlier task's output.
   * @example task("shout", "container_run").dependsOn("greet").inputFrom("MESSAGE", taskOutput("greet", "message"))
   */
  inputFrom(name: string, source: ValueSource, options: InputFromOptions = {}): this {
    const spec = { type: options.type ?? "string", value_from: { ...source }, ...(options.description === undefined ? {} : { description: options.description }) };
    return this.withCommon({ input: { ...this.#json.input, [name]: spec } });
  }

  /**
   * An output the task writes (a file of that name in its output directory).
   * @example task("greet", "container_run").output("message", { type: "string" })
   */
  output(name: string, output: TaskOutputSpec): this {
    return this.withCommon({ output: { ...this.#json.output, [name]: { ...output } } });
  }

  /**
   * Retries, time limit and where the task runs; overrides the pipeline's profile field by field.
   * @example task("fetch", "request").executionProfile({ maxRetries: 3, retryPolicy: "fixed", retryDelay: 5 })
   */
  executionProfile(options: ExecutionProfileOptions): this {
    return this.withCommon({ execution_profile: mergeExecutionProfile(this.#json.execution_profile, options) });
  }

  /** The task definition as the API accepts it. Only on builders whose required fields are all set. */
  toJSON(this: TaskBuilder<Json, never>): Json {
    return structuredClone(this.#json);
  }

  /** The definition so far, for setters that add to a field. */
  protected get draft(): Readonly<Json> {
    return this.#json;
  }

  /** A copy of this builder, of the same class, with `patch` applied. */
  protected with(patch: Partial<Json>): this {
    const Builder = this.constructor as new (json: Json) => this;
    return new Builder({ ...this.#json, ...patch });
  }

  /**
   * `with`, for the setter of a required field: returns the same kind of builder with
   * that field gone from `Unset`, a change the compiler cannot follow on its own.
   */
  protected withRequired<Next>(patch: Partial<Json>): Next {
    return this.with(patch) as unknown as Next;
  }

  private withCommon(patch: Partial<CommonTaskJson>): this {
    // Every member of TaskJson has the common fields, so the patch fits whichever this is.
    return this.with(patch as Partial<Json>);
  }
}
