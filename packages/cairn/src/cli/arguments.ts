import { ValidationError } from "../errors.js";
import { ID_PATTERN, ID_RULE } from "../spec/schema.js";
import { parseRunIdText } from "../store/run-lookup.js";

/** Parsing of the CLI's own argument forms; pure, so unit-tested without a process. */

export interface PipelineRef {
  groupId: string;
  pipelineId: string;
}

/** Extensions that always mean a local file, even when no such file exists (then it is reported missing). */
const PIPELINE_FILE = /\.(json|ya?ml|[mc]?[jt]s)$/i;

const isId = (text: string) => text.length <= 128 && ID_PATTERN.test(text);

/** `GROUP/PIPELINE`, or undefined when the text is not of that form. */
export function pipelineRefOf(text: string): PipelineRef | undefined {
  const parts = text.split("/");
  if (parts.length !== 2 || !parts.every(isId)) return undefined;
  return { groupId: parts[0]!, pipelineId: parts[1]! };
}

/**
 * Whether `cairn run ARG` runs a local file rather than a server's pipeline: an existing
 * file, a name with a pipeline file's extension, or anything that is not GROUP/PIPELINE.
 */
export function isLocalPipelineArgument(arg: string, fileExists: (path: string) => boolean): boolean {
  return fileExists(arg) || PIPELINE_FILE.test(arg) || pipelineRefOf(arg) === undefined;
}

/** `cairn runs [GROUP[/PIPELINE]]`: nothing (every group), a group, or one pipeline. */
export function parseRunsScope(text: string | undefined): { groupId?: string; pipelineId?: string } {
  if (text === undefined) return {};
  if (isId(text)) return { groupId: text };
  const ref = pipelineRefOf(text);
  if (ref === undefined) throw new ValidationError("the runs to list", [{ path: text, message: `expected GROUP or GROUP/PIPELINE; each id ${ID_RULE}` }]);
  return ref;
}

export function parseGroupId(text: string): string {
  if (!isId(text)) throw new ValidationError("--group", [{ path: text, message: `a group id ${ID_RULE}` }]);
  return text;
}

export function parsePipelineRef(text: string): PipelineRef {
  const ref = pipelineRefOf(text);
  if (ref === undefined) throw new ValidationError("the pipeline", [{ path: text, message: `expected GROUP/PIPELINE; each id ${ID_RULE}` }]);
  return ref;
}

/** A run's uuid or a unique prefix of it (8+ characters), lowercased; the server or the data dir resolves a prefix. */
export function parseRunUuid(text: string): string {
  const parsed = parseRunIdText(text);
  return "uuid" in parsed ? parsed.uuid : parsed.prefix;
}

/** `--param KEY=VALUE`, repeated; the value may contain `=`. */
export function parseParams(pairs: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new ValidationError("--param", [{ path: pair, message: "expected KEY=VALUE" }]);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}

export function parsePositiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ValidationError(name, [{ path: text, message: "expected a whole number of at least 1" }]);
  return n;
}
