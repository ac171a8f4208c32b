import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import tarFs from "tar-fs";
import { isRetryable, TaskFailure } from "../../errors.js";
import { findExecutable } from "../../executables.js";
import type { ImageEngine, RegistryLogin } from "../../images/image-engine.js";
import { baseImagesOf, renameBaseImages } from "../../images/base-images.js";
import { checkImageAccess, uncataloguedImages, type GroupImages } from "../../images/image-access.js";
import { isInNamespace, localName, namespacePrefix, ownEngineName } from "../../images/image-namespace.js";
import { BuildFailure, isBuildFailure } from "../../images/build-failure.js";
import { prepareSource, type RecipeRecord, type SourceSpec } from "../../images/build-source.js";
import { ImageCache } from "../../images/image-cache.js";
import { plainHttpAdvice, plainHttpRegistryIn } from "../../images/plain-http-registry.js";
import { checkRegistryEgress } from "../../images/registry-egress.js";
import { canonicalImageName, registryHostOf } from "../../images/image-reference.js";
import { pullTaskImage } from "../task-image-pull.js";
import { SecretMasker } from "../../secrets/secret-masker.js";
import type { ImageBuildContext, ImageBuildDestination, ImageBuildTask, InlineCredentials } from "../../spec/types.js";
import type { TaskExecutionContext, TaskHandler, TaskOutcome } from "../task-handler.js";

/**
 * image_build (tapis-workflows.txt, "Image Build"): gets the recipe (a git clone, an
 * inline Dockerfile, or an image to pull and retag), builds it on the container engine,
 * then pushes it to its destination or keeps it in the engine for later tasks. Outputs
 * `image` (the full reference), `digest` (the registry's manifest digest once pushed,
 * else the image id), `tag` and `image_id`.
 */

/** Identity types that may open each kind of source or destination. */
const GIT_IDENTITIES = ["github", "git"];
const REGISTRY_IDENTITIES = ["dockerhub", "registry"];

export interface BuiltImage {
  imageId: string;
  /** The name the task's output gives: the engine's namespaced name for a local image, the registry's name for a pushed one. */
  reference: string;
  /** Every name the group knows the image by, for the catalog. */
  names: string[];
  /** The group made the image and the engine held it under no one else's name (ImageRecord.owned). */
  owned: boolean;
  tag: string;
  /** The manifest digest in the registry; absent for an image kept locally. */
  pushedDigest?: string;
  recipe?: RecipeRecord & { buildArgs: Record<string, string> };
  /** For a pull-and-retag: the reference it was pulled from. */
  pulledFrom?: string;
}

export const imageBuildHandler: TaskHandler<ImageBuildTask> = {
  type: "image_build",
  async run(ctx) {
    const built = await buildImage(ctx);
    return outcomeOf(built);
  },
};

export function outcomeOf(built: BuiltImage): TaskOutcome {
  return { outputs: { image: built.reference, digest: built.pushedDigest ?? built.imageId, tag: built.tag, image_id: built.imageId } };
}

export async function buildImage(ctx: TaskExecutionContext<ImageBuildTask>): Promise<BuiltImage> {
  const { task } = ctx;
  await checkBuilder(task.builder);
  if (!ctx.runtimes.images) throw new TaskFailure("image builds need a container engine, and this Cairn has none configured", { retryable: false });
  const engine = await ctx.runtimes.images();
  const directives = ctx.directives ?? {};
  // Said before anything is built or tagged: the push would fail at the end anyway.
  if (ctx.config.offline && task.destination.type !== "local" && directives.no_push === undefined) {
    throw new TaskFailure(`offline mode (CAIRN_OFFLINE): nothing can be pushed to a ${task.destination.type} destination; use a local destination or the no_push directive`, { retryable: false });
  }

  const contextLogin = await loginFor(ctx, task.context, "context");
  const destinationLogin = task.destination.type === "local" ? undefined : await loginFor(ctx, task.destination, "destination");
  // Credentials are not printed by git or the engine, but a recipe may echo a build arg.
  const secrets = [contextLogin?.secret, destinationLogin?.secret].filter((s): s is string => s !== undefined);
  const masker = secrets.length > 0 ? new SecretMasker(secrets) : undefined;
  const log = (line: string) => ctx.log("stdout", masker ? masker.mask(line) : line);
  const note = (line: string) => ctx.log("system", masker ? masker.mask(line) : line);
  try {
    return await buildWith(ctx, engine, { contextLogin, destinationLogin, log, note });
  } catch (err) {
    // Inline credentials too never reach a stored message (the engine masks identities' and secret inputs' values itself).
    if (masker && err instanceof Error) err.message = masker.mask(err.message);
    throw err;
  }
}

async function buildWith(
  ctx: TaskExecutionContext<ImageBuildTask>,
  engine: ImageEngine,
  { contextLogin, destinationLogin, log, note }: { contextLogin: RegistryLogin | undefined; destinationLogin: RegistryLogin | undefined; log: (line: string) => void; note: (line: string) => void },
): Promise<BuiltImage> {
  const { task } = ctx;
  const directives = ctx.directives ?? {};
  // Said before anything is built: the push would be refused at the end anyway.
  if (task.destination.type !== "local" && directives.no_push === undefined) {
    const host = destinationHost(ctx, task.destination);
    await checkRegistryEgress(ctx.egress, host, `push to ${host} (destination)`);
    await requireTls(ctx, engine, host, `the destination registry ${host}`);
  }

  const images = ctx.images ?? uncataloguedImages();
  // `localhost/…` is the engine's own images (the operator's among them), which no registry serves.
  if (task.destination.type !== "local" && destinationHost(ctx, task.destination) === "localhost") {
    throw new TaskFailure("destination.host: 'localhost' names the container engine's own images, not a registry; use a local destination, or give the registry's port (localhost:5000)", { retryable: false });
  }
  // Offline, a context of `localhost/…` copies an image of the engine, checked like any other (materialized).
  if (task.context.type === "registry" && task.context.host === "localhost" && !ctx.config.offline) {
    throw new TaskFailure("context.host: 'localhost' names the container engine's own images, not a registry; give the registry's port (localhost:5000)", { retryable: false });
  }
  const workDir = join(ctx.paths.root, "image-build");
  await mkdir(workDir, { recursive: true });
  try {
    let imageId: string;
    /** Whether what this task made may be the group's own (a build, a pull with credentials). */
    let claimable = false;
    let recipe: BuiltImage["recipe"];
    let pulledFrom: string | undefined;
    if (task.context.type === "dockerhub" || task.context.type === "registry") {
      pulledFrom = sourceReference(ctx, task.context);
      const host = registryOf(pulledFrom);
      if (ctx.config.offline) {
        imageId = await materialized(ctx, engine, images, pulledFrom);
        note(`offline mode: using ${pulledFrom} (${imageId}) from the engine or the image cache, not the registry`);
      } else {
        await checkRegistryEgress(ctx.egress, host, `pull of ${pulledFrom} (context)`);
        await requireTls(ctx, engine, host, `the registry ${host}`);
        note(`pulling ${pulledFrom}`);
        const before = await engine.inspect(pulledFrom);
        imageId = await engine.pull(pulledFrom, log, { ...loginOption(contextLogin, host), insecure: isInsecure(ctx, host), signal: ctx.signal });
        // A private image (pulled with credentials) is the group's to keep, unless the engine held it already.
        claimable = contextLogin !== undefined && before?.id !== imageId;
      }
    } else {
      const source = await prepareSource(sourceSpec(ctx, task.context, contextLogin), workDir, { signal: ctx.signal, onLine: note, egress: ctx.egress }).catch((err: unknown) => {
        // A missing repository, branch or Dockerfile is the recipe's fault, like a failing RUN step.
        if (err instanceof TaskFailure && !isRetryable(err) && !ctx.signal.aborted) throw new BuildFailure(err.message, { cause: err });
        throw err;
      });
      if (source.recipe.commit) note(`checked out ${source.recipe.gitUrl} at ${source.recipe.commit} (${source.recipe.branch})`);
      const buildArgs = { ...ctx.inputs, ...(task.build_args ?? {}) };
      const noCache = directives.nocache !== undefined ? true : directives.cache !== undefined ? false : task.cache === false;
      recipe = { ...source.recipe, buildArgs: recordedBuildArgs(task, buildArgs) };
      const dockerfilePath = join(source.contextDir, source.dockerfile);
      const dockerfile = await readFile(dockerfilePath, "utf8");
      // The group's own images by the names it gave them; anyone else's only if it may run them.
      const renames = await baseImageNames(engine, images, baseImagesOf(dockerfile, buildArgs));
      if (renames.size > 0) {
        await writeFile(dockerfilePath, renameBaseImages(dockerfile, buildArgs, (image) => renames.get(image)));
        for (const [base, own] of renames) note(`FROM ${base}: the group's own image ${own}`);
      }
      const bases = baseImagesOf(await readFile(dockerfilePath, "utf8"), buildArgs);
      // A FROM line may name an image of the destination registry, private like the push.
      const fromLogins = destinationLogin && task.destination.type !== "local" ? [{ ...destinationLogin, registry: destinationHost(ctx, task.destination) }] : [];
      if (ctx.config.offline) {
        // Each FROM image from the engine or the cache, or a clear refusal before the engine would pull it.
        for (const base of bases) {
          const id = await materialized(ctx, engine, images, base, "the base image");
          note(`offline mode: base image ${base} (${id}) from the engine or the image cache, nothing is pulled`);
        }
      } else {
        await pullBaseImagesAhead(ctx, engine, bases, fromLogins, { log, note });
      }
      note(`building with ${describeBuilder(task.builder, await engine.identify())}${noCache ? ", without the layer cache" : ""}`);
      imageId = await engine.build(
        {
          context: tarFs.pack(source.contextDir),
          dockerfile: source.dockerfile,
          tags: [],
          buildArgs,
          ...(task.target !== undefined ? { target: task.target } : {}),
          noCache,
          labels: provenanceLabels(source.recipe),
          logins: fromLogins,
          neverPull: ctx.config.offline,
        },
        log,
        ctx.signal,
      ).catch(async (err: unknown) => {
        // A FROM registry that answered plain HTTP: the server's configuration to change, not the recipe.
        const plainHttp = isBuildFailure(err) ? plainHttpRegistryIn(err.message) : undefined;
        if (plainHttp !== undefined) {
          throw new TaskFailure(`${plainHttpAdvice(`the registry ${plainHttp} of a FROM image`, plainHttp, await engine.identify(), isInsecure(ctx, plainHttp))}: ${err instanceof Error ? err.message : String(err)}`, { retryable: false, cause: err });
        }
        // A FROM the check above could not read (an ARG set later): the engine's "image not known", in offline words.
        if (ctx.config.offline && isBuildFailure(err) && /image not known|no such image|not found/i.test(err.message)) {
          throw new TaskFailure(`offline mode (CAIRN_OFFLINE): a base image of the build is not in the container engine, and nothing is pulled: ${err.message}`, { retryable: false, cause: err });
        }
        throw err;
      });
      claimable = true;
    }

    // Asked before the image gets the group's names: an image the engine already knew
    // by another group's or the operator's name is not this group's to keep.
    const owned = claimable && (await madeFresh(engine, images, imageId, pulledFrom));
    const tag = tagFor(ctx, recipe?.commit);
    const names = destinationNames(ctx, images, task.destination, tag);
    await engine.tag(imageId, names.engine);
    note(`tagged ${imageId} as ${names.engine}`);
    const built: BuiltImage = { imageId, reference: names.output, names: names.catalog, owned, tag, ...(recipe ? { recipe } : {}), ...(pulledFrom ? { pulledFrom } : {}) };

    const pushTo = task.destination.type === "local" ? undefined : registryOf(names.output);
    if (pushTo !== undefined && directives.no_push !== undefined) {
      note(`no_push directive: kept in the engine as ${names.engine}, not pushed to ${names.output}`);
    } else if (pushTo !== undefined) {
      note(`pushing ${names.output}`);
      built.pushedDigest = await pushAs(engine, imageId, names.output, () =>
        engine.push(names.output, log, { ...loginOption(destinationLogin, pushTo), insecure: isInsecure(ctx, pushTo), signal: ctx.signal }),
      );
      note(`pushed ${names.output} with digest ${built.pushedDigest}`);
    }
    if (task.destination.type === "local" && task.destination.filename) {
      const format = task.destination.archive_format ?? "oci-archive";
      await engine.save(names.engine, join(ctx.paths.outputs, task.destination.filename), format);
      note(`saved ${names.engine} as the ${format} output file ${task.destination.filename}`);
    }
    ctx.usedImage?.(imageId);
    await catalog(ctx, engine, built);
    return built;
  } finally {
    // The build's own outcome is what the task reports; a work folder left over costs only disk.
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * FROM images of registries listed in CAIRN_INSECURE_REGISTRIES are pulled before the
 * build, each with TLS off for its own registry only. Podman's /build takes one
 * `tlsVerify` for every registry the build reaches (checked on Podman 4.3: without it a
 * plain-HTTP FROM fails with "server gave HTTP response to HTTPS client", with it TLS is
 * off for the TLS registries of the same Dockerfile too), and Docker's takes none. Both
 * engines then use the image they have: a FROM image is pulled only when it is missing.
 * A missing one of an unlisted registry that Docker would reach without TLS is refused.
 */
async function pullBaseImagesAhead(
  ctx: TaskExecutionContext<ImageBuildTask>,
  engine: ImageEngine,
  bases: string[],
  logins: RegistryLogin[],
  { log, note }: { log: (line: string) => void; note: (line: string) => void },
): Promise<void> {
  for (const base of bases) {
    if (await pullsAsTaskImage(ctx, engine, base)) {
      await pullTaskImage(ctx, engine, base);
      continue;
    }
    const host = registryOf(base);
    // Only a missing image is pulled (see above), so only then is its registry reached.
    if (host !== "localhost" && !(await engine.inspect(base))) await checkRegistryEgress(ctx.egress, host, `pull of the base image ${base} (FROM)`);
    if (!isInsecure(ctx, host)) {
      // `localhost/…` names local images (Cairn's own among them), which no registry serves.
      if (host === "localhost") continue;
      if ((await engine.skipsTlsOnItsOwn(host)) && !(await engine.inspect(base))) await requireTls(ctx, engine, host, `the registry ${host} of the base image ${base}`);
      continue;
    }
    const login = logins.find((l) => l.registry === host);
    note(`pulling the base image ${base} from ${host} over plain HTTP (CAIRN_INSECURE_REGISTRIES)${login ? ` as '${login.username}'` : ""}`);
    await engine.pull(base, log, { ...(login ? { login } : {}), insecure: true, signal: ctx.signal }).catch((err: unknown) => {
      // A FROM image that is not there, or not for these credentials, is the recipe's fault, as in the build itself.
      if (err instanceof TaskFailure && !isRetryable(err) && !ctx.signal.aborted) throw new BuildFailure(`the base image ${base}: ${err.message}`, { cause: err });
      throw err;
    });
  }
}

/**
 * A missing FROM image is pulled before the build as a task's image is
 * (../task-image-pull.ts) when its registry has a mirror (CAIRN_REGISTRY_MIRRORS), the
 * user who started the run has an identity for its registry, or the pull_policy is
 * `never` (which then fails naming it): the engine's build would pull it from the
 * registry itself, without the mirror or the login, or despite the policy.
 */
async function pullsAsTaskImage(ctx: TaskExecutionContext<ImageBuildTask>, engine: ImageEngine, base: string): Promise<boolean> {
  const host = registryHostOf(base);
  if (host === "localhost" || (await engine.inspect(canonicalImageName(base))) || (await engine.inspect(base))) return false;
  if (Object.hasOwn(ctx.config.registryMirrors, host) || ctx.profile.pull_policy === "never") return true;
  return (await ctx.registryIdentity?.(host)) !== undefined;
}

/**
 * TLS is required unless a registry is in CAIRN_INSECURE_REGISTRIES. Podman is told so
 * with every request; Docker decides for itself (127.0.0.0/8 without TLS by default), so
 * a registry it would reach without TLS is refused here unless it is listed.
 */
async function requireTls(ctx: TaskExecutionContext<ImageBuildTask>, engine: ImageEngine, host: string, subject: string): Promise<void> {
  if (isInsecure(ctx, host) || !(await engine.skipsTlsOnItsOwn(host))) return;
  const { name, version } = await engine.identify();
  throw new TaskFailure(
    `${subject} is not in CAIRN_INSECURE_REGISTRIES, and ${name} ${version} would reach it without TLS (its daemon's insecure-registries include it); list it in CAIRN_INSECURE_REGISTRIES to allow that`,
    { retryable: false },
  );
}

/** Records what was built or pulled, with its names, recipe, builder and engine, in the image catalog. */
async function catalog(ctx: TaskExecutionContext<ImageBuildTask>, engine: ImageEngine, built: BuiltImage): Promise<void> {
  if (!ctx.recordImage) return;
  const [details, description] = await Promise.all([engine.inspect(built.imageId), engine.identify()]);
  const created = details ? Date.parse(details.created) : Number.NaN;
  const names = [...built.names];
  if (built.pushedDigest) names.push(`${built.reference.slice(0, built.reference.lastIndexOf(":"))}@${built.pushedDigest}`);
  await ctx.recordImage({
    digest: built.imageId,
    names,
    owned: built.owned,
    origin: built.pulledFrom ? "pulled" : "built",
    createdAt: Number.isFinite(created) ? created : Date.now(),
    architecture: details?.architecture ?? null,
    os: details?.os ?? null,
    sizeBytes: details?.size ?? null,
    builder: built.pulledFrom ? null : ctx.task.builder,
    engine: `${description.name} ${description.version}`,
    recipe: built.recipe ?? { source: "pull", pulledFrom: built.pulledFrom! },
  });
}

/** The build args as the catalog keeps them: an input that came from a secret is stored as `***`. */
function recordedBuildArgs(task: ImageBuildTask, buildArgs: Record<string, string>): Record<string, string> {
  const recorded = { ...buildArgs };
  for (const [name, input] of Object.entries(task.input)) {
    if (input.value_from && "secret" in input.value_from && !(task.build_args && name in task.build_args)) recorded[name] = "***";
  }
  return recorded;
}

/** An image that is in the engine, or in the materialization cache (loaded then), that the group may run; never pulled. */
async function materialized(ctx: TaskExecutionContext<ImageBuildTask>, engine: ImageEngine, images: GroupImages, reference: string, what = ""): Promise<string> {
  const present = await engine.inspect(reference);
  if (present) {
    await checkImageAccess(images, reference, present.id);
    return present.id;
  }
  const cache = new ImageCache(ctx.config.imageCacheDir);
  const file = await cache.find(reference);
  if (file === undefined) {
    throw new TaskFailure(`offline mode (CAIRN_OFFLINE): ${what ? `${what} ` : ""}${reference} is neither in the container engine nor in the image cache ${cache.dir}; load it with \`cairn images load\``, { retryable: false });
  }
  const loaded = (await cache.load(engine, file)).digest;
  await checkImageAccess(images, reference, loaded);
  return loaded;
}

async function checkBuilder(builder: ImageBuildTask["builder"]): Promise<void> {
  if (builder !== "singularity") return;
  const binary = (await findExecutable("apptainer")) ?? (await findExecutable("singularity"));
  throw new TaskFailure(
    binary
      ? `builder 'singularity' is not available on this server: ${binary} is installed, but Cairn builds OCI images only (use builder 'podman')`
      : "builder 'singularity' is not available on this server: neither apptainer nor singularity is installed (use builder 'podman')",
    { retryable: false },
  );
}

/** `kaniko` is Tapis' name for "the default OCI builder"; the engine's own builder does the work for all three. */
function describeBuilder(builder: ImageBuildTask["builder"], engine: { name: string; version: string }): string {
  const via = `${engine.name} ${engine.version}`;
  return builder === "podman" ? via : `${via} (builder '${builder}' maps to the engine's OCI builder)`;
}

function sourceSpec(ctx: TaskExecutionContext<ImageBuildTask>, context: ImageBuildContext, login: RegistryLogin | undefined): SourceSpec {
  if (context.type === "inline") return { kind: "inline", dockerfile: context.dockerfile, attachments: context.attachments ?? {}, ...(context.include_inbox ? { inbox: ctx.paths.inbox } : {}) };
  if (context.type !== "github" && context.type !== "git") throw new Error("unreachable: image contexts are pulled");
  const url = context.type === "github" ? `${ctx.config.githubUrl}/${context.url.replace(/\.git$/, "")}.git` : context.url;
  return {
    kind: "git",
    url,
    ...(context.branch ? { branch: context.branch } : {}),
    ...(context.sub_path ? { subPath: context.sub_path } : {}),
    ...(context.build_file_path ? { dockerfile: context.build_file_path } : {}),
    ...(login ? { credentials: { username: login.username, secret: login.secret } } : {}),
    ...(context.type === "git" && context.vcs === "mercurial" ? { vcs: "mercurial" as const } : {}),
  };
}

function sourceReference(ctx: TaskExecutionContext<ImageBuildTask>, context: Extract<ImageBuildContext, { type: "dockerhub" | "registry" }>): string {
  const host = context.type === "dockerhub" ? ctx.config.dockerhubRegistry : context.host!;
  return `${host}/${context.url}:${context.tag ?? "latest"}`;
}

/** custom_tag wins, then commit_destination (the short sha of the commit built), then the destination's tag. */
function tagFor(ctx: TaskExecutionContext<ImageBuildTask>, commit: string | undefined): string {
  const directives = ctx.directives ?? {};
  if (typeof directives.custom_tag === "string") return directives.custom_tag;
  if (directives.commit_destination !== undefined) {
    if (!commit) throw new TaskFailure("the commit_destination directive tags with the commit built, and this context is not a git repository", { retryable: false });
    return commit.slice(0, 7);
  }
  const { destination } = ctx.task;
  return destination.tag ?? (destination.type === "local" ? `run-${ctx.runUuid.slice(0, 8)}` : "latest");
}

interface DestinationNames {
  /** The name the engine keeps the image under: always in the group's namespace. */
  engine: string;
  /** The task's `image` output: the engine's name, or the registry's for a pushed image. */
  output: string;
  /** The names the catalog records, the short `localhost/PATH:TAG` the task gave among them. */
  catalog: string[];
}

/**
 * Local images get a `localhost/cairn/GROUP/` name (images/image-namespace.ts), which no
 * registry answers to and no other group can give; a later task of the group finds it by
 * the short name too. A registry destination's name is the engine's only while it is
 * pushed (pushAs); the engine keeps the image under the namespaced mirror of that name.
 */
function destinationNames(ctx: TaskExecutionContext<ImageBuildTask>, images: GroupImages, destination: ImageBuildDestination, tag: string): DestinationNames {
  if (destination.type === "local") {
    const path = destination.url ?? `${(ctx.pipelineId ?? "local").toLowerCase()}/${ctx.task.id.toLowerCase()}`;
    const engine = `${namespacePrefix(images.groupId)}${path}:${tag}`;
    return { engine, output: engine, catalog: [engine, localName(path, tag)] };
  }
  const output = `${destinationHost(ctx, destination)}/${destination.url}:${tag}`;
  const engine = ownEngineName(images.groupId, output)!;
  return { engine, output, catalog: [engine, output] };
}

/**
 * Pushes the image under the registry's name, which the engine holds only meanwhile: a
 * name another group or the operator runs is given back to the image it named before,
 * and a new one is taken off again, so a build can never leave a registry's name on its
 * own image in the shared engine.
 */
export async function pushAs(engine: ImageEngine, imageId: string, reference: string, push: () => Promise<string>): Promise<string> {
  const before = await engine.inspect(reference);
  if (before?.id !== imageId) await engine.tag(imageId, reference);
  const giveBack = async () => {
    if (before === undefined) await engine.untag(reference);
    else if (before.id !== imageId) await engine.tag(before.id, reference);
  };
  let pushed: string;
  try {
    pushed = await push();
  } catch (err) {
    // The push's failure is the one to report; giving the name back is still tried.
    await giveBack().catch(() => undefined);
    throw err;
  }
  // A name left on this build's image is what this function exists to prevent: the task fails saying so.
  await giveBack().catch((cause: unknown) => {
    throw new TaskFailure(`pushed, but the engine's name ${reference} could not be given back to what it named before: ${cause instanceof Error ? cause.message : String(cause)}`, { retryable: false, cause });
  });
  return pushed;
}

/**
 * The engine knew the image by no name outside the group's namespace (other than the
 * name it was just pulled by): it is new, and the group's own. A build that made an image
 * the engine had already (a Dockerfile of one FROM line, a layer cache shared with
 * another group's equal recipe) claims nothing, so no group can take an operator's
 * image, or another group's, away from the others.
 */
async function madeFresh(engine: ImageEngine, images: GroupImages, imageId: string, pulledFrom: string | undefined): Promise<boolean> {
  const details = await engine.inspect(imageId);
  if (!details) return false;
  return details.repoTags.every((name) => name === pulledFrom || isInNamespace(images.groupId, name));
}

/**
 * For each FROM image: the group's own image under the namespaced name of that name, if
 * the engine has one (returned, for the Dockerfile to be renamed); otherwise, for an
 * image the engine has, a check that the group may run it. Images the engine lacks are
 * pulled by the engine from their registry, under their own names.
 */
async function baseImageNames(engine: ImageEngine, images: GroupImages, bases: string[]): Promise<Map<string, string>> {
  const renames = new Map<string, string>();
  for (const base of bases) {
    const own = ownEngineName(images.groupId, base);
    if (own !== undefined && own !== base && (await engine.inspect(own))) {
      renames.set(base, own);
      continue;
    }
    const present = await engine.inspect(base);
    if (present) await checkImageAccess(images, base, present.id);
  }
  return renames;
}

function destinationHost(ctx: TaskExecutionContext<ImageBuildTask>, destination: Extract<ImageBuildDestination, { type: "dockerhub" | "registry" }>): string {
  return destination.type === "dockerhub" ? ctx.config.dockerhubRegistry : destination.host!;
}

/** The registry host of a reference (`host[:port]/path:tag`), docker.io when the first part is not a host. */
export function registryOf(reference: string): string {
  const first = reference.split("/")[0]!;
  return reference.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}

function isInsecure(ctx: TaskExecutionContext<ImageBuildTask>, host: string): boolean {
  return ctx.config.insecureRegistries.includes(host);
}

function loginOption(login: RegistryLogin | undefined, registry: string): { login?: RegistryLogin } {
  return login ? { login: { ...login, registry } } : {};
}

/**
 * What the image was made from, as OCI labels. Nothing that changes per run (a run's
 * uuid would make every build's last layer new, and the image id with it).
 */
function provenanceLabels(recipe: RecipeRecord): Record<string, string> {
  return {
    ...(recipe.gitUrl ? { "org.opencontainers.image.source": recipe.gitUrl } : {}),
    ...(recipe.commit ? { "org.opencontainers.image.revision": recipe.commit } : {}),
  };
}

/** Inline credentials, or an identity of the user who started the run, checked for its type and host. */
async function loginFor(
  ctx: TaskExecutionContext<ImageBuildTask>,
  target: { type: string; identity_uuid?: string; credentials?: InlineCredentials; host?: string },
  field: "context" | "destination",
): Promise<RegistryLogin | undefined> {
  if (target.credentials) return { ...secretOf(target.credentials), registry: "" };
  if (!target.identity_uuid) return undefined;
  const uuid = target.identity_uuid;
  if (!ctx.identity) throw new TaskFailure(`${field}.identity_uuid needs \`cairn server\` (identities live there); a local run takes inline credentials`, { retryable: false });
  const identity = await ctx.identity(uuid);
  if (!identity) throw new TaskFailure(`${field}.identity_uuid: identity '${uuid}' does not exist or does not belong to the user who started the run`, { retryable: false });
  const accepted = target.type === "github" || target.type === "git" ? GIT_IDENTITIES : REGISTRY_IDENTITIES;
  if (!accepted.includes(identity.type)) {
    throw new TaskFailure(`${field}.identity_uuid: identity '${uuid}' is a ${identity.type} identity; a ${target.type} ${field} takes ${accepted.join(" or ")}`, { retryable: false });
  }
  const host = targetHost(ctx, target);
  if ((identity.type === "git" || identity.type === "registry") && identity.host && host && identity.host !== host) {
    throw new TaskFailure(`${field}.identity_uuid: identity '${uuid}' is for ${identity.host}, not ${host}`, { retryable: false });
  }
  const { username } = identity.credentials;
  const secret = identity.credentials.token ?? identity.credentials.password ?? identity.credentials.personal_access_token;
  if (!username || !secret) throw new TaskFailure(`${field}.identity_uuid: identity '${uuid}' holds no username and token or password`, { retryable: false });
  return { username, secret, registry: "" };
}

function targetHost(ctx: TaskExecutionContext<ImageBuildTask>, target: { type: string; host?: string }): string | undefined {
  const { context } = ctx.task;
  if (target.type === "git" && context.type === "git") {
    try {
      return new URL(context.url).host;
    } catch {
      return undefined;
    }
  }
  return target.host;
}

function secretOf(credentials: InlineCredentials): { username: string; secret: string } {
  const secret = "token" in credentials ? credentials.token : "password" in credentials ? credentials.password : credentials.personal_access_token;
  return { username: credentials.username, secret };
}

