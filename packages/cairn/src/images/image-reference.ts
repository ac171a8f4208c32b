/**
 * The one name an image reference stands for, as engines read it (WfExS' container
 * factories do the same with DEFAULT_DOCKER_REGISTRY): `busybox`,
 * `library/busybox:latest`, `docker.io/busybox` and `index.docker.io/library/busybox`
 * are all `docker.io/library/busybox:latest`. Pulls, the catalog and the image cache
 * use it so that the same image is not pulled or recorded twice under two spellings.
 */

export const DEFAULT_REGISTRY = "docker.io";

/** Docker Hub's other spellings; engines treat them as docker.io. */
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

export interface ImageReferenceParts {
  /** `host[:port]`, docker.io when the reference names none. */
  registry: string;
  /** The repository path inside the registry (`library/busybox`). */
  path: string;
  /** Absent when the reference has a digest and no tag. */
  tag?: string;
  digest?: string;
}

/** Whether the first component of a name is a registry host rather than a path component (Docker's rule). */
function isRegistryHost(component: string): boolean {
  return component.includes(".") || component.includes(":") || component === "localhost";
}

export function parseImageReference(reference: string): ImageReferenceParts {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf("/");
  const first = slash < 0 ? "" : rest.slice(0, slash);
  let registry = DEFAULT_REGISTRY;
  let path = rest;
  if (slash >= 0 && isRegistryHost(first)) {
    registry = DOCKER_HUB_ALIASES.has(first.toLowerCase()) ? DEFAULT_REGISTRY : first;
    path = rest.slice(slash + 1);
  }
  // Docker Hub's official images live under `library/`.
  if (registry === DEFAULT_REGISTRY && !path.includes("/")) path = `library/${path}`;
  if (tag === undefined && digest === undefined) tag = "latest";
  return { registry, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

export function formatImageReference(parts: ImageReferenceParts): string {
  return `${parts.registry}/${parts.path}${parts.tag !== undefined ? `:${parts.tag}` : ""}${parts.digest !== undefined ? `@${parts.digest}` : ""}`;
}

/**
 * `busybox` -> `docker.io/library/busybox:latest`; `127.0.0.1:5000/tool` ->
 * `127.0.0.1:5000/tool:latest`; a digest is kept (`x@sha256:…` gets no tag). A bare
 * image id (`sha256:…`) is no reference and is returned as given.
 */
export function canonicalImageName(reference: string): string {
  if (/^sha256:[0-9a-f]{64}$/.test(reference)) return reference;
  return formatImageReference(parseImageReference(reference));
}

/** The registry a reference is pulled from: its host, or docker.io. */
export function registryHostOf(reference: string): string {
  return parseImageReference(reference).registry;
}

/**
 * The reference to pull instead, when the operator maps the image's registry to a mirror
 * (CAIRN_REGISTRY_MIRRORS, `docker.io=127.0.0.1:5000`): the same path, tag and digest on
 * the mirror. Undefined when the registry has no mirror.
 */
export function mirroredReference(reference: string, mirrors: Readonly<Record<string, string>>): string | undefined {
  const parts = parseImageReference(reference);
  const mirror = Object.hasOwn(mirrors, parts.registry) ? mirrors[parts.registry] : undefined;
  return mirror === undefined ? undefined : formatImageReference({ ...parts, registry: mirror });
}
