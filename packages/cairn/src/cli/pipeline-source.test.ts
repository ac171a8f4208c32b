import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { loadPipelineSource } from "./pipeline-source.js";

/** Real files and the real module loader (tsx): this is what `cairn apply` reads. */
describe("loadPipelineSource", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-source-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const file = async (name: string, content: string) => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };
  const task = { id: "t", type: "container_run", image: "localhost/busybox:test", command: "true" };

  it("reads YAML and JSON, validated", async () => {
    const yaml = await file("p.yaml", "id: from-yaml\ntasks:\n  - { id: t, type: container_run, image: localhost/busybox:test, command: 'true' }\n");
    expect(await loadPipelineSource(yaml)).toMatchObject({ id: "from-yaml", tasks: [{ id: "t", image: "localhost/busybox:test" }] });
    const json = await file("p.json", JSON.stringify({ id: "from-json", tasks: [task] }));
    expect(await loadPipelineSource(json)).toMatchObject({ id: "from-json" });
  });

  it("loads a TypeScript module's default export, types and all", async () => {
    const ts = await file("plain.ts", `const id: string = "from-ts";\nexport default { id, tasks: [${JSON.stringify(task)}] } satisfies { id: string; tasks: object[] };\n`);
    expect(await loadPipelineSource(ts)).toMatchObject({ id: "from-ts", tasks: [{ id: "t" }] });
  });

  it("calls toJSON(), as the SDK's builder has it, and JavaScript modules work too", async () => {
    const js = await file("builder.mjs", `export default { toJSON() { return { id: "from-builder", tasks: [${JSON.stringify(task)}] }; } };\n`);
    expect(await loadPipelineSource(js)).toMatchObject({ id: "from-builder" });
  });

  it("says what is wrong: no default export, a module that does not load, an invalid pipeline, no file", async () => {
    await expect(loadPipelineSource(await file("none.ts", "export const x = 1;\n"))).rejects.toThrow(/no default export/);
    await expect(loadPipelineSource(await file("broken.ts", "export default {{;\n"))).rejects.toThrow(/cannot load pipeline module/);
    await expect(loadPipelineSource(await file("invalid.ts", 'export default { id: "x", tasks: [{ id: "t", type: "container_run" }] };\n'))).rejects.toThrow(ValidationError);
    await expect(loadPipelineSource(join(dir, "missing.ts"))).rejects.toThrow(/no such file/);
  });
});
