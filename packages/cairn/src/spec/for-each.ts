/**
 * Fan-out (`for_each`): which items a task runs over, how each item's run of the task is
 * named and what it is given, and how the items' outputs become the task's. Pure: the
 * engine (engine/fan-out.ts) supplies what a run knows and does the running.
 */
import { CairnError } from "../errors.js";
import type { EnvValue, ForEach, Pipeline, Task, TaskInputSpec } from "./types.js";

/** The most items one task runs over: validation and resolution refuse more. */
export const MAX_FOR_EACH_ITEMS = 10_000;
/** The inputs each item gets, as files and environment variables, besides the task's own. */
export const ITEM_INPUT = "ITEM";
export const ITEM_INDEX_INPUT = "ITEM_INDEX";

/** A for_each list that cannot be read or is not a list of at most MAX_FOR_EACH_ITEMS items. */
export class ForEachError extends CairnError {
  override name = "ForEachError";
  constructor(message: string, readonly path: string) {
    super("invalid_input", `${path}: ${message}`, { details: { path } });
  }
}

/** What a run knows when a fan-out task is ready: the same sources as its inputs, secrets aside. */
export interface ForEachContext {
  pipeline: Pick<Pipeline, "env">;
  params: Readonly<Record<string, string>>;
  /** Outputs of the tasks that succeeded, by task id, as the tasks wrote them. */
  outputs: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** How an item's run of a task is named everywhere (executions, logs, folders): `TASK[INDEX]`. */
export function itemTaskId(taskId: string, index: number): string {
  return `${taskId}[${index}]`;
}

/** The task id and index of an item's id, or undefined for a task's own id (no task id holds `[`). */
export function parseItemTaskId(id: string): { taskId: string; index: number } | undefined {
  const match = /^(.+)\[(0|[1-9]\d*)\]$/.exec(id);
  return match ? { taskId: match[1]!, index: Number(match[2]) } : undefined;
}

/**
 * The task's items. @throws ForEachError naming `path` (e.g. `tasks[2].for_each.value_from`)
 * when the source is missing, is not a JSON array, or has more than MAX_FOR_EACH_ITEMS items.
 */
export function resolveForEachItems(forEach: ForEach, context: ForEachContext, path: string): unknown[] {
  if ("value" in forEach) return checkedList(forEach.value, `${path}.value`, "the list");
  const from = forEach.value_from;
  const at = `${path}.value_from`;
  if ("params" in from) {
    const text = context.params[from.params];
    if (text === undefined || !Object.hasOwn(context.params, from.params)) throw new ForEachError(`the run parameter '${from.params}' was not given`, at);
    return parsedList(text, at, `parameter '${from.params}'`);
  }
  if ("env" in from) {
    if (!Object.hasOwn(context.pipeline.env, from.env)) throw new ForEachError(`the pipeline env has no variable '${from.env}'`, at);
    const value: EnvValue = context.pipeline.env[from.env]!;
    if (typeof value !== "object") {
      if (typeof value !== "string") throw new ForEachError(`env '${from.env}' is ${typeof value} ${JSON.stringify(value)}, not a JSON array`, at);
      return parsedList(value, at, `env '${from.env}'`);
    }
    const source = value.value_from;
    if (!("params" in source)) throw new ForEachError(`env '${from.env}' holds a secret, which for_each cannot read`, at);
    const text = context.params[source.params];
    if (text === undefined || !Object.hasOwn(context.params, source.params)) {
      throw new ForEachError(`env '${from.env}' comes from parameter '${source.params}', which the run does not have`, at);
    }
    return parsedList(text, at, `env '${from.env}' (parameter '${source.params}')`);
  }
  const { task_id: taskId, output_id: outputId } = from.task_output;
  const outputs = context.outputs.get(taskId);
  if (outputs === undefined) throw new ForEachError(`task '${taskId}' did not succeed, so it has no output '${outputId}'`, at);
  const text = outputs[outputId];
  if (text === undefined || !Object.hasOwn(outputs, outputId)) throw new ForEachError(`task '${taskId}' wrote no output '${outputId}'`, at);
  return parsedList(text, at, `output '${outputId}' of task '${taskId}'`);
}

function parsedList(text: string, path: string, what: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ForEachError(`${what} must hold a JSON array, got ${preview(text)} (not JSON)`, path);
  }
  return checkedList(value, path, what);
}

function checkedList(value: unknown, path: string, what: string): unknown[] {
  if (!Array.isArray(value)) throw new ForEachError(`${what} must be a JSON array, got ${value === null ? "null" : typeof value === "object" ? "an object" : typeof value}`, path);
  if (value.length > MAX_FOR_EACH_ITEMS) throw new ForEachError(`${what} has ${value.length} items; a task runs over at most ${MAX_FOR_EACH_ITEMS}`, path);
  return value;
}

function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/** What an item's ITEM holds: a string item as it is (no quotes), anything else as JSON. */
export function itemText(item: unknown): string {
  return typeof item === "string" ? item : JSON.stringify(item ?? null);
}

/**
 * The task as one item runs it: named `TASK[INDEX]`, with ITEM and ITEM_INDEX added to its
 * inputs (so each handler delivers them as it delivers any input: a file and an environment
 * variable), and without for_each and conditions, which belong to the task as a whole.
 */
export function itemTask(task: Task, index: number, item: unknown): Task {
  const { for_each: _forEach, conditions: _conditions, ...rest } = task;
  const input: Record<string, TaskInputSpec> = {
    ...task.input,
    [ITEM_INPUT]: { type: typeof item === "string" ? "string" : "json", value: itemText(item) },
    [ITEM_INDEX_INPUT]: { type: "number", value: index },
  };
  return { ...rest, id: itemTaskId(task.id, index), input } as Task;
}

/**
 * The task's outputs once its items have run: each output a JSON array with one entry per
 * item, in item order. An entry is the text the item wrote without one trailing newline
 * (what `echo` adds), read as a number, boolean or JSON value when the output is declared
 * so (and it parses); null where the item wrote nothing. Outputs are those the task
 * declares, and any other some item wrote.
 */
export function gatherItemOutputs(task: Pick<Task, "output">, items: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const names = new Set(Object.keys(task.output));
  for (const outputs of items) for (const name of Object.keys(outputs)) names.add(name);
  const gathered: Record<string, string> = {};
  for (const name of names) {
    const type = task.output[name]?.type;
    gathered[name] = JSON.stringify(items.map((outputs) => (Object.hasOwn(outputs, name) ? entry(outputs[name]!, type) : null)));
  }
  return gathered;
}

function entry(raw: string, type: string | undefined): unknown {
  const text = raw.replace(/\r?\n$/, "");
  if (type === "number") {
    const n = Number(text);
    return text.trim() !== "" && Number.isFinite(n) ? n : text;
  }
  if (type === "boolean") return text === "true" ? true : text === "false" ? false : text;
  if (type === "json") {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** max_parallel, or the engine's limit. */
export function itemsAtOnce(forEach: ForEach, engineLimit: number): number {
  return Math.max(1, forEach.max_parallel ?? engineLimit);
}
