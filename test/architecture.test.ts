import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";

/**
 * The layer rules of ARCHITECTURE.md, checked on the source: a table of ranks that
 * imports may only go down, no import cycles, `spec` does no I/O, nothing in `engine`,
 * `tasks` or `runtimes` knows about HTTP servers or the CLI. A rule broken here is a
 * design change to discuss, not to silence.
 */

/**
 * The layers of packages/cairn/src, lowest first: a file may import its own layer and
 * those listed before it, never one listed after it (type-only imports too: a type
 * pulls its module's layer into the reader's picture). A folder or top-level file that
 * is not listed fails the test, so a new one is placed here on purpose.
 */
const LAYERS: readonly (readonly string[])[] = [
  // Helpers everything may use: typed errors, ids, folder walks, the usage record, finding programs.
  ["errors.ts", "ids.ts", "folder-entries.ts", "link-tree.ts", "resource-usage.ts", "executables.ts", "version.ts"],
  ["spec"], // the pipeline definition: schemas, validation, DAG checks; no I/O
  ["net"], // the egress policy
  ["config.ts"],
  ["workspace"], // the data directory's layout: run folders, attempt files, results, inbox
  ["store"],
  ["secrets"],
  ["auth"],
  ["docker-api"], // the Docker Engine API endpoint (Docker or Podman) and its errors
  ["images"], // the image engine, cache and catalog, over the Docker Engine API
  ["runtimes"], // where a task's process runs: the host or a container
  ["actors"], // actors' executions (Abaco's), queued in the store and run on the container runtime
  ["tasks"],
  ["engine"],
  ["archives"],
  ["triggers"],
  ["open-cairn.ts"], // wires the engine, runtimes, image engine and store together
  ["api"],
  ["cli"],
  ["index.ts"],
];

/** The API client stands apart: it knows the server only by its OpenAPI types, and only the CLI uses it. */
const CLIENT = "client";
const CLIENT_MAY_IMPORT = LAYERS[0]!;
const CLIENT_USERS = ["cli", "index.ts"];

const src = resolve(import.meta.dirname, "../packages/cairn/src");
const webSrc = resolve(import.meta.dirname, "../packages/web/src");
/** The one file of the server's package the web UI may import (its types): the generated OpenAPI paths. */
const WEB_MAY_IMPORT = join(src, "client/openapi-types.ts");

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && !e.name.endsWith(".suite.ts"))
    .map((e) => join(e.parentPath, e.name));
}

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, "utf8");
  const statics = [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+["']([^"']+)["']/gm)].map((m) => m[1]!);
  const dynamics = [...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
  return [...statics, ...dynamics];
}

/** The layer a source path (relative to src) belongs to: its first folder, or the file itself at the top. */
function layerOf(path: string): string {
  return path.split(/[\\/]/)[0]!;
}

function rankOf(layer: string): number | undefined {
  const rank = LAYERS.findIndex((names) => names.includes(layer));
  return rank === -1 ? undefined : rank;
}

/** Every import that goes up the table, or into or out of the client where it may not. */
async function layerViolations(): Promise<string[]> {
  const found: string[] = [];
  for (const file of await sourceFiles(src)) {
    const from = relative(src, file);
    const fromLayer = layerOf(from);
    const fromRank = rankOf(fromLayer);
    if (fromRank === undefined && fromLayer !== CLIENT) {
      found.push(`${from} is in no layer: place '${fromLayer}' in LAYERS`);
      continue;
    }
    for (const spec of await importsOf(file)) {
      if (!spec.startsWith(".")) continue;
      const target = relative(src, resolve(dirname(file), spec));
      if (target.startsWith("..")) continue; // outside src: the package's own scripts and tests
      const toLayer = layerOf(target.replace(/\.js$/, ".ts"));
      if (toLayer === fromLayer) continue;
      const what = `${from} (${fromLayer}) imports ${spec} (${toLayer})`;
      if (fromLayer === CLIENT) {
        if (!CLIENT_MAY_IMPORT.includes(toLayer)) found.push(`${what}: the client imports only ${CLIENT_MAY_IMPORT.join(", ")}`);
      } else if (toLayer === CLIENT) {
        if (!CLIENT_USERS.includes(fromLayer)) found.push(`${what}: only ${CLIENT_USERS.join(" and ")} use the client`);
      } else {
        const toRank = rankOf(toLayer);
        if (toRank === undefined) found.push(`${what}: '${toLayer}' is in no layer`);
        else if (toRank > fromRank!) found.push(`${what}: a lower layer imports a higher one`);
      }
    }
  }
  return found.sort();
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
  it("imports only down the table of layers", async () => {
    expect(await layerViolations()).toEqual([]);
  });

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

  it("keeps the web UI apart from the server: from packages/cairn it imports the generated API types only", async () => {
    const found: string[] = [];
    for (const file of await sourceFiles(webSrc)) {
      for (const spec of await importsOf(file)) {
        const target = spec.startsWith(".") ? resolve(dirname(file), spec).replace(/\.js$/, ".ts") : spec;
        const intoServer = target.startsWith(resolve(src, "..")) || /^cairn(\/|$)/.test(spec) || /packages\/cairn\//.test(spec);
        if (intoServer && target !== WEB_MAY_IMPORT) found.push(`${relative(webSrc, file)} imports ${spec}`);
      }
    }
    expect(found).toEqual([]);
  });

  it("keeps HTTP and the CLI out of the engine, tasks and runtimes", async () => {
    for (const layer of ["engine", "tasks", "runtimes", "store"]) {
      expect(await violations(layer, /^(node:)?http$|\/(api|cli)\//)).toEqual([]);
    }
  });
});
