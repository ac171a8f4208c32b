import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Whether a Docker daemon skips TLS for a registry on its own (tries HTTPS without
 * verifying it, then plain HTTP), whatever its client asks: Docker's pull and push take no
 * TLS setting. Its rule (moby's registry config, `isSecureIndex`): a registry it has an
 * index configuration for is as secure as that says; any other is insecure when one of
 * its host's addresses is in `InsecureRegistryCIDRs` (127.0.0.0/8 by default, so
 * `localhost:5000` and `127.0.0.1:5000` are insecure unless configured otherwise).
 * The configuration is GET /info's `RegistryConfig`.
 */

export interface DockerRegistryConfig {
  IndexConfigs?: Record<string, { Secure?: boolean } | undefined>;
  InsecureRegistryCIDRs?: string[];
}

export async function dockerSkipsTls(registry: string, config: DockerRegistryConfig | undefined): Promise<boolean> {
  const index = config?.IndexConfigs?.[registry];
  if (index !== undefined) return index.Secure === false;
  const cidrs = config?.InsecureRegistryCIDRs ?? [];
  if (cidrs.length === 0) return false;
  const host = hostOf(registry);
  const addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  const insecure = new BlockList();
  for (const cidr of cidrs) {
    const [network, prefix] = cidr.split("/");
    if (network !== undefined && isIP(network) !== 0) insecure.addSubnet(network, Number(prefix ?? (isIP(network) === 6 ? 128 : 32)), familyOf(network));
  }
  return addresses.some((address) => insecure.check(address, familyOf(address)));
}

/** `127.0.0.1:5000` -> `127.0.0.1`, `[::1]:5000` -> `::1`, `localhost` -> `localhost`. */
function hostOf(registry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(registry);
  if (bracketed) return bracketed[1]!;
  const colon = registry.lastIndexOf(":");
  return colon > 0 && registry.indexOf(":") === colon ? registry.slice(0, colon) : registry;
}

function familyOf(address: string): "ipv4" | "ipv6" {
  return isIP(address) === 6 ? "ipv6" : "ipv4";
}
