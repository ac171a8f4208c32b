import { describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../errors.js";
import { ancestorsOf, findCycle, taskOrder, type GraphNode } from "./dag.js";
import { fullPipeline } from "./__fixtures__/pipelines.js";
import { parsePipeline } from "./validate.js";

const graph = (deps: Record<string, string[]>): GraphNode[] =>
  Object.entries(deps).map(([id, on]) => ({ id, depends_on: on.map((d) => ({ id: d })) }));
const pipeline = (deps: Record<string, string[]>) => ({ tasks: graph(deps) }) as unknown as Parameters<typeof taskOrder>[0];

describe("findCycle", () => {
  it("finds none in a DAG", () => {
    expect(findCycle(graph({ a: [], b: ["a"], c: ["a", "b"] }))).toBeUndefined();
  });

  it("finds cycles of length 1, 2 and 3, in dependency order", () => {
    expect(findCycle(graph({ a: ["a"] }))).toEqual(["a"]);
    expect(findCycle(graph({ a: ["b"], b: ["a"] }))).toEqual(["a", "b"]);
    expect(findCycle(graph({ root: [], a: ["root", "b"], b: ["c"], c: ["a"] }))).toEqual(["a", "b", "c"]);
  });

  it("ignores dependencies on unknown tasks", () => {
    expect(findCycle(graph({ a: ["ghost"] }))).toBeUndefined();
  });

  it("handles long chains without recursion limits", () => {
    const deps: Record<string, string[]> = { t0: [] };
    for (let i = 1; i < 20000; i++) deps[`t${i}`] = [`t${i - 1}`];
    expect(findCycle(graph(deps))).toBeUndefined();
    deps.t0 = ["t19999"];
    expect(findCycle(graph(deps))).toHaveLength(20000);
  });
});

describe("taskOrder", () => {
  it("puts every task after its dependencies, ties in declaration order", () => {
    expect(taskOrder(pipeline({ d: ["b", "c"], c: ["a"], b: ["a"], a: [] }))).toEqual(["a", "c", "b", "d"]);
  });

  it("orders a validated pipeline", () => {
    const order = taskOrder(parsePipeline(fullPipeline()));
    expect(order).toEqual(["build", "fetch", "generate-manifests", "run", "job", "actor"]);
  });

  it("throws a ValidationError naming the cycle", () => {
    expect(() => taskOrder(pipeline({ a: ["b"], b: ["a"] }))).toThrow(ValidationError);
    expect(() => taskOrder(pipeline({ a: ["b"], b: ["a"] }))).toThrow(/dependency cycle: a -> b -> a/);
  });
});

describe("ancestorsOf", () => {
  const p = pipeline({ a: [], b: ["a"], c: ["b"], x: [], d: ["c", "x"] });

  it("collects dependencies transitively", () => {
    expect(ancestorsOf(p, "d")).toEqual(new Set(["c", "b", "a", "x"]));
    expect(ancestorsOf(p, "b")).toEqual(new Set(["a"]));
    expect(ancestorsOf(p, "a")).toEqual(new Set());
  });

  it("throws NotFoundError for an unknown task", () => {
    expect(() => ancestorsOf(p, "ghost")).toThrow(NotFoundError);
  });
});
