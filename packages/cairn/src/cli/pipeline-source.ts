import { readFile } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CairnError, describeError, isCairnError } from "../errors.js";
import { parsePipeline, parsePipelineText } from "../spec/index.js";
import type { Pipeline } from "../spec/types.js";

/** Files loaded as modules whose default export is the pipeline; any other file is JSON or YAML text. */
const MODULE_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"]);

/**
 * A pipeline from a file: JSON or YAML text, or a TypeScript or JavaScript module whose
 * default export is the pipeline, a plain object or anything with `toJSON()` (the SDK's
 * builder). Checked by the same validator as the server's, so mistakes are listed with
 * their paths before anything is sent.
 * @throws CairnError `invalid_input` for an unreadable file or module; ValidationError for an invalid pipeline.
 */
export async function loadPipelineSource(file: string): Promise<Pipeline> {
  if (MODULE_EXTENSIONS.has(extname(file).toLowerCase())) return parsePipeline(await defaultExport(file), file);
  return parsePipelineText(await readPipelineFile(file), file);
}

export async function readPipelineFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : describeError(error);
    throw new CairnError("invalid_input", `cannot read pipeline file '${file}': ${reason}`, { cause: error });
  }
}

async function defaultExport(file: string): Promise<unknown> {
  await readPipelineFile(file); // the same message as for text files when it is missing
  let module: { default?: unknown };
  try {
    // Node 20 cannot strip types, so TypeScript goes through tsx, loaded only when needed.
    const { tsImport } = await import("tsx/esm/api");
    module = (await tsImport(pathToFileURL(resolve(file)).href, import.meta.url)) as { default?: unknown };
  } catch (error) {
    throw new CairnError("invalid_input", `cannot load pipeline module '${file}': ${describeError(error)}`, { cause: error });
  }
  let value = module.default;
  // A .ts file outside an ESM package is loaded as CommonJS: its exports come wrapped once more.
  if (isObject(value) && value.__esModule === true) value = value.default;
  if (value === undefined) {
    throw new CairnError("invalid_input", `pipeline module '${file}' has no default export; end it with \`export default pipeline("...")...\``);
  }
  try {
    // JSON's own rule: toJSON() where there is one (the SDK's builder), at every level.
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch (error) {
    // The SDK's builder throws its ValidationError, with every problem's path.
    if (isCairnError(error)) throw error;
    throw new CairnError("invalid_input", `the default export of '${file}' is not a pipeline: ${describeError(error)}`, { cause: error });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
