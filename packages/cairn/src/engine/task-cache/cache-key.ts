import { createHash } from "node:crypto";
import { CACHEABLE_TASK_TYPES, type EnvValue, type ExecutionProfile, type Pipeline, type Task, type ValueFrom } from "../../spec/types.js";

/**
 * The task cache's key: the sha256 of everything that determines a task's result
 * (docs/task-cache.md). Changing what goes in, or how, changes CACHE_FORMAT_VERSION, so
 * entries made under the old rules are never mistaken for new ones.
 */
export const CACHE_FORMAT_VERSION = 1;

export interface CacheKeyParts {
  /** Entries are a group's own: the same task in another group never finds them. */
  groupId: string;
  /**
   * And a pipeline's: `cairn cache clear --pipeline P` then clears what P's runs use and
   * nothing another pipeline relies on, and what one pipeline made (perhaps from inputs
   * it alone may read: secrets are granted per pipeline) never serves another.
   */
  pipelineId: string;
  task: Task;
  profile: ExecutionProfile;
  /** The resolved input values, by name. */
  inputs: Record<string, string>;
  /** The task's attachments (its /inbox), by path: `sha256:…` of each file's bytes. */
  inputFiles: Record<string, string>;
  /** The id of the image the task runs in; null for a host process or a request. */
  imageDigest: string | null;
}

/**
 * Fields that cannot change what a task computes. Everything else of the task is in the
 * key, fields added later included: a field forgotten here costs a miss, never a wrong hit.
 * `input` is replaced by its resolved values (the same value from another source is the
 * same input); `execution_profile` by the runtime, the one field that changes where and
 * how the process runs (retries, timeouts and the cache settings themselves do not).
 */
const NOT_IN_KEY = new Set(["description", "depends_on", "conditions", "execution_profile", "input"]);

export function taskCacheKey(parts: CacheKeyParts): string {
  const definition = Object.fromEntries(Object.entries(parts.task).filter(([name]) => !NOT_IN_KEY.has(name)));
  const keyed = {
    format: CACHE_FORMAT_VERSION,
    group: parts.groupId,
    pipeline: parts.pipelineId,
    task: definition,
    input_types: Object.fromEntries(Object.entries(parts.task.input).map(([name, spec]) => [name, spec.type])),
    runtime: parts.profile.runtime,
    inputs: parts.inputs,
    input_files: parts.inputFiles,
    image: parts.imageDigest,
  };
  return `sha256:${createHash("sha256").update(canonicalJson(keyed)).digest("hex")}`;
}

/** JSON with object keys sorted at every level, so equal values hash the same whatever order they were written in. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/**
 * Why a task asking for the cache is not cached, or undefined when it is. A task that reads
 * a secret or gets an API token is never cached: the key would have to hold the secret (a
 * hash of a short secret can be guessed offline), and an entry would hand its outputs,
 * made with one user's credentials, to anyone of the group who runs the same definition.
 */
export function cacheRefusal(task: Task, pipeline: Pick<Pipeline, "env">): string | undefined {
  if (!CACHEABLE_TASK_TYPES.includes(task.type)) return `${task.type} tasks are not cached (their result is not outputs and files)`;
  if ("inject_api_token" in task && task.inject_api_token) return "the task gets an API token (inject_api_token)";
  for (const [name, spec] of Object.entries(task.input)) {
    const from = spec.value_from;
    if (from === undefined) continue;
    const secret = secretBehind(from, pipeline);
    if (secret !== undefined) return `input '${name}' reads the secret '${secret}'`;
  }
  return undefined;
}

/** The secret a value_from reads, directly or through pipeline env variables that name one another. */
function secretBehind(from: ValueFrom, pipeline: Pick<Pipeline, "env">): string | undefined {
  const seen = new Set<string>();
  let current: ValueFrom | undefined = from;
  while (current !== undefined) {
    if ("secret" in current) return current.secret;
    if (!("env" in current) || seen.has(current.env)) return undefined;
    seen.add(current.env);
    const value: EnvValue | undefined = pipeline.env[current.env];
    current = typeof value === "object" && value !== null ? value.value_from : undefined;
  }
  return undefined;
}
