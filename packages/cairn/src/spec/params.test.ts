import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { describeParams, resolveParams } from "./params.js";
import { validatePipeline } from "./validate.js";

const task = { id: "t", type: "request", url: "https://example.org" };

function pipelineWith(params: unknown) {
  const result = validatePipeline({ id: "p", tasks: [task], params });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.pipeline;
}

function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
  throw new Error("no error");
}

describe("declared params", () => {
  const pipeline = pipelineWith({
    sample: { type: "string", required: true, description: "the sample's id" },
    reads: { type: "number", default: 1000 },
    fast: { type: "boolean", default: false },
    mode: { enum: ["quick", "full"], default: "quick" },
    extra: { type: "json" },
  });

  it("applies the defaults and keeps given values as strings", () => {
    expect(resolveParams(pipeline, { sample: "s1" })).toEqual({ sample: "s1", reads: "1000", fast: "false", mode: "quick" });
    expect(resolveParams(pipeline, { sample: "s1", reads: "5", fast: "true", mode: "full", extra: '{"a":1}' })).toEqual({
      sample: "s1",
      reads: "5",
      fast: "true",
      mode: "full",
      extra: '{"a":1}',
    });
  });

  it("refuses a missing required param, an unknown one and wrong types, naming each", () => {
    expect(issuesOf(() => resolveParams(pipeline, { sampel: "s1", reads: "many", fast: "yes", mode: "slow", extra: "{" }))).toEqual([
      { path: "params.sampel", message: "unknown param; the pipeline declares sample, reads, fast, mode, extra" },
      { path: "params.reads", message: 'expected a number, got "many"' },
      { path: "params.fast", message: 'expected true or false, got "yes"' },
      { path: "params.mode", message: 'expected one of "quick", "full", got "slow"' },
      { path: "params.extra", message: 'expected JSON, got "{"' },
      { path: "params.sample", message: "required param is missing (the sample's id)" },
    ]);
  });

  it("takes any params when the pipeline declares none", () => {
    expect(resolveParams({}, { anything: "goes" })).toEqual({ anything: "goes" });
    expect(issuesOf(() => resolveParams(pipelineWith({}), { x: "1" }))).toEqual([{ path: "params.x", message: "unknown param; the pipeline declares none" }]);
  });

  it("refuses declarations whose default does not fit, and a required param with a default", () => {
    const result = validatePipeline({
      id: "p",
      tasks: [task],
      params: { n: { type: "number", default: "ten" }, m: { enum: ["a"], default: "b" }, r: { required: true, default: "x" }, "bad-name": {}, t: { type: "date" } },
    });
    expect(result.ok).toBe(false);
    const paths = (result as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["params.n.default", "params.m.default", "params.r.default", "params.bad-name", "params.t.type"]));
  });

  it("lists the params for --help-params", () => {
    expect(describeParams(pipeline)).toBe(
      [
        "params of pipeline 'p' (--param NAME=VALUE):",
        "  sample  string, required",
        "      the sample's id",
        "  reads  number, default 1000",
        "  fast  boolean, default false",
        '  mode  string, default "quick", one of "quick", "full"',
        "  extra  json, optional",
        "",
      ].join("\n"),
    );
    expect(describeParams({ id: "q" })).toBe("pipeline 'q' declares no params\n");
  });
});
