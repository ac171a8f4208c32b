import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";

/**
 * The layer rules of ARCHITECTURE.md, checked on the source: no import cycles,
 * `spec` does no I/O, nothing in `engine`, `tasks` or `runtimes` knows about HTTP
 * servers or the CLI. A rule broken here is a design change to discuss, not to silence.
 */

const src = resolve(import.meta.dirname, "../packages/cairn/src");

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".suite.ts"))
    .map((e) => join(e.parentPath, e.name));
}

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+["']([^"']+)["']/gm)].map((m) => m[1]!);
}

async function violations(layer: string, forbidden: RegExp): Promise<string[]> {
  const found: string[] = [];
  for (const file of await sourceFiles(join(src, layer))) {
    for (const spec of await importsOf(file)) {
      if (forbidden.test(spec)) found.push(`${relative(src, file)} imports ${spec}`);
    }
  }
  return found;
}

describe("architecture", () => {
  it("has no import cycles", async () => {
    const graph = await madge(src, { fileExtensions: ["ts"], excludeRegExp: [/\.test\.ts$/], tsConfig: join(src, "../tsconfig.json") });
    expect(graph.circular()).toEqual([]);
    // madge parses the whole tree: about 5 s alone, over 30 s on a machine busy with other tests.
  }, 120_000);

  it("keeps spec pure: no file system, processes, network or store", async () => {
    expect(await violations("spec", /^(node:)?(fs|fs\/promises|child_process|net|http|https|dgram|os)$|\/(store|engine|runtimes|tasks|cli)\//)).toEqual([]);
  });

  it("keeps the API client apart from the server: it knows the API only by its OpenAPI types", async () => {
    expect(await violations("client", /\/(api|engine|store|runtimes|tasks|cli|secrets|auth)\//)).toEqual([]);
  });

  it("keeps HTTP and the CLI out of the engine, tasks and runtimes", async () => {
    for (const layer of ["engine", "tasks", "runtimes", "store"]) {
      expect(await violations(layer, /^(node:)?http$|\/(api|cli)\//)).toEqual([]);
    }
  });
});
