import { isRetryable, TaskFailure } from "../errors.js";
import type { PullPolicy } from "../spec/types.js";
import type { TaskExecutionContext } from "./task-handler.js";
import { uncataloguedImages } from "../images/image-access.js";
import { ImageCache } from "../images/image-cache.js";
import type { ImageEngine, RegistryLogin } from "../images/image-engine.js";
import { isInNamespace, ownEngineName } from "../images/image-namespace.js";
import { canonicalImageName, mirroredReference, parseImageReference, registryHostOf } from "../images/image-reference.js";
import { checkRegistryEgress } from "../images/registry-egress.js";

/**
 * Pulls the image a container_run or function task names when the engine lacks it,
 * following the task's `pull_policy` (`if_not_present`, `always`, `never`):
 * - the group's own image of that name, a `localhost/…` name and a bare image id are
 *   never pulled (no registry serves them);
 * - an image in the image cache counts as present (the runtime loads it from there);
 * - in offline mode (CAIRN_OFFLINE) nothing is pulled, and a missing image fails naming it;
 * - CAIRN_REGISTRY_MIRRORS sends the pull to a mirror, the image keeping its own name;
 * - the registry reached passes the egress policy, and plain HTTP only for
 *   CAIRN_INSECURE_REGISTRIES;
 * - the login is the run starter's `dockerhub` or `registry` identity for that host.
 * Resolves with the name the engine holds the image under now.
 */
export async function pullTaskImage(ctx: TaskExecutionContext, engine: ImageEngine, reference: string): Promise<string> {
  const policy: PullPolicy = ctx.profile.pull_policy ?? "if_not_present";
  const images = ctx.images ?? uncataloguedImages();
  if (/^(sha256:)?[0-9a-f]{64}$/.test(reference) || registryHostOf(reference) === "localhost") return reference;
  // The group's own image by that name (built, loaded or pulled before) runs as it is.
  const own = ownEngineName(images.groupId, reference);
  if (own !== undefined && (await engine.inspect(own))) return reference;
  // One it made or pulled before, unless the policy asks for the registry's newest.
  const made = policy === "always" ? undefined : await images.madeImage(reference);
  if (made !== undefined && (await engine.inspect(made))) return reference;

  // By its canonical name only: Podman finds a short name under any registry's name
  // (`tool:v1` as `127.0.0.1:5000/tool:v1`), and `tool:v1` is Docker Hub's, as on Docker.
  const canonical = canonicalImageName(reference);
  const present = await engine.inspect(canonical);
  if (present && policy !== "always") return canonical;
  const cache = new ImageCache(ctx.config.imageCacheDir);
  const cached = !present && ((await cache.digestOf(canonical)) ?? (await cache.digestOf(reference))) !== undefined;
  if (cached && policy !== "always") return reference;

  if (ctx.config.offline) {
    if (present || cached) {
      ctx.log("system", `offline mode (CAIRN_OFFLINE): pull_policy 'always' not followed, ${reference} is used as the ${present ? "container engine" : "image cache"} holds it`);
      return present ? canonical : reference;
    }
    throw new TaskFailure(`offline mode (CAIRN_OFFLINE): image '${reference}' is neither in the container engine nor in the image cache ${cache.dir}, and nothing is pulled; load it with \`cairn images load\``, { retryable: false });
  }
  if (policy === "never") {
    throw new TaskFailure(`image '${reference}' is not in the container engine, and the task's pull_policy is 'never': pull it first, or use pull_policy 'if_not_present'`, { retryable: false });
  }

  const registry = registryHostOf(canonical);
  const source = mirroredReference(canonical, ctx.config.registryMirrors) ?? canonical;
  const host = registryHostOf(source);
  await checkRegistryEgress(ctx.egress, host, `pull of the image ${reference}${source === canonical ? "" : ` from the mirror ${host}`}`);
  const insecure = ctx.config.insecureRegistries.includes(host);
  await requireTls(engine, host, insecure);
  const login = (await registryLogin(ctx, host)) ?? (host === registry ? undefined : await registryLogin(ctx, registry));
  ctx.log("system", `pulling ${canonical}${source === canonical ? "" : ` from the mirror ${host} (CAIRN_REGISTRY_MIRRORS)`}${insecure ? " over plain HTTP (CAIRN_INSECURE_REGISTRIES)" : ""}`);
  const mirrorNameTaken = source !== canonical && (await engine.inspect(source)) !== undefined;
  const progress = new PullProgress((line) => ctx.log("system", line));
  const pull = (as: RegistryLogin | undefined) => engine.pull(source, (line) => progress.line(line), { ...(as ? { login: { ...as, registry: host } } : {}), insecure, signal: ctx.signal });
  // Without credentials first: a public image pulled with a login the run happened to have
  // would become the group's own (image-access.ts), and other groups could no longer run it.
  let imageId: string;
  let withLogin = false;
  try {
    imageId = await pull(undefined);
  } catch (err) {
    if (!login || !(err instanceof TaskFailure) || isRetryable(err) || ctx.signal.aborted) throw err;
    ctx.log("system", `${host} refused ${canonical} without credentials: pulling it as '${login.username}'`);
    imageId = await pull(login);
    withLogin = true;
  }
  progress.end();
  // A mirror's name is not the image's: the task, the catalog and later runs know it by its own.
  if (source !== canonical) {
    await engine.tag(imageId, canonical);
    // The mirror's name is taken off again, unless the engine held it before (someone else's).
    if (!mirrorNameTaken) await engine.untag(source).catch(() => undefined);
  }
  const details = await engine.inspect(imageId);
  const digests = registryDigests(details?.repoDigests ?? [], source, canonical);
  ctx.log("system", `pulled ${canonical}: image ${imageId}${digests.length > 0 ? `, registry digest ${digests.map((d) => d.slice(d.indexOf("@") + 1)).join(", ")}` : ""}`);
  if (ctx.config.materializePulls) await materialize(ctx, engine, canonical);
  await recordPull(ctx, engine, { imageId, names: [canonical, ...digests], pulledFrom: source, owned: withLogin && heldByNoOneElse(details?.repoTags ?? [], images.groupId, [source, canonical]) });
  return canonical;
}

/**
 * The engine knew the pulled image by no name but the ones this pull gave it and the
 * group's own: a private image that is new, and the group's to keep. An image the engine
 * held already under another name (the operator's, another group's) is claimed by no
 * one, so no group can take it away from the others (as for builds, image-build-handler.ts).
 */
function heldByNoOneElse(names: string[], groupId: string, pulledAs: string[]): boolean {
  const pulled = new Set(pulledAs.map(canonicalImageName));
  return names.every((name) => pulled.has(canonicalImageName(name)) || isInNamespace(groupId, name));
}

/**
 * The engine's `repository@sha256:…` names of the pulled image for its own repository
 * (a mirror's renamed to the image's own), whatever spelling the engine keeps them in
 * (Docker keeps Docker Hub's as `busybox@…`).
 */
function registryDigests(repoDigests: string[], source: string, canonical: string): string[] {
  const repositoryOf = (reference: string) => {
    const parts = parseImageReference(reference);
    return `${parts.registry}/${parts.path}`;
  };
  const [sourceRepository, ownRepository] = [repositoryOf(source), repositoryOf(canonical)];
  const names = repoDigests
    .map((d) => ({ repository: repositoryOf(d), digest: d.slice(d.indexOf("@") + 1) }))
    .filter((d) => d.repository === sourceRepository || d.repository === ownRepository)
    .map((d) => `${ownRepository}@${d.digest}`);
  return [...new Set(names)];
}

/** CAIRN_IMAGE_CACHE=materialize: the pulled image is saved to the image cache too; a failed save is said, not fatal. */
async function materialize(ctx: TaskExecutionContext, engine: ImageEngine, name: string): Promise<void> {
  const cache = new ImageCache(ctx.config.imageCacheDir);
  try {
    const saved = await cache.save(engine, name);
    ctx.log("system", `${saved.written ? "saved" : "already had"} ${name} in the image cache: ${saved.file}`);
  } catch (err) {
    ctx.log("system", `${name} could not be saved to the image cache ${cache.dir}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function registryLogin(ctx: TaskExecutionContext, host: string): Promise<RegistryLogin | undefined> {
  const identity = await ctx.registryIdentity?.(host);
  if (!identity) return undefined;
  const { username } = identity.credentials;
  const secret = identity.credentials.token ?? identity.credentials.password ?? identity.credentials.personal_access_token;
  if (!username || !secret) throw new TaskFailure(`the ${identity.type} identity for ${host} holds no username and token or password`, { retryable: false });
  return { username, secret, registry: host };
}

/**
 * TLS is required unless the registry is in CAIRN_INSECURE_REGISTRIES; Docker decides for
 * itself (its daemon's insecure-registries), so a registry it would reach without TLS is
 * refused unless listed (as for image builds).
 */
async function requireTls(engine: ImageEngine, host: string, listed: boolean): Promise<void> {
  if (listed || !(await engine.skipsTlsOnItsOwn(host))) return;
  const { name, version } = await engine.identify();
  throw new TaskFailure(
    `the registry ${host} is not in CAIRN_INSECURE_REGISTRIES, and ${name} ${version} would reach it without TLS (its daemon's insecure-registries include it); list it in CAIRN_INSECURE_REGISTRIES to allow that`,
    { retryable: false },
  );
}

/** Pulled images are the catalog's `pulled` origin; the group owns one only when its credentials opened it and the engine lacked it. */
async function recordPull(ctx: TaskExecutionContext, engine: ImageEngine, pulled: { imageId: string; names: string[]; pulledFrom: string; owned: boolean }): Promise<void> {
  if (!ctx.recordImage) return;
  const [details, description] = await Promise.all([engine.inspect(pulled.imageId), engine.identify()]);
  const created = details ? Date.parse(details.created) : Number.NaN;
  await ctx
    .recordImage({
      digest: pulled.imageId,
      names: pulled.names,
      owned: pulled.owned,
      origin: "pulled",
      createdAt: Number.isFinite(created) ? created : Date.now(),
      architecture: details?.architecture ?? null,
      os: details?.os ?? null,
      sizeBytes: details?.size ?? null,
      builder: null,
      engine: `${description.name} ${description.version}`,
      recipe: { source: "pull", pulledFrom: pulled.pulledFrom },
    })
    .catch((err: unknown) => ctx.log("system", `image ${pulled.imageId} could not be added to the image catalog: ${err instanceof Error ? err.message : String(err)}`));
}

/**
 * A pull's progress in a few lines: per-layer messages (Docker's `LAYER: Downloading`,
 * Podman's `Copying blob …`) are counted, not logged; the rest (trying, digest, status,
 * writing the manifest) is kept.
 */
export class PullProgress {
  private readonly layers = new Set<string>();
  constructor(private readonly write: (line: string) => void) {}

  line(text: string): void {
    const trimmed = text.trim();
    if (trimmed === "") return;
    const layer = /^([0-9a-f]{12,64}): /.exec(trimmed)?.[1] ?? /^Copying blob (?:sha256:)?([0-9a-f]{12,64})/.exec(trimmed)?.[1];
    if (layer !== undefined) {
      this.layers.add(layer);
      return;
    }
    if (/^(Getting image source signatures|Storing signatures|Copying config)/.test(trimmed)) return;
    this.write(trimmed);
  }

  end(): void {
    if (this.layers.size > 0) this.write(`${this.layers.size} layer${this.layers.size === 1 ? "" : "s"} fetched or already present`);
  }
}
