import type { Readable } from "node:stream";

/**
 * What image builds need from a container engine: build from a context, pull, tag,
 * push, inspect, save and load. One implementation speaks the Docker Engine API
 * (docker-image-engine.ts), so Docker and Podman's compatible service both work.
 */

export interface RegistryLogin {
  username: string;
  /** A password or an access token: registries take either in basic auth. */
  secret: string;
  /** `host[:port]` the login is for. */
  registry: string;
}

export interface BuildRequest {
  /** A tar of the build context. */
  context: Readable;
  /** Path of the Dockerfile inside the context. */
  dockerfile: string;
  /** Names (`registry/repository:tag`) the image gets. */
  tags: string[];
  buildArgs: Record<string, string>;
  target?: string;
  noCache: boolean;
  labels: Record<string, string>;
  /** Logins for registries the FROM lines name. */
  logins: RegistryLogin[];
  /** Never pull a FROM image the engine lacks (offline mode); the build then fails naming it. */
  neverPull?: boolean;
}

export interface ImageDetails {
  /** The image's own id: the sha256 of its configuration. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** ISO 8601. */
  created: string;
  architecture: string;
  os: string;
  size: number;
}

export interface EngineDescription {
  /** "Podman Engine", "Docker Engine". */
  name: string;
  version: string;
  apiVersion: string;
  arch: string;
  os: string;
}

/**
 * The two archive layouts engines read back: `docker-archive` (`docker save`: manifest.json
 * plus one folder per layer) and `oci-archive` (an OCI image layout, index.json and
 * content-addressed blobs, tarred), which other OCI tools (skopeo, buildah, crane) read too.
 */
export const ARCHIVE_FORMATS = ["oci-archive", "docker-archive"] as const;
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

export type ProgressLine = (line: string) => void;

export interface TransferOptions {
  login?: RegistryLogin;
  /** Speak plain HTTP / skip TLS verification: only for registries in CAIRN_INSECURE_REGISTRIES. */
  insecure: boolean;
  signal?: AbortSignal;
}

export interface ImageEngine {
  describe(): Promise<EngineDescription>;
  /** The engine's name and version only, cheaply (no runtime is asked): for build notes and the catalog. */
  identify(): Promise<Pick<EngineDescription, "name" | "version">>;
  /** Streams the build's output line by line; resolves with the new image's id. @throws ImageBuildError when the recipe fails */
  build(request: BuildRequest, onLine: ProgressLine, signal?: AbortSignal): Promise<string>;
  /** Resolves with the pulled image's id. */
  pull(reference: string, onLine: ProgressLine, options: TransferOptions): Promise<string>;
  tag(image: string, reference: string): Promise<void>;
  /** Takes a name off its image; the image stays while another name or a container holds it. */
  untag(reference: string): Promise<void>;
  /** Resolves with the manifest digest the registry now holds (`sha256:…`). */
  push(reference: string, onLine: ProgressLine, options: TransferOptions): Promise<string>;
  /** Undefined when the engine has no such image. */
  inspect(image: string): Promise<ImageDetails | undefined>;
  /**
   * Writes the image (with its names) as an archive of that format, which `load` and
   * `podman load` read back. @throws TaskFailure for `oci-archive` on an engine that cannot write it (Docker)
   */
  save(image: string, file: string, format?: ArchiveFormat): Promise<void>;
  /** Loads a docker-archive or (Podman) oci-archive tar; resolves with the names or ids the engine reports. */
  load(file: string): Promise<string[]>;
  /**
   * Whether the engine skips TLS for this registry (`host[:port]`) on its own, whatever
   * Cairn asks: Docker for the registries of its daemon's insecure-registries. Never for
   * Podman, which Cairn tells per pull, push and build.
   */
  skipsTlsOnItsOwn(registry: string): Promise<boolean>;
}
