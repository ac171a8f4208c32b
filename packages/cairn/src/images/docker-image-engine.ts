import { createReadStream, createWriteStream } from "node:fs";
import { request as httpRequest } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type Dockerode from "dockerode";
import type { CairnConfig } from "../config.js";
import { TaskFailure } from "../errors.js";
import { engineMessage, statusOf } from "../docker-api/engine-errors.js";
import { engineCapabilities, type EngineCapabilities } from "../docker-api/engine-capabilities.js";
import { resolveEngine } from "../docker-api/engine-endpoint.js";
import { BuildFailure } from "./build-failure.js";
import { dockerSkipsTls, type DockerRegistryConfig } from "./docker-insecure-registries.js";
import { plainHttpAdvice, plainHttpRegistryIn } from "./plain-http-registry.js";
import type { ArchiveFormat, BuildRequest, EngineDescription, ImageDetails, ImageEngine, ProgressLine, RegistryLogin, TransferOptions } from "./image-engine.js";

/**
 * Image builds through the Docker Engine API: `POST /build` with the context as a tar
 * stream, `/images/create` (pull), `/images/{name}/push` with an X-Registry-Auth login.
 * Podman's compatible service runs Buildah behind `/build` (checked on Podman 4.3: build
 * args, target, nocache, labels and its layer cache all work there), so no CLI is needed.
 *
 * Plain-HTTP registries: Podman takes `tlsVerify=false` on pull and push; Docker ignores
 * it and decides by its daemon's `insecure-registries` (127.0.0.0/8 is insecure there by
 * default), which is the daemon owner's setting, not Cairn's; `skipsTlsOnItsOwn` tells
 * the caller which registries those are, so that it can refuse the ones it does not allow.
 */

/** One JSON message of a build, pull or push stream. */
interface StreamMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string; Digest?: string; Tag?: string };
}

/** Podman reports the pushed manifest as a status line; Docker in `aux.Digest` too. */
const PUSHED_DIGEST = /digest: (sha256:[0-9a-f]{64})/;

export class DockerImageEngine implements ImageEngine {
  constructor(private readonly docker: Dockerode) {}

  static async connect(config: CairnConfig): Promise<DockerImageEngine> {
    const { docker } = await resolveEngine(config);
    return new DockerImageEngine(docker);
  }

  private description: Promise<EngineDescription> | undefined;

  /** Asked once per engine: Podman's /version took 0.8 s here (it runs its OCI runtime and conmon to ask their versions). */
  describe(): Promise<EngineDescription> {
    this.description ??= this.docker.version().then(
      (v) => ({ name: engineName(v.Components?.[0]?.Name), version: v.Version, apiVersion: v.ApiVersion, arch: v.Arch, os: v.Os }),
      (err: unknown) => {
        this.description = undefined;
        throw err;
      },
    );
    return this.description;
  }

  private identity: Promise<Pick<EngineDescription, "name" | "version">> | undefined;

  /** From the `Server` header of GET /_ping (`Libpod/4.3.1 (linux)`, `Docker/20.10.24 (linux)`), which answers at once. */
  identify(): Promise<Pick<EngineDescription, "name" | "version">> {
    this.identity ??= pingServerHeader(this.docker).then(
      (server) => {
        const podman = /^Libpod\/(\S+)/.exec(server ?? "");
        if (podman) return { name: "Podman Engine", version: podman[1]! };
        const docker = /^Docker\/(\S+)/.exec(server ?? "");
        if (docker) return { name: "Docker Engine", version: docker[1]! };
        return this.describe();
      },
      () => this.describe(),
    );
    return this.identity;
  }

  async build(request: BuildRequest, onLine: ProgressLine, signal?: AbortSignal): Promise<string> {
    const [first, ...more] = request.tags;
    const options = {
        dockerfile: request.dockerfile,
        ...(first !== undefined ? { t: more.length > 0 ? request.tags : first } : {}),
        buildargs: request.buildArgs,
        labels: request.labels,
        nocache: request.noCache,
        // Docker's default; said so that both engines keep intermediate layers for the next build.
        rm: true,
        ...(request.target !== undefined ? { target: request.target } : {}),
        ...(request.logins.length > 0 && !request.neverPull ? { registryconfig: registryConfig(request.logins) } : {}),
        ...(signal ? { abortSignal: signal } : {}),
      } as Dockerode.ImageBuildOptions;
    const stream = (await (request.neverPull ? this.buildWithoutPulls(request.context, options) : this.docker.buildImage(request.context as unknown as NodeJS.ReadableStream, options)).catch(
      (cause: unknown) => {
        throw new TaskFailure(`the container engine refused the build: ${engineMessage(cause)}`, { retryable: false, cause });
      },
    )) as Readable;
    let imageId: string | undefined;
    let lastStream = "";
    await follow(stream, (message) => {
      if (message.stream !== undefined) {
        for (const line of splitLines(message.stream)) onLine(line);
        lastStream = message.stream;
      } else if (message.status !== undefined) {
        onLine(message.id ? `${message.id}: ${message.status}` : message.status);
      }
      if (message.aux?.ID) imageId = message.aux.ID;
      const error = message.errorDetail?.message ?? message.error;
      if (error !== undefined) throw new BuildFailure(error.trim());
    });
    // Docker's classic builder ends with "Successfully built ID" and gives no aux with the id.
    imageId ??= /Successfully built ([0-9a-f]{12,64})/.exec(lastStream)?.[1];
    // Podman's /libpod/build ends with the bare id as its last line, and no aux.
    imageId ??= /^\s*([0-9a-f]{64})\s*$/.exec(lastStream)?.[1];
    if (imageId === undefined) throw new TaskFailure("the container engine ended the build without naming the image it built", { retryable: true });
    return (await this.inspect(imageId))?.id ?? imageId;
  }

  /**
   * A build that never pulls. Checked on Podman 4.3: its compatible `/build` ignores
   * `pull=false` (and `pullpolicy`) and pulls a missing FROM image anyway; its own
   * `/libpod/build` takes `pullpolicy=never` and fails with "image not known". Docker's
   * `/build` has no such policy (its `pull` only forces pulls), so there Cairn's check of
   * the FROM images before the build (image-build-handler.ts) is what keeps it offline.
   */
  private async buildWithoutPulls(context: Readable, options: Dockerode.ImageBuildOptions): Promise<Readable> {
    if (!(await this.capabilities()).buildWithoutPulls) return (await this.docker.buildImage(context as unknown as NodeJS.ReadableStream, options)) as unknown as Readable;
    const { abortSignal, ...query } = options as Dockerode.ImageBuildOptions & { abortSignal?: AbortSignal };
    return new Promise<Readable>((resolve, reject) =>
      this.docker.modem.dial(
        {
          path: "/v4.0.0/libpod/build?",
          method: "POST",
          file: context,
          options: { ...query, pullpolicy: "never" },
          ...(abortSignal ? { abortSignal } : {}),
          isStream: true,
          statusCodes: { 200: true, 400: "bad parameter", 500: "server error" },
        },
        (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as Readable)),
      ),
    );
  }

  async pull(reference: string, onLine: ProgressLine, options: TransferOptions): Promise<string> {
    // Podman's compatible /images/create has no tlsVerify (its push has); its own API does.
    if (options.insecure && (await this.capabilities()).pullWithoutTls) return this.podmanPull(reference, onLine, options);
    const engine = await this.identify();
    const stream = (await this.docker
      .pull(reference, transferQuery(options))
      .catch((cause: unknown) => {
        throw registryFailure("pull", reference, cause, options, engine);
      })) as Readable;
    await follow(stream, (message) => {
      if (message.status !== undefined) onLine(message.id ? `${message.id}: ${message.status}` : message.status);
      const error = message.errorDetail?.message ?? message.error;
      if (error !== undefined) throw registryFailure("pull", reference, new Error(error), options, engine);
    });
    const details = await this.inspect(reference);
    if (!details) throw new TaskFailure(`the pull of '${reference}' ended but the engine has no such image`, { retryable: true });
    return details.id;
  }

  private async podmanPull(reference: string, onLine: ProgressLine, options: TransferOptions): Promise<string> {
    const engine = await this.identify();
    const stream = await new Promise<Readable>((resolve, reject) =>
      this.docker.modem.dial(
        {
          // Podman serves its own API under a version prefix only (v4.0.0 is the oldest it answers).
          path: "/v4.0.0/libpod/images/pull?",
          method: "POST",
          options: { reference, tlsVerify: options.insecure ? "false" : "true" },
          ...(options.login ? { authconfig: authConfig(options.login) } : {}),
          ...(options.signal ? { abortSignal: options.signal } : {}),
          isStream: true,
          statusCodes: { 200: true, 400: "bad parameter", 500: "server error" },
        },
        (err: unknown, data: unknown) => (err ? reject(registryFailure("pull", reference, err, options, engine)) : resolve(data as Readable)),
      ),
    );
    let id: string | undefined;
    await follow(stream, (message) => {
      if (message.stream !== undefined) for (const line of splitLines(message.stream)) onLine(line);
      if (message.id && /^[0-9a-f]{64}$/.test(message.id)) id = `sha256:${message.id}`;
      if (message.error !== undefined) throw registryFailure("pull", reference, new Error(message.error), options, engine);
    });
    if (id === undefined) throw new TaskFailure(`the pull of '${reference}' ended without naming the image`, { retryable: true });
    return id;
  }

  /** What this engine can do beyond the compatible API, asked once with its identity. */
  async capabilities(): Promise<EngineCapabilities> {
    this.capabilityFlags ??= engineCapabilities((await this.identify()).name);
    return this.capabilityFlags;
  }

  private capabilityFlags: EngineCapabilities | undefined;

  async tag(image: string, reference: string): Promise<void> {
    const { repository, tag } = splitTag(reference);
    await this.docker.getImage(image).tag({ repo: repository, tag });
  }

  async untag(reference: string): Promise<void> {
    // DELETE /images/NAME of an image with other names takes off this one only; noprune keeps untagged parents.
    await this.docker.getImage(reference).remove({ noprune: true });
  }

  async push(reference: string, onLine: ProgressLine, options: TransferOptions): Promise<string> {
    // The name without its tag, and the tag as a parameter: Podman reads `name:tag` plus `tag` as two tags.
    const { repository, tag } = splitTag(reference);
    const engine = await this.identify();
    const stream = (await this.docker
      .getImage(repository)
      .push({ tag, ...transferQuery(options) })
      .catch((cause: unknown) => {
        throw registryFailure("push", reference, cause, options, engine);
      })) as Readable;
    let digest: string | undefined;
    await follow(stream, (message) => {
      if (message.status !== undefined) {
        onLine(message.id ? `${message.id}: ${message.status}` : message.status);
        digest ??= PUSHED_DIGEST.exec(message.status)?.[1];
      }
      if (message.aux?.Digest) digest = message.aux.Digest;
      const error = message.errorDetail?.message ?? message.error;
      if (error !== undefined) throw registryFailure("push", reference, new Error(error), options, engine);
    });
    if (digest === undefined) throw new TaskFailure(`the push of '${reference}' ended without the registry's digest`, { retryable: true });
    return digest;
  }

  async inspect(image: string): Promise<ImageDetails | undefined> {
    try {
      const info = await this.docker.getImage(image).inspect();
      return {
        id: info.Id.startsWith("sha256:") ? info.Id : `sha256:${info.Id}`,
        repoTags: info.RepoTags ?? [],
        repoDigests: info.RepoDigests ?? [],
        created: info.Created,
        architecture: info.Architecture,
        os: info.Os,
        size: info.Size,
      };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async save(image: string, file: string, format: ArchiveFormat = "docker-archive"): Promise<void> {
    const stream = format === "docker-archive" ? ((await this.docker.getImage(image).get()) as unknown as Readable) : await this.podmanExport(image, format);
    await pipeline(stream, createWriteStream(file));
  }

  /**
   * The compatible `/images/{name}/get` writes docker archives only; Podman's own API
   * takes a format (`GET /libpod/images/{name}/get?format=oci-archive`, checked on Podman
   * 4.3). Docker Engine 20.10 has no OCI export, so it is refused by name, not faked.
   */
  private async podmanExport(image: string, format: ArchiveFormat): Promise<Readable> {
    if (!(await this.capabilities()).ociExport) {
      const { name, version } = await this.identify();
      throw new TaskFailure(`${name} ${version} cannot write ${format} files (only Podman's API can); save as docker-archive instead`, { retryable: false });
    }
    return new Promise<Readable>((resolve, reject) =>
      this.docker.modem.dial(
        {
          path: `/v4.0.0/libpod/images/${encodeURIComponent(image)}/get?`,
          method: "GET",
          options: { format },
          isStream: true,
          statusCodes: { 200: true, 404: "no such image", 500: "server error" },
        },
        (err: unknown, data: unknown) =>
          err ? reject(new TaskFailure(`the container engine could not export '${image}' as ${format}: ${engineMessage(err)}`, { retryable: statusOf(err) !== 404, cause: err })) : resolve(data as Readable),
      ),
    );
  }

  private registryConfig: Promise<DockerRegistryConfig | undefined> | undefined;

  async skipsTlsOnItsOwn(registry: string): Promise<boolean> {
    if (!(await this.capabilities()).daemonInsecureRegistries) return false;
    // Read once: the daemon's registry settings change only when it is reconfigured.
    this.registryConfig ??= this.docker.info().then(
      (info: { RegistryConfig?: DockerRegistryConfig }) => info.RegistryConfig,
      (err: unknown) => {
        this.registryConfig = undefined;
        throw err;
      },
    );
    return dockerSkipsTls(registry, await this.registryConfig);
  }

  async load(file: string): Promise<string[]> {
    const stream = (await this.docker.loadImage(createReadStream(file))) as unknown as Readable;
    const names: string[] = [];
    await follow(stream, (message) => {
      const text = message.stream ?? message.status ?? "";
      const loaded = /Loaded image(?: ID)?s?: (.+)/.exec(text)?.[1];
      if (loaded) names.push(...loaded.split(",").map((n) => n.trim()).filter((n) => n !== ""));
      const error = message.errorDetail?.message ?? message.error;
      if (error !== undefined) throw new TaskFailure(`the engine could not load '${file}': ${error}`, { retryable: false });
    });
    return names;
  }
}

/** Podman names its first component "Podman Engine"; Docker names its own just "Engine" (checked on 20.10). */
function engineName(component: string | undefined): string {
  return component === undefined || component === "Engine" ? "Docker Engine" : component;
}

function pingServerHeader(docker: Dockerode): Promise<string | undefined> {
  const modem = docker.modem as unknown as { socketPath?: string; host?: string; port?: number | string };
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { method: "GET", path: "/_ping", ...(modem.socketPath ? { socketPath: modem.socketPath } : { host: modem.host, port: modem.port }), timeout: 5_000 },
      (res) => {
        res.resume();
        const server = res.headers.server;
        resolve(Array.isArray(server) ? server[0] : server);
      },
    );
    req.once("timeout", () => req.destroy(new Error("no answer to /_ping")));
    req.once("error", reject);
    req.end();
  });
}

/** Reads a stream of JSON messages (one per line, or concatenated) until it ends. */
async function follow(stream: Readable, onMessage: (message: StreamMessage) => void): Promise<void> {
  let buffer = "";
  const handle = (text: string) => {
    const trimmed = text.trim();
    if (trimmed === "") return;
    let message: StreamMessage;
    try {
      message = JSON.parse(trimmed) as StreamMessage;
    } catch {
      message = { stream: trimmed };
    }
    onMessage(message);
  };
  try {
    for await (const chunk of stream) {
      buffer += (chunk as Buffer).toString("utf8");
      let newline: number;
      while ((newline = buffer.indexOf("\n")) !== -1) {
        handle(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    }
    handle(buffer);
  } finally {
    stream.destroy();
  }
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** `host:5000/lab/tool:v1` -> `host:5000/lab/tool` and `v1`; a digest reference or no tag gives `latest`. */
export function splitTag(reference: string): { repository: string; tag: string } {
  const slash = reference.lastIndexOf("/");
  const colon = reference.lastIndexOf(":");
  if (colon > slash) return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repository: reference, tag: "latest" };
}

function authConfig(login: RegistryLogin): { username: string; password: string; serveraddress: string } {
  return { username: login.username, password: login.secret, serveraddress: login.registry };
}

/** The X-Registry-Config header of /build: logins by registry host. */
function registryConfig(logins: RegistryLogin[]): Record<string, { username: string; password: string; serveraddress: string }> {
  return Object.fromEntries(logins.map((l) => [l.registry, authConfig(l)]));
}

/** A registry's refusal in words a person can act on, with the engine's message kept. */
export function registryFailure(action: "push" | "pull", reference: string, cause: unknown, options: TransferOptions, engine: { name: string }): TaskFailure {
  const message = engineMessage(cause);
  const host = reference.split("/")[0];
  // First: the engine never reached the registry's answer, whatever else the message says.
  const plainHttp = plainHttpRegistryIn(message);
  if (plainHttp !== undefined) return new TaskFailure(`${plainHttpAdvice(`the registry ${plainHttp}`, plainHttp, engine, options.insecure)}: ${message}`, { retryable: false, cause });
  // A status code as a word of its own: a registry on port 40195 is no refusal.
  if (/unauthorized|authentication required|denied|\b401\b/i.test(message)) {
    const who = options.login ? `the credentials of '${options.login.username}'` : "no credentials";
    return new TaskFailure(`the registry ${host} refused the ${action} of '${reference}' with ${who} (unauthorized): ${message}`, { retryable: false, cause });
  }
  if (/manifest unknown|not found|no such/i.test(message)) {
    return new TaskFailure(`the registry has no image '${reference}': ${message}`, { retryable: false, cause });
  }
  return new TaskFailure(`the ${action} of '${reference}' failed: ${message}`, { retryable: true, cause });
}

/** The login, TLS and abort options that pulls and pushes of the compatible API share. */
function transferQuery(options: TransferOptions): { authconfig?: ReturnType<typeof authConfig>; tlsVerify?: false; abortSignal?: AbortSignal } {
  return {
    ...(options.login ? { authconfig: authConfig(options.login) } : {}),
    ...(options.insecure ? { tlsVerify: false as const } : {}),
    ...(options.signal ? { abortSignal: options.signal } : {}),
  };
}
