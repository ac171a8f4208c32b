import type { CairnConfig } from "../config.js";
import { describeError, type Issue } from "../errors.js";
import { ImageCache } from "../images/image-cache.js";
import type { ImageEngine } from "../images/image-engine.js";
import { canonicalImageName, parseImageReference, registryHostOf } from "../images/image-reference.js";
import type { Pipeline } from "../spec/types.js";

/**
 * What `cairn validate` warns about beyond the format: things that are not errors, since
 * a server (or a later `docker pull`) may mend them, but that would fail a run here.
 */

/** How long one image's pull may take before validate gives up on it (a warning, not an error). */
const PULL_CHECK_MS = 120_000;

/**
 * The params the tasks read (`value_from: {params: NAME}` in inputs and the pipeline env,
 * `{args: NAME}` in conditions) that the pipeline does not declare. With declared params
 * such a param can never be given (a run with it is refused); without, runs are not
 * checked up front.
 */
export function undeclaredParamWarnings(pipeline: Pipeline): Issue[] {
  const declared = pipeline.params;
  const warnings: Issue[] = [];
  for (const { name, path } of paramsRead(pipeline)) {
    if (declared?.[name] !== undefined) continue;
    warnings.push({
      path,
      message:
        declared === undefined
          ? `reads the param '${name}', which the pipeline does not declare: declare it under params so a run without it is refused up front`
          : `reads the param '${name}', which the pipeline's params do not declare: a run can never give it (declared: ${Object.keys(declared).join(", ") || "none"})`,
    });
  }
  return warnings;
}

function paramsRead(pipeline: Pipeline): { name: string; path: string }[] {
  const found: { name: string; path: string }[] = [];
  const walk = (value: unknown, path: string, inConditions: boolean) => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${path}[${i}]`, inConditions));
    if (typeof value !== "object" || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      const at = path === "" ? key : `${path}.${key}`;
      if (key === "value_from" && typeof (inner as { params?: unknown })?.params === "string") found.push({ name: (inner as { params: string }).params, path: at });
      else if (key === "args" && inConditions && typeof inner === "string") found.push({ name: inner, path: at });
      else walk(inner, at, inConditions || key === "conditions");
    }
  };
  walk({ env: pipeline.env }, "", false);
  pipeline.tasks.forEach((task, i) => walk({ input: task.input, conditions: task.conditions }, `tasks[${i}]`, false));
  return found;
}

/**
 * The container_run images that are neither in the container engine (or the image cache)
 * nor pullable: each missing one is pulled, as a run would, and a failed pull is the
 * warning, with the engine's reason. Images the pipeline builds itself are skipped.
 */
export async function imageWarnings(pipeline: Pipeline, config: CairnConfig, connect: () => Promise<ImageEngine>): Promise<Issue[]> {
  const built = new Set(
    pipeline.tasks.flatMap((t) => (t.type === "image_build" && t.destination.url !== undefined ? [repositoryOf(t.destination.url)] : [])),
  );
  const images = new Map<string, string>();
  pipeline.tasks.forEach((task, i) => {
    if (task.type !== "container_run") return;
    const reference = task.image_tag !== undefined ? `${task.image}:${task.image_tag}` : task.image;
    if (built.has(repositoryOf(reference))) return;
    if (!images.has(reference)) images.set(reference, `tasks[${i}].image`);
  });
  if (images.size === 0) return [];
  let engine: ImageEngine;
  try {
    engine = await connect();
  } catch (err) {
    return [{ path: "(images)", message: `could not check the images: the container engine does not answer (${describeError(err)})` }];
  }
  const cache = new ImageCache(config.imageCacheDir);
  const warnings: Issue[] = [];
  for (const [reference, path] of images) {
    const canonical = canonicalImageName(reference);
    if ((await engine.inspect(canonical)) || (await engine.inspect(reference)) || (await cache.digestOf(canonical)) !== undefined) continue;
    if (/^(sha256:)?[0-9a-f]{64}$/.test(reference) || registryHostOf(reference) === "localhost") {
      warnings.push({ path, message: `image '${reference}' is not in the local container engine, and a localhost/ image is never pulled` });
      continue;
    }
    if (config.offline) {
      warnings.push({ path, message: `image '${reference}' is not in the local container engine nor the image cache, and nothing is pulled offline (CAIRN_OFFLINE)` });
      continue;
    }
    try {
      await engine.pull(canonical, () => undefined, { insecure: config.insecureRegistries.includes(registryHostOf(canonical)), signal: AbortSignal.timeout(PULL_CHECK_MS) });
    } catch (err) {
      warnings.push({ path, message: `image '${reference}' is not available locally and cannot be pulled: ${describeError(err)}` });
    }
  }
  return warnings;
}

/** `registry/path` without the tag: what an image_build destination and a task's image share. */
function repositoryOf(reference: string): string {
  const parts = parseImageReference(reference);
  return `${parts.registry}/${parts.path}`;
}
