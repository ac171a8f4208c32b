import { z } from "zod";
import { ValidationError, type Issue } from "../errors.js";
import { describeValue } from "./describe-value.js";
import type { ParamSpec, Pipeline } from "./types.js";

/**
 * A pipeline's declared run parameters (`params: {NAME: {type, required, default,
 * description, enum}}`), checked when a run starts rather than when a task first reads
 * one: a missing required param, an unknown one or a value of the wrong type refuses the
 * run before anything runs (CLI exit 2, API 400), and defaults fill what was not given.
 * A pipeline that declares no params takes any, as before they could be declared.
 */

export const PARAM_TYPES = ["string", "number", "boolean", "json"] as const;
export const PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const scalar = z.union([z.string(), z.number(), z.boolean()], { error: (iss) => `expected a string, number or boolean, got ${describeValue(iss.input)}` });

export const paramSpecSchema = z
  .strictObject({
    type: z.enum(PARAM_TYPES).default("string"),
    required: z.boolean().default(false),
    default: scalar.optional(),
    description: z.string().optional(),
    enum: z.array(scalar).min(1, "must list at least one value").optional(),
  })
  .check((ctx) => {
    const spec = ctx.value;
    if (spec.required && spec.default !== undefined) {
      ctx.issues.push({ code: "custom", input: spec, path: ["default"], message: "a required param has no default (it must be given): drop one of required and default" });
    }
    for (const [i, value] of (spec.enum ?? []).entries()) {
      const problem = checkValue(spec.type, String(value));
      if (problem !== undefined) ctx.issues.push({ code: "custom", input: value, path: ["enum", i], message: problem });
    }
    if (spec.default !== undefined) {
      const problem = checkValue(spec.type, String(spec.default)) ?? checkEnum(spec.enum, String(spec.default));
      if (problem !== undefined) ctx.issues.push({ code: "custom", input: spec.default, path: ["default"], message: problem });
    }
  });

export const paramsSchema = z.record(z.string().regex(PARAM_NAME_PATTERN, "a param name is a letter or _ followed by letters, digits or _"), paramSpecSchema);

/**
 * The params a run of `pipeline` gets: `given` checked against the declared params, with
 * the defaults of those not given. Values stay strings (what tasks receive), in the
 * declared type's canonical spelling. @throws ValidationError naming each param wrong.
 */
export function resolveParams(pipeline: Pick<Pipeline, "params">, given: Readonly<Record<string, string>>): Record<string, string> {
  const declared = pipeline.params;
  if (declared === undefined) return { ...given };
  const issues: Issue[] = [];
  const params: Record<string, string> = {};
  const names = Object.keys(declared);
  for (const [name, value] of Object.entries(given)) {
    const spec = declared[name];
    if (spec === undefined) {
      issues.push({ path: `params.${name}`, message: `unknown param${names.length > 0 ? `; the pipeline declares ${names.join(", ")}` : "; the pipeline declares none"}` });
      continue;
    }
    const problem = checkValue(spec.type, value) ?? checkEnum(spec.enum, value);
    if (problem !== undefined) issues.push({ path: `params.${name}`, message: problem });
    else params[name] = value;
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (name in given) continue;
    if (spec.default !== undefined) params[name] = String(spec.default);
    else if (spec.required) issues.push({ path: `params.${name}`, message: `required param is missing${spec.description ? ` (${spec.description})` : ""}` });
  }
  if (issues.length > 0) throw new ValidationError("the run's params", issues);
  return params;
}

/** `cairn run --help-params`: one block per declared param. */
export function describeParams(pipeline: Pick<Pipeline, "id" | "params">): string {
  const declared = Object.entries(pipeline.params ?? {});
  if (declared.length === 0) return `pipeline '${pipeline.id}' declares no params\n`;
  const lines = [`params of pipeline '${pipeline.id}' (--param NAME=VALUE):`];
  for (const [name, spec] of declared) {
    const need = spec.required ? "required" : spec.default !== undefined ? `default ${JSON.stringify(spec.default)}` : "optional";
    const choices = spec.enum ? `, one of ${spec.enum.map((v) => JSON.stringify(v)).join(", ")}` : "";
    lines.push(`  ${name}  ${spec.type}, ${need}${choices}${spec.description ? `\n      ${spec.description}` : ""}`);
  }
  return lines.join("\n") + "\n";
}

function checkValue(type: ParamSpec["type"], value: string): string | undefined {
  switch (type) {
    case "number":
      return value.trim() !== "" && Number.isFinite(Number(value)) ? undefined : `expected a number, got ${JSON.stringify(value)}`;
    case "boolean":
      return value === "true" || value === "false" ? undefined : `expected true or false, got ${JSON.stringify(value)}`;
    case "json":
      try {
        JSON.parse(value);
        return undefined;
      } catch {
        return `expected JSON, got ${JSON.stringify(value)}`;
      }
    default:
      return undefined;
  }
}

function checkEnum(values: ParamSpec["enum"], value: string): string | undefined {
  if (values === undefined || values.some((v) => String(v) === value)) return undefined;
  return `expected one of ${values.map((v) => JSON.stringify(String(v))).join(", ")}, got ${JSON.stringify(value)}`;
}
