/**
 * Where an input or env value comes from at run time (tapis-workflows.txt, "ValueFrom
 * Object"). Each helper returns its own narrow type so that places taking only some
 * sources (a pipeline's `env` takes secrets and params) reject the others at compile time.
 */

export interface EnvRef {
  env: string;
}
export interface ParamRef {
  params: string;
}
export interface SecretRef {
  secret: string;
}
export interface TaskOutputRef {
  task_output: { task_id: string; output_id: string };
}

type SourceName = "env" | "params" | "secret" | "task_output";

/**
 * `T` with the other sources' keys forbidden. TypeScript's excess-property check lets an
 * object literal carry keys of other union members, so `{ env: "A", params: "b" }` would
 * pass a plain union; the validator needs exactly one source.
 */
type Only<T, Names extends PropertyKey = SourceName> = T & { [K in Exclude<Names, keyof T>]?: never };

/** Where a task input's value comes from: exactly one of the four sources. */
export type ValueSource = Only<EnvRef> | Only<ParamRef> | Only<SecretRef> | Only<TaskOutputRef>;

/** The sources a pipeline env value may use: a secret or a run parameter. */
export type EnvSource = Only<SecretRef, "secret" | "params"> | Only<ParamRef, "secret" | "params">;

/** Where a fan-out's list comes from: a parameter, an env value or an upstream output holding a JSON array (never a secret). */
export type ForEachSource = Only<EnvRef> | Only<ParamRef> | Only<TaskOutputRef>;

/** A task, by id or by its builder. */
export type TaskRef = string | { readonly id: string };

export const taskIdOf = (task: TaskRef): string => (typeof task === "string" ? task : task.id);

/**
 * A variable of the pipeline's `env`.
 * @example task("run", "container_run").inputFrom("REGION", fromEnv("REGION"))
 */
export function fromEnv(name: string): EnvRef {
  return { env: name };
}

/**
 * A parameter given when the run starts (`--param greeting=hello`, or `params` in the event).
 * @example pipeline("p").env({ GREETING: fromParam("greeting") })
 */
export function fromParam(name: string): ParamRef {
  return { params: name };
}

/**
 * A group secret; its value is masked in logs.
 * @example task("fetch", "request").inputFrom("TOKEN", secret("api-token"))
 */
export function secret(name: string): SecretRef {
  return { secret: name };
}

/**
 * An output of an earlier task; the consuming task must depend on it, directly or not.
 * @example task("shout", "container_run").dependsOn(greet).inputFrom("MESSAGE", taskOutput(greet, "message"))
 */
export function taskOutput(task: TaskRef, outputId: string): TaskOutputRef {
  return { task_output: { task_id: taskIdOf(task), output_id: outputId } };
}
