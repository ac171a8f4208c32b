/**
 * Tapis task `conditions`: parsing (for the schema, with the path of each problem) and
 * evaluation. Pure: no I/O. The engine hands in the run's params, the pipeline env and
 * the outputs of the tasks that ended, and gets a yes, a no or a ConditionError.
 */
import { CairnError } from "../errors.js";
import type { Condition, ConditionOperand, ConditionValue, LogicalOperator, ComparisonOperator, Pipeline } from "./types.js";

export const COMPARISON_OPERATORS = ["eq", "ne", "gt", "lt", "ge", "le"] as const satisfies readonly ComparisonOperator[];
export const LOGICAL_OPERATORS = ["and", "or", "xor", "nand", "nor", "xnor"] as const satisfies readonly LogicalOperator[];
const OPERATORS = [...COMPARISON_OPERATORS, "in", ...LOGICAL_OPERATORS, "not"] as const;
const OPERATOR_LIST = OPERATORS.join(", ");
/** Expressions come from users: a bound on nesting keeps parsing and evaluation off the stack limit. */
export const MAX_CONDITION_DEPTH = 32;

type Path = readonly (string | number)[];

/** A condition that could not be evaluated (not one that is false): the task fails with this message. */
export class ConditionError extends CairnError {
  override name = "ConditionError";
  constructor(message: string, readonly path: string) {
    super("invalid_input", `${path}: ${message}`, { details: { path } });
  }
}

// ---------------------------------------------------------------------------
// Parsing.

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (isObject(value)) return "an object";
  return JSON.stringify(value);
}

type Found = { path: Path; message: string }[];
/** Called with each operand that parsed and its path as written (validate.ts checks references with it). */
export type OperandVisitor = (operand: ConditionOperand, path: Path) => void;

/** Checks one expression; returns it typed, or undefined with `issues` added (paths relative to `path`). */
export function parseCondition(value: unknown, path: Path, issues: Found, visit?: OperandVisitor, depth = 0): Condition | undefined {
  if (depth >= MAX_CONDITION_DEPTH) {
    issues.push({ path, message: `conditions may be nested at most ${MAX_CONDITION_DEPTH} deep` });
    return undefined;
  }
  const keys = isObject(value) ? Object.keys(value) : [];
  if (!isObject(value) || keys.length !== 1) {
    const got = isObject(value) ? (keys.length === 0 ? "an empty object" : `{ ${keys.join(", ")} }`) : show(value);
    issues.push({ path, message: `expected an expression: an object with one operator key (${OPERATOR_LIST}), got ${got}` });
    return undefined;
  }
  const op = keys[0]!;
  const arg = value[op];
  const at = [...path, op];
  if ((COMPARISON_OPERATORS as readonly string[]).includes(op)) {
    if (!Array.isArray(arg) || arg.length !== 2) {
      issues.push({ path: at, message: `${op} compares two operands: expected [left, right], got ${Array.isArray(arg) ? `${arg.length} item(s)` : show(arg)}` });
      return undefined;
    }
    const left = parseOperand(arg[0], [...at, 0], issues, visit);
    const right = parseOperand(arg[1], [...at, 1], issues, visit);
    return left === undefined || right === undefined ? undefined : ({ [op]: [left, right] } as Condition);
  }
  if (op === "in") {
    if (!Array.isArray(arg) || arg.length !== 2 || !Array.isArray(arg[1])) {
      issues.push({ path: at, message: `in takes [needle, [haystack...]], got ${show(arg)}` });
      return undefined;
    }
    const needle = parseOperand(arg[0], [...at, 0], issues, visit);
    const haystack = (arg[1] as unknown[]).map((item, i) => parseOperand(item, [...at, 1, i], issues, visit));
    if (needle === undefined || haystack.some((h) => h === undefined)) return undefined;
    return { in: [needle, haystack as ConditionOperand[]] };
  }
  if ((LOGICAL_OPERATORS as readonly string[]).includes(op)) {
    if (!Array.isArray(arg) || arg.length < 2) {
      issues.push({ path: at, message: `${op} takes a list of two or more expressions, got ${Array.isArray(arg) ? `${arg.length} item(s)` : show(arg)}` });
      return undefined;
    }
    const parts = arg.map((item, i) => parseCondition(item, [...at, i], issues, visit, depth + 1));
    return parts.some((p) => p === undefined) ? undefined : ({ [op]: parts } as Condition);
  }
  if (op === "not") {
    // `{"not": expr}` or `{"not": [expr]}`: stored as the one-item list.
    const list = Array.isArray(arg) ? arg : [arg];
    if (list.length !== 1) {
      issues.push({ path: at, message: `not takes exactly one expression, got ${list.length}` });
      return undefined;
    }
    const inner = parseCondition(list[0], Array.isArray(arg) ? [...at, 0] : at, issues, visit, depth + 1);
    return inner === undefined ? undefined : { not: [inner] };
  }
  issues.push({ path, message: `unknown operator '${op}'; known operators: ${OPERATOR_LIST}` });
  return undefined;
}

function parseOperand(value: unknown, path: Path, issues: Found, visit: OperandVisitor | undefined): ConditionOperand | undefined {
  const operand = operandOf(value, path, issues);
  if (operand !== undefined) visit?.(operand, path);
  return operand;
}

function operandOf(value: unknown, path: Path, issues: Found): ConditionOperand | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value;
    issues.push({ path, message: "must be a finite number" });
    return undefined;
  }
  const rule = 'expected a literal (string, number, boolean, null), {"task_output": {"task_id", "output_id"}}, {"args": NAME} or {"env": NAME}';
  const keys = isObject(value) ? Object.keys(value) : [];
  if (!isObject(value) || keys.length !== 1) {
    issues.push({ path, message: `${rule}, got ${isObject(value) ? `{ ${keys.join(", ")} }` : show(value)}` });
    return undefined;
  }
  const key = keys[0]!;
  const inner = value[key];
  if (key === "args" || key === "env") {
    if (typeof inner !== "string" || inner === "") {
      issues.push({ path: [...path, key], message: `must be a non-empty ${key === "args" ? "parameter" : "variable"} name, got ${show(inner)}` });
      return undefined;
    }
    return key === "args" ? { args: inner } : { env: inner };
  }
  if (key === "task_output") {
    const ok = isObject(inner) && Object.keys(inner).length === 2 && typeof inner.task_id === "string" && inner.task_id !== "" && typeof inner.output_id === "string" && inner.output_id !== "";
    if (!ok) {
      issues.push({ path: [...path, key], message: `expected {"task_id": TASK, "output_id": OUTPUT} with non-empty names, got ${show(inner)}` });
      return undefined;
    }
    return { task_output: { task_id: inner.task_id as string, output_id: inner.output_id as string } };
  }
  issues.push({ path, message: `${rule}, got { ${key} }` });
  return undefined;
}

// ---------------------------------------------------------------------------
// Evaluation.

/** What a run knows when a task's dependencies have ended. */
export interface ConditionContext {
  pipeline: Pick<Pipeline, "tasks" | "env">;
  /** The run's parameters. */
  params: Readonly<Record<string, string>>;
  /** Outputs of the tasks that succeeded, by task id, as the tasks wrote them. */
  outputs: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/**
 * True when every expression holds. Every expression is evaluated (no short cut), so an
 * error anywhere is reported whatever the others say. @throws ConditionError
 */
export function evaluateConditions(conditions: readonly Condition[], context: ConditionContext, path = "conditions"): boolean {
  let all = true;
  conditions.forEach((condition, i) => {
    if (!evaluateCondition(condition, context, `${path}[${i}]`)) all = false;
  });
  return all;
}

/** @throws ConditionError */
export function evaluateCondition(condition: Condition, context: ConditionContext, path = "condition"): boolean {
  const [op, arg] = Object.entries(condition)[0] as [string, unknown];
  const at = `${path}.${op}`;
  if ((COMPARISON_OPERATORS as readonly string[]).includes(op)) {
    const [l, r] = arg as [ConditionOperand, ConditionOperand];
    return compare(op as ComparisonOperator, operandValue(l, context, `${at}[0]`), operandValue(r, context, `${at}[1]`), at);
  }
  if (op === "in") {
    const [needle, haystack] = arg as [ConditionOperand, ConditionOperand[]];
    const value = operandValue(needle, context, `${at}[0]`);
    let found = false;
    haystack.forEach((item, i) => {
      if (compare("eq", value, operandValue(item, context, `${at}[1][${i}]`), at)) found = true;
    });
    return found;
  }
  const values = (arg as Condition[]).map((c, i) => evaluateCondition(c, context, `${at}[${i}]`));
  const trues = values.filter(Boolean).length;
  switch (op as LogicalOperator | "not") {
    case "and":
      return trues === values.length;
    case "or":
      return trues > 0;
    case "xor":
      return trues % 2 === 1;
    case "nand":
      return trues !== values.length;
    case "nor":
      return trues === 0;
    case "xnor":
      return trues % 2 === 0;
    case "not":
      return !values[0];
  }
  throw new ConditionError(`unknown operator '${op}'`, path);
}

const typeName = (v: ConditionValue) => (v === null ? "null" : typeof v);
const shown = (v: ConditionValue) => `${typeName(v)} ${JSON.stringify(v)}`;

/**
 * eq/ne: values of one type, or null against anything (equal only to null). The order
 * operators: two numbers or two strings (by code unit). Anything else is an error naming
 * both values, since a silent false would make a typo look like a decision.
 */
function compare(op: ComparisonOperator, left: ConditionValue, right: ConditionValue, path: string): boolean {
  if (op === "eq" || op === "ne") {
    if (left !== null && right !== null && typeof left !== typeof right) {
      throw new ConditionError(`cannot compare ${shown(left)} with ${shown(right)} (${op})`, path);
    }
    return (left === right) === (op === "eq");
  }
  const comparable = (typeof left === "number" && typeof right === "number") || (typeof left === "string" && typeof right === "string");
  if (!comparable) throw new ConditionError(`cannot order ${shown(left)} and ${shown(right)} (${op} compares two numbers or two strings)`, path);
  const l = left as number | string;
  const r = right as number | string;
  if (op === "gt") return l > r;
  if (op === "lt") return l < r;
  if (op === "ge") return l >= r;
  return l <= r;
}

/**
 * A task output is text as the task wrote it, without one trailing newline (`echo` adds
 * it); an output declared `number` or `boolean` is read as one. A param is a string; an
 * env value is what the pipeline env says (a param's value for `value_from: {params}`).
 */
function operandValue(operand: ConditionOperand, context: ConditionContext, path: string): ConditionValue {
  if (operand === null || typeof operand !== "object") return operand;
  if ("args" in operand) {
    const value = context.params[operand.args];
    if (value === undefined || !Object.hasOwn(context.params, operand.args)) throw new ConditionError(`the run has no parameter '${operand.args}'`, path);
    return value;
  }
  if ("env" in operand) {
    if (!Object.hasOwn(context.pipeline.env, operand.env)) throw new ConditionError(`the pipeline env has no variable '${operand.env}'`, path);
    const value = context.pipeline.env[operand.env]!;
    if (typeof value !== "object") return value;
    const from = value.value_from;
    if ("params" in from) {
      const param = context.params[from.params];
      if (param === undefined || !Object.hasOwn(context.params, from.params)) {
        throw new ConditionError(`env '${operand.env}' comes from parameter '${from.params}', which the run does not have`, path);
      }
      return param;
    }
    throw new ConditionError(`env '${operand.env}' holds a secret, which conditions cannot read`, path);
  }
  const { task_id: taskId, output_id: outputId } = operand.task_output;
  const outputs = context.outputs.get(taskId);
  if (outputs === undefined) throw new ConditionError(`task '${taskId}' did not succeed, so it has no output '${outputId}'`, path);
  const raw = outputs[outputId];
  if (raw === undefined || !Object.hasOwn(outputs, outputId)) throw new ConditionError(`task '${taskId}' wrote no output '${outputId}'`, path);
  const text = raw.replace(/\r?\n$/, "");
  const declared = context.pipeline.tasks.find((t) => t.id === taskId)?.output[outputId]?.type;
  if (declared === "number") {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n)) throw new ConditionError(`output '${outputId}' of task '${taskId}' is declared a number but holds ${JSON.stringify(text)}`, path);
    return n;
  }
  if (declared === "boolean") {
    if (text !== "true" && text !== "false") throw new ConditionError(`output '${outputId}' of task '${taskId}' is declared a boolean but holds ${JSON.stringify(text)} (expected true or false)`, path);
    return text === "true";
  }
  return text;
}
