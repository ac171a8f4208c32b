import { readFile } from "node:fs/promises";
import { parsePipelineText, validatePipeline } from "cairn/spec";
import { describe, expect, it } from "vitest";
import hello from "./hello-pipeline.js";

const yamlPath = new URL("../../../examples/hello-pipeline.yaml", import.meta.url);

describe("examples/hello-pipeline.ts", () => {
  it("builds JSON that Cairn's validator accepts", () => {
    expect(validatePipeline(hello.build())).toMatchObject({ ok: true });
  });

  it("is the same pipeline as examples/hello-pipeline.yaml", async () => {
    // Compared after validation, which fills in the defaults the YAML and the SDK both leave out.
    const fromYaml = parsePipelineText(await readFile(yamlPath, "utf8"), "hello-pipeline.yaml");
    expect(validatePipeline(JSON.parse(JSON.stringify(hello)))).toEqual({ ok: true, pipeline: fromYaml });
  });
});
