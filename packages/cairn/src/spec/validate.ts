import type { z } from "zod";
import { ValidationError, type Issue } from "../errors.js";
import { parseCondition } from "./conditions.js";
import { ITEM_INDEX_INPUT, ITEM_INPUT } from "./for-each.js";
import { ancestorsIn, dependencyMap, describeCycle, findCycle, type GraphNode } from "./dag.js";
import { nearestName } from "./nearest-name.js";
import { paramSpecSchema } from "./params.js";
import {
  containerRunTaskSchema,
  dependencySchema,
  describeValue,
  executionProfileSchema,
  FUNCTION_RUNTIME_PATTERN,
  functionTaskSchema,
  imageBuildTaskSchema,
  INPUT_NAME_PATTERN,
  OUTPUT_NAME_PATTERN,
  pipelineSchema,
  requestTaskSchema,
  TASK_TYPES,
  tapisActorTaskSchema,
  tapisJobTaskSchema,
  taskInputSchema,
  taskOutputSchema,
} from "./schema.js";
import { CACHEABLE_TASK_TYPES, type ConditionOperand, type Pipeline } from "./types.js";

export type ValidationResult = { ok: true; pipeline: Pipeline } | { ok: false; issues: Issue[] };

type Json = Record<string, unknown>;
type Path = readonly PropertyKey[];

/** Fields Tapis returns on stored objects; accepted on input and dropped. */
const PIPELINE_META = new Set(["uuid", "owner", "group", "tenant_id", "last_run", "current_run", "created_at", "updated_at"]);
const TASK_META = new Set(["uuid", "pipeline", "owner", "group", "tenant_id", "created_at", "updated_at"]);
/** Tapis API responses flatten the execution profile onto the pipeline and each task. */
const FLAT_PROFILE_FIELDS = ["max_retries", "retry_policy", "retry_delay", "max_exec_time", "invocation_mode", "duplicate_submission_policy"];
/** Every field of any task type: Tapis responses carry all of them, null where they do not apply. */
const TASK_FIELDS = new Set(
  [containerRunTaskSchema, functionTaskSchema, requestTaskSchema.in, imageBuildTaskSchema, tapisJobTaskSchema, tapisActorTaskSchema].flatMap(
    (schema) => Object.keys(schema.shape),
  ),
);
const PIPELINE_FIELDS = new Set(Object.keys(pipelineSchema.shape));
/** The fields of each task type, for "did you mean" hints. */
const FIELDS_OF_TYPE: Record<string, readonly string[]> = Object.fromEntries(
  [containerRunTaskSchema, functionTaskSchema, requestTaskSchema.in, imageBuildTaskSchema, tapisJobTaskSchema, tapisActorTaskSchema].map((schema) => [
    (schema.shape.type as { value: string }).value,
    Object.keys(schema.shape),
  ]),
);
const PROFILE_FIELDS = Object.keys(executionProfileSchema.shape);
const INPUT_FIELDS = Object.keys(taskInputSchema.shape);
const OUTPUT_FIELDS = Object.keys(taskOutputSchema.shape);
const DEPENDENCY_FIELDS = Object.keys(dependencySchema.shape);
const PARAM_FIELDS = Object.keys(paramSpecSchema.shape);
const ALL_FIELDS = new Set([...PIPELINE_FIELDS, ...TASK_FIELDS, ...PROFILE_FIELDS, ...INPUT_FIELDS, ...OUTPUT_FIELDS, ...DEPENDENCY_FIELDS, ...PARAM_FIELDS]);
/** Outputs a task type produces without declaring them (docs/pipelines.md, "Outputs of each task type"). */
const IMPLICIT_OUTPUTS: Record<string, readonly string[]> = { request: ["status", "headers", "body"], image_build: ["image", "digest", "tag", "image_id"] };

/**
 * Checks a pipeline definition (parsed JSON or YAML) and returns it typed, with
 * defaults applied, or every problem found, each with its path. Never throws.
 */
export function validatePipeline(input: unknown): ValidationResult {
  const normalized = normalizePipeline(input);
  const issues = reservedNameIssues(normalized, []);
  const parsed = pipelineSchema.safeParse(normalized, { error: messageFor });
  if (!parsed.success) issues.push(...parsed.error.issues.flatMap((iss) => toIssues(iss, normalized)));
  const pipeline = asObject(normalized);
  if (pipeline) issues.push(...referenceIssues(pipeline));
  if (issues.length > 0 || !parsed.success) return { ok: false, issues: dedupe(issues) };
  return { ok: true, pipeline: parsed.data };
}

/** validatePipeline for callers that want the pipeline or an exception. @throws ValidationError */
export function parsePipeline(input: unknown, subject = "pipeline"): Pipeline {
  const result = validatePipeline(input);
  if (!result.ok) throw new ValidationError(subject, result.issues);
  return result.pipeline;
}

// ---------------------------------------------------------------------------
// Normalizing Tapis' stored-object shape into the submitted shape.

function normalizePipeline(input: unknown): unknown {
  const pipeline = asObject(input);
  if (!pipeline) return input;
  const kept = Object.entries(pipeline).filter(([key, value]) => !PIPELINE_META.has(key) && !(value === null && PIPELINE_FIELDS.has(key)));
  const normalized = foldProfile(Object.fromEntries(kept));
  if (Array.isArray(normalized.tasks)) normalized.tasks = normalized.tasks.map(normalizeTask);
  return normalized;
}

function normalizeTask(input: unknown): unknown {
  const task = asObject(input);
  if (!task) return input;
  const kept = Object.entries(task).filter(([key, value]) => !TASK_META.has(key) && !(value === null && TASK_FIELDS.has(key)));
  return foldProfile(Object.fromEntries(kept));
}

/** Moves flattened profile fields into execution_profile; an explicit execution_profile field wins. */
function foldProfile(object: Json): Json {
  const flat = FLAT_PROFILE_FIELDS.filter((f) => Object.hasOwn(object, f));
  if (flat.length === 0) return object;
  const profile = object.execution_profile === undefined ? {} : asObject(object.execution_profile);
  if (!profile) return object; // wrong type: reported as it stands
  const rest = Object.fromEntries(Object.entries(object).filter(([key]) => !flat.includes(key)));
  const folded = Object.fromEntries(flat.filter((f) => object[f] !== null).map((f) => [f, object[f]]));
  return { ...rest, execution_profile: { ...folded, ...profile } };
}

/**
 * zod drops own `__proto__` keys from records silently, so a name that would vanish
 * is reported instead.
 */
function reservedNameIssues(value: unknown, path: PropertyKey[]): Issue[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => reservedNameIssues(item, [...path, i]));
  const object = asObject(value);
  if (!object) return [];
  return Object.entries(object).flatMap(([key, child]) =>
    key === "__proto__"
      ? [{ path: formatPath([...path, key]), message: "'__proto__' cannot be used as a name" }]
      : reservedNameIssues(child, [...path, key]),
  );
}

// ---------------------------------------------------------------------------
// zod issues as Cairn issues.

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "an object",
  record: "an object",
  array: "an array",
  null: "null",
};

/** Plain-language messages for zod's issue codes; schema-level messages take precedence. */
function messageFor(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case "invalid_type": {
      const expected = EXPECTED[iss.expected] ?? iss.expected;
      return iss.input === undefined ? `required field is missing (expected ${expected})` : `expected ${expected}, got ${describeValue(iss.input)}`;
    }
    case "invalid_value":
      return `expected one of ${iss.values.map((v) => JSON.stringify(v)).join(", ")}, got ${typeof iss.input === "string" ? JSON.stringify(iss.input) : describeValue(iss.input)}`;
    case "too_small":
      if (iss.origin === "string") return "must not be empty";
      if (iss.origin === "array") return `must have at least ${iss.minimum} item(s)`;
      return `must be ${iss.inclusive ? "at least" : "more than"} ${iss.minimum}`;
    case "too_big":
      if (iss.origin === "string") return `must be at most ${iss.maximum} characters`;
      if (iss.origin === "array") return `must have at most ${iss.maximum} item(s)`;
      return `must be ${iss.inclusive ? "at most" : "less than"} ${iss.maximum}`;
    default:
      return undefined;
  }
}

function toIssues(iss: z.core.$ZodIssue, root: unknown): Issue[] {
  if (iss.code === "unrecognized_keys") {
    const known = knownFieldsAt(iss.path, root);
    return iss.keys.map((key) => {
      const near = nearestName(key, known);
      return { path: formatPath([...iss.path, key]), message: `unknown field '${key}'${near !== undefined ? `; did you mean '${near}'?` : ""}` };
    });
  }
  if (iss.code === "invalid_union" && iss.path[0] === "tasks" && iss.path.at(-1) === "type" && iss.path.length === 3) {
    const given = valueAt(root, iss.path);
    const known = TASK_TYPES.join(", ");
    const message =
      given === undefined
        ? `required field is missing (a task type: ${known})`
        : `unknown task type ${typeof given === "string" ? `'${given}'` : describeValue(given)}; known types: ${known}`;
    return [{ path: formatPath(iss.path), message }];
  }
  return [{ path: formatPath(iss.path), message: iss.message || "is invalid" }];
}

/** The fields the object at `path` may have: what a misspelt field there is compared with. */
function knownFieldsAt(path: readonly PropertyKey[], root: unknown): Iterable<string> {
  const last = path.at(-1);
  const parent = path.at(-2);
  if (path.length === 0) return PIPELINE_FIELDS;
  if (path.length === 2 && path[0] === "tasks") {
    const type = asObject(valueAt(root, path))?.type;
    return (typeof type === "string" ? FIELDS_OF_TYPE[type] : undefined) ?? TASK_FIELDS;
  }
  if (last === "execution_profile") return PROFILE_FIELDS;
  if (parent === "input") return INPUT_FIELDS;
  if (parent === "output") return OUTPUT_FIELDS;
  if (parent === "depends_on") return DEPENDENCY_FIELDS;
  if (parent === "params" && path.length === 2) return PARAM_FIELDS;
  return ALL_FIELDS;
}

// ---------------------------------------------------------------------------
// Rules across fields and tasks, checked on the raw input so they are reported
// alongside shape problems. Every access is guarded: the input may be anything.

function referenceIssues(pipeline: Json): Issue[] {
  const issues: Issue[] = [];
  const tasks = Array.isArray(pipeline.tasks) ? pipeline.tasks.map(asObject) : [];
  const firstIndex = new Map<string, number>();
  tasks.forEach((task, i) => {
    const id = task?.id;
    if (typeof id !== "string") return;
    const first = firstIndex.get(id);
    if (first === undefined) firstIndex.set(id, i);
    else issues.push({ path: `tasks[${i}].id`, message: `duplicate task id '${id}' (already used by tasks[${first}])` });
  });

  const nodes: GraphNode[] = [];
  const dependsOn = tasks.map((task, i) => {
    const id = typeof task?.id === "string" ? task.id : undefined;
    const deps: string[] = [];
    const list = Array.isArray(task?.depends_on) ? task.depends_on : [];
    list.forEach((dep, k) => {
      const depId = asObject(dep)?.id;
      if (typeof depId !== "string") return;
      const path = `tasks[${i}].depends_on[${k}].id`;
      if (depId === id) issues.push({ path, message: `a task cannot depend on itself (dependency cycle: ${id} -> ${id})` });
      else if (!firstIndex.has(depId)) issues.push({ path, message: `unknown task '${depId}'` });
      else deps.push(depId);
    });
    if (id !== undefined && firstIndex.get(id) === i) nodes.push({ id, depends_on: deps.map((d) => ({ id: d })) });
    return deps;
  });

  const cycle = findCycle(nodes);
  if (cycle) {
    issues.push({
      path: `tasks[${firstIndex.get(cycle[0]!)}].depends_on`,
      message: `dependency cycle: ${describeCycle(cycle)} (each task depends on the next)`,
    });
  }

  const graph = dependencyMap(nodes);
  const pipelineEnv = asObject(pipeline.env) ?? {};
  const pipelineRuntime = asObject(pipeline.execution_profile)?.runtime;
  const hostContainerTasks: string[] = [];
  tasks.forEach((task, i) => {
    if (!task) return;
    const ancestors = new Set<string>();
    for (const d of dependsOn[i] ?? []) {
      ancestors.add(d);
      for (const a of ancestorsIn(graph, d)) ancestors.add(a);
    }
    const context: TaskContext = { task, path: `tasks[${i}]`, tasks, firstIndex, ancestors, pipelineEnv, issues };
    checkInputs(context);
    checkConditions(context);
    checkForEach(context);
    checkOutputNames(context);
    if (task.type === "container_run") checkContainerRuntime(context, pipelineRuntime, hostContainerTasks);
    if (task.type === "function") checkInstaller(context);
    if (task.type === "request") checkProtocol(context);
    checkCacheable(context);
  });
  if (hostContainerTasks.length > 0) {
    issues.push({
      path: "execution_profile.runtime",
      message: `container_run always runs in a container, so runtime "host" cannot apply to ${hostContainerTasks.length === 1 ? "task" : "tasks"} ${hostContainerTasks.map((id) => `'${id}'`).join(", ")}: set runtime "host" on the function tasks that want it instead`,
    });
  }
  return issues;
}

interface TaskContext {
  task: Json;
  path: string;
  tasks: (Json | undefined)[];
  firstIndex: Map<string, number>;
  ancestors: Set<string>;
  pipelineEnv: Json;
  issues: Issue[];
}

function checkInputs({ task, path, tasks, firstIndex, ancestors, pipelineEnv, issues }: TaskContext): void {
  for (const [name, spec] of Object.entries(asObject(task.input) ?? {})) {
    const inputPath = `${path}.input${formatPath([name], true)}`;
    if (!INPUT_NAME_PATTERN.test(name)) {
      issues.push({
        path: inputPath,
        message: "input names become environment variables: letters, digits and '_', not starting with a digit",
      });
    }
    const input = asObject(spec);
    if (!input) continue;
    const hasFrom = input.value_from !== undefined && input.value_from !== null;
    // A null value next to value_from is how Tapis returns an input with no literal value.
    const hasValue = input.value !== undefined && !(input.value === null && hasFrom);
    if (hasValue === hasFrom) {
      issues.push({ path: inputPath, message: `needs exactly one of value or value_from, got ${hasValue ? "both" : "neither"}` });
    }
    const from = asObject(input.value_from);
    if (!from) continue;
    if (typeof from.env === "string" && from.env !== "" && !Object.hasOwn(pipelineEnv, from.env)) {
      issues.push({ path: `${inputPath}.value_from.env`, message: `the pipeline env has no variable '${from.env}'` });
    }
    const output = asObject(from.task_output);
    if (!output || typeof output.task_id !== "string") continue;
    const sourceId = output.task_id;
    const outputPath = `${inputPath}.value_from.task_output`;
    const source = firstIndex.has(sourceId) ? tasks[firstIndex.get(sourceId)!] : undefined;
    if (!source) {
      issues.push({ path: `${outputPath}.task_id`, message: `unknown task '${sourceId}'` });
    } else if (!ancestors.has(sourceId)) {
      issues.push({
        path: `${outputPath}.task_id`,
        message: `task '${sourceId}' is not an ancestor of '${String(task.id)}': it must be in depends_on, directly or through other tasks, so its output exists first`,
      });
    } else if (typeof output.output_id === "string" && output.output_id !== "") {
      const declared = [...Object.keys(asObject(source.output) ?? {}), ...(IMPLICIT_OUTPUTS[String(source.type)] ?? [])];
      if (declared.length > 0 && !declared.includes(output.output_id)) {
        issues.push({
          path: `${outputPath}.output_id`,
          message: `task '${sourceId}' has no output '${output.output_id}'; its outputs are: ${declared.join(", ")}`,
        });
      }
    }
  }
}

/**
 * What conditions refer to must exist: a task_output operand names an ancestor and one of
 * its outputs, an env operand a key of the pipeline env that is not a secret. Shape
 * problems are the schema's; only expressions that parse are looked into here.
 */
function checkConditions({ task, path, tasks, firstIndex, ancestors, pipelineEnv, issues }: TaskContext): void {
  if (!Array.isArray(task.conditions)) return;
  task.conditions.forEach((raw, i) => {
    const operands: { operand: ConditionOperand; inner: Path }[] = [];
    parseCondition(raw, [], [], (operand, inner) => operands.push({ operand, inner }));
    for (const { operand, inner } of operands) {
      if (operand === null || typeof operand !== "object" || "args" in operand) continue;
      const at = `${path}.conditions[${i}]${formatPath(inner, true)}`;
      if ("env" in operand) {
        const value = pipelineEnv[operand.env];
        if (!Object.hasOwn(pipelineEnv, operand.env)) issues.push({ path: `${at}.env`, message: `the pipeline env has no variable '${operand.env}'` });
        else if (asObject(asObject(value)?.value_from)?.secret !== undefined) {
          issues.push({ path: `${at}.env`, message: `env '${operand.env}' holds a secret; conditions cannot read secrets` });
        }
        continue;
      }
      const { task_id: sourceId, output_id: outputId } = operand.task_output;
      const source = firstIndex.has(sourceId) ? tasks[firstIndex.get(sourceId)!] : undefined;
      if (!source) {
        issues.push({ path: `${at}.task_output.task_id`, message: `unknown task '${sourceId}'` });
      } else if (!ancestors.has(sourceId)) {
        issues.push({
          path: `${at}.task_output.task_id`,
          message: `task '${sourceId}' is not an ancestor of '${String(task.id)}': it must be in depends_on, directly or through other tasks, so its output exists first`,
        });
      } else {
        const declared = [...Object.keys(asObject(source.output) ?? {}), ...(IMPLICIT_OUTPUTS[String(source.type)] ?? [])];
        if (!declared.includes(outputId)) {
          issues.push({
            path: `${at}.task_output.output_id`,
            message: `task '${sourceId}' declares no output '${outputId}'${declared.length > 0 ? `; its outputs are: ${declared.join(", ")}` : ""}`,
          });
        }
      }
    }
  });
}

/**
 * A for_each list read from elsewhere must exist when the task is ready: an env key that
 * holds no secret, or an ancestor's output. ITEM and ITEM_INDEX are the items' inputs, so
 * the task cannot declare inputs by those names. Shape problems are the schema's.
 */
function checkForEach({ task, path, tasks, firstIndex, ancestors, pipelineEnv, issues }: TaskContext): void {
  const forEach = asObject(task.for_each);
  if (!forEach) return;
  const input = asObject(task.input) ?? {};
  for (const name of [ITEM_INPUT, ITEM_INDEX_INPUT]) {
    if (Object.hasOwn(input, name)) {
      issues.push({ path: `${path}.input.${name}`, message: `a task with for_each gets '${name}' from each item; it cannot declare an input named so` });
    }
  }
  const from = asObject(forEach.value_from);
  if (!from) return;
  const at = `${path}.for_each.value_from`;
  if (typeof from.env === "string" && from.env !== "") {
    if (!Object.hasOwn(pipelineEnv, from.env)) issues.push({ path: `${at}.env`, message: `the pipeline env has no variable '${from.env}'` });
    else if (asObject(asObject(pipelineEnv[from.env])?.value_from)?.secret !== undefined) {
      issues.push({ path: `${at}.env`, message: `env '${from.env}' holds a secret; for_each cannot read secrets` });
    }
    return;
  }
  const output = asObject(from.task_output);
  if (!output || typeof output.task_id !== "string") return;
  const sourceId = output.task_id;
  const source = firstIndex.has(sourceId) ? tasks[firstIndex.get(sourceId)!] : undefined;
  if (!source) {
    issues.push({ path: `${at}.task_output.task_id`, message: `unknown task '${sourceId}'` });
  } else if (!ancestors.has(sourceId)) {
    issues.push({
      path: `${at}.task_output.task_id`,
      message: `task '${sourceId}' is not an ancestor of '${String(task.id)}': it must be in depends_on, directly or through other tasks, so its output exists first`,
    });
  } else if (typeof output.output_id === "string" && output.output_id !== "") {
    const declared = [...Object.keys(asObject(source.output) ?? {}), ...(IMPLICIT_OUTPUTS[String(source.type)] ?? [])];
    if (declared.length > 0 && !declared.includes(output.output_id)) {
      issues.push({ path: `${at}.task_output.output_id`, message: `task '${sourceId}' has no output '${output.output_id}'; its outputs are: ${declared.join(", ")}` });
    }
  }
}

function checkOutputNames({ task, path, issues }: TaskContext): void {
  for (const name of Object.keys(asObject(task.output) ?? {})) {
    if (!OUTPUT_NAME_PATTERN.test(name)) {
      issues.push({
        path: `${path}.output${formatPath([name], true)}`,
        message: "output names become file names: letters, digits, '.', '_' or '-', starting with a letter, digit or '_'",
      });
    }
  }
}

/**
 * A container_run task on the host runtime. One that inherits it from the pipeline is
 * collected in `inheriting` and reported once, against the pipeline's setting, naming
 * them all: one cause, one message.
 */
function checkContainerRuntime({ task, path, issues }: TaskContext, pipelineRuntime: unknown, inheriting: string[]): void {
  const own = asObject(task.execution_profile)?.runtime;
  if ((own ?? pipelineRuntime) !== "host") return;
  if (own === undefined) {
    inheriting.push(typeof task.id === "string" ? task.id : path);
    return;
  }
  issues.push({ path: `${path}.execution_profile.runtime`, message: `container_run always runs in a container; runtime "host" is not allowed` });
}

/**
 * An image_build's result is an image in the engine, not outputs and files the cache
 * could restore (docs/task-cache.md); asked for on the task itself, that is a mistake.
 * Inherited from the pipeline's profile, such a task just runs (the engine says why).
 */
function checkCacheable({ task, path, issues }: TaskContext): void {
  if (asObject(task.execution_profile)?.cache !== true || typeof task.type !== "string" || CACHEABLE_TASK_TYPES.includes(task.type)) return;
  issues.push({
    path: `${path}.execution_profile.cache`,
    message: `${task.type} tasks cannot be cached (only ${CACHEABLE_TASK_TYPES.join(", ")}): their result is not outputs and files that can be restored`,
  });
}

function checkInstaller({ task, path, issues }: TaskContext): void {
  const runtime = task.runtime;
  if (typeof runtime !== "string" || !FUNCTION_RUNTIME_PATTERN.test(runtime)) return;
  const packages = Array.isArray(task.packages) ? task.packages : [];
  const installer = task.installer;
  if (runtime === "bash") {
    if (packages.length > 0) issues.push({ path: `${path}.packages`, message: "bash functions take no packages" });
    if (installer !== undefined) issues.push({ path: `${path}.installer`, message: "bash functions take no installer" });
    return;
  }
  const expected = runtime.startsWith("python") ? "pip" : "npm";
  if (installer === undefined && packages.length > 0) {
    issues.push({ path: `${path}.installer`, message: `required when packages are given: "${expected}" for ${runtime}` });
  } else if ((installer === "pip" || installer === "npm") && installer !== expected) {
    issues.push({ path: `${path}.installer`, message: `"${installer}" cannot install packages for ${runtime}; use "${expected}"` });
  }
}

function checkProtocol({ task, path, issues }: TaskContext): void {
  if ((task.protocol !== "http" && task.protocol !== "https") || typeof task.url !== "string") return;
  const scheme = /^(https?):/i.exec(task.url)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== task.protocol) {
    issues.push({ path: `${path}.protocol`, message: `"${task.protocol}" does not match the url's scheme "${scheme}"` });
  }
}

// ---------------------------------------------------------------------------

function asObject(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** `tasks[2].depends_on[0].id`; keys that are not identifiers are quoted: `env["MY VAR"]`. */
export function formatPath(path: Path, continued = false): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$-]*$/.test(key)) out += out === "" && !continued ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\n${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
