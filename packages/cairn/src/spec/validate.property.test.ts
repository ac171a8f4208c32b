import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fullPipeline, minimalPipeline } from "./__fixtures__/pipelines.js";
import { validatePipeline } from "./validate.js";

type Json = unknown;

/** The contract: never throws; ok results are fixed points; failures explain themselves. */
/** Outcomes seen, so a test can show both branches of the contract were exercised. */
const seen = { ok: 0, invalid: 0 };

function checkResult(input: unknown): void {
  const result = validatePipeline(input);
  seen[result.ok ? "ok" : "invalid"]++;
  if (result.ok) {
    const again = validatePipeline(result.pipeline);
    expect(again).toEqual({ ok: true, pipeline: result.pipeline });
    expect(validatePipeline(JSON.parse(JSON.stringify(result.pipeline)))).toEqual({ ok: true, pipeline: result.pipeline });
  } else {
    expect(result.issues.length).toBeGreaterThanOrEqual(1);
    for (const issue of result.issues) {
      expect(typeof issue.path).toBe("string");
      expect(typeof issue.message).toBe("string");
      expect(issue.message.length).toBeGreaterThan(0);
    }
  }
}

/** Every path to a value inside `value`, the root included. */
function pathsIn(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(value)) return here.concat(...value.map((v, i) => pathsIn(v, [...prefix, i])));
  if (typeof value === "object" && value !== null) return here.concat(...Object.entries(value).map(([k, v]) => pathsIn(v, [...prefix, k])));
  return here;
}

type Mutation = { at: number; kind: "replace" | "delete" | "add"; key: string; value: Json };

function mutate(original: Json, mutations: Mutation[]): Json {
  let doc = structuredClone(original);
  for (const m of mutations) {
    const paths = pathsIn(doc);
    const path = paths[m.at % paths.length]!;
    if (path.length === 0) {
      if (m.kind === "replace") doc = m.value;
      continue;
    }
    const parent = path.slice(0, -1).reduce<any>((node, key) => node[key], doc);
    const key = path[path.length - 1]!;
    if (m.kind === "replace") parent[key] = m.value;
    else if (m.kind === "delete") Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key];
    else if (typeof parent === "object" && parent !== null && !Array.isArray(parent)) {
      Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
  }
  return doc;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("replace", "delete", "add"),
  key: fc.oneof(fc.constantFrom("id", "type", "runtime", "__proto__", "value", "env", "depends_on", "execution_profile"), fc.string()),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom("host", "a", "build", "fetch", "run", "", "GET", "https://x.org", 0, -1, 101, 1.5, null, true, [], {}),
  ),
});

describe("validatePipeline properties", () => {
  it("never throws on arbitrary JSON", () => {
    fc.assert(fc.property(fc.jsonValue(), checkResult), { numRuns: 300 });
  });

  it("never throws on arbitrary objects shaped like pipelines", () => {
    const task = fc.record(
      { id: fc.string(), type: fc.constantFrom("function", "request", "container_run", "x"), depends_on: fc.array(fc.record({ id: fc.string() })) },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(fc.record({ id: fc.string(), tasks: fc.array(task, { maxLength: 4 }) }, { requiredKeys: [] }), checkResult), { numRuns: 300 });
  });

  it("holds for mutated valid pipelines", () => {
    const base = fc.constantFrom(fullPipeline(), minimalPipeline());
    seen.ok = seen.invalid = 0;
    fc.assert(
      fc.property(base, fc.array(mutation, { minLength: 1, maxLength: 3 }), (pipeline, mutations) => checkResult(mutate(pipeline, mutations))),
      { numRuns: 300 },
    );
    expect(seen.ok).toBeGreaterThan(10);
    expect(seen.invalid).toBeGreaterThan(10);
  });
});
