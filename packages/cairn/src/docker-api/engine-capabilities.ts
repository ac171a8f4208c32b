/**
 * What one Docker Engine API can do that another cannot. Podman serves the compatible
 * API and its own (libpod) beside it; Docker serves only the first, and decides some
 * things by its daemon's settings. Decided once from the engine's name, so a caller asks
 * for the capability it needs instead of asking which engine it is.
 */
export interface EngineCapabilities {
  /**
   * A build that refuses to pull a missing FROM image (libpod's `/build` with
   * `pullpolicy=never`). Docker's `/build` has no such policy.
   */
  buildWithoutPulls: boolean;
  /**
   * A pull that skips TLS for that one request (libpod's pull with `tlsVerify=false`).
   * Podman's compatible `/images/create` has no such option, and neither has Docker's.
   */
  pullWithoutTls: boolean;
  /** Saving an image as an OCI archive or folder (libpod's `/images/{name}/get?format=`); Docker writes docker archives only. */
  ociExport: boolean;
  /** Skipping TLS for a registry by the daemon's own settings (Docker's `insecure-registries`); Podman decides per request. */
  daemonInsecureRegistries: boolean;
}

/** The capabilities of the engine named `name` (`Podman Engine`, `Docker Engine`, or a /version component name). */
export function engineCapabilities(name: string): EngineCapabilities {
  const podman = /podman/i.test(name);
  return { buildWithoutPulls: podman, pullWithoutTls: podman, ociExport: podman, daemonInsecureRegistries: !podman };
}
