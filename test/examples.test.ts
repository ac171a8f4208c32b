import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePipelineText } from "../packages/cairn/src/spec/index.js";

/** Every pipeline in examples/ is valid: the docs point people at them. */
const dir = resolve(import.meta.dirname, "../examples");
const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));

describe("examples", () => {
  it("has some", () => {
    expect(files).toContain("conditions-pipeline.yaml");
  });

  // parsePipelineText throws a ValidationError listing every problem with its path.
  it.each(files)("%s is a valid pipeline", (file) => {
    expect(parsePipelineText(readFileSync(join(dir, file), "utf8"), file).tasks.length).toBeGreaterThan(0);
  });

  it("keeps the fan-out of the fan-out example", () => {
    const pipeline = parsePipelineText(readFileSync(join(dir, "fan-out-pipeline.yaml"), "utf8"), "fan-out-pipeline.yaml");
    expect(pipeline.tasks.find((t) => t.id === "measure")!.for_each).toEqual({ value_from: { task_output: { task_id: "list", output_id: "samples" } }, max_parallel: 2 });
  });

  it("keeps the conditions of the conditions example", () => {
    const pipeline = parsePipelineText(readFileSync(join(dir, "conditions-pipeline.yaml"), "utf8"), "conditions-pipeline.yaml");
    expect(pipeline.tasks.find((t) => t.id === "publish")!.conditions).toEqual([{ in: [{ args: "mode" }, ["full", "nightly"]] }]);
  });

  it("keeps the cache settings of the cache example", () => {
    const pipeline = parsePipelineText(readFileSync(join(dir, "cached-pipeline.yaml"), "utf8"), "cached-pipeline.yaml");
    expect(pipeline.tasks.find((t) => t.id === "count")!.execution_profile).toMatchObject({ cache: true, cache_ttl: 86400 });
  });
});
