import { isIP } from "node:net";

/**
 * What CAIRN_EGRESS_ALLOW may list: a host (a name or an address, any port), a host and
 * one port, or a range of addresses in CIDR notation. Entries are normalized the way
 * URLs are (WHATWG host parsing), so `LocalHost`, `2130706433` and `127.0.0.1` are
 * compared in one spelling.
 */
export type EgressAllowEntry =
  | { kind: "host"; host: string; port?: number }
  | { kind: "range"; address: string; prefix: number; family: "ipv4" | "ipv6" };

/** Parses a comma-separated list; throws an Error naming the entry that is not one of the three forms. */
export function parseEgressAllow(value: string): EgressAllowEntry[] {
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map(parseEntry);
}

function parseEntry(entry: string): EgressAllowEntry {
  const form = "a host (example.org, 10.0.0.5), a host and port (example.org:8080, [::1]:8080) or a CIDR range (10.0.0.0/8, fd00::/8)";
  const slash = entry.indexOf("/");
  if (slash >= 0) {
    const address = entry.slice(0, slash);
    const family = isIP(address);
    const prefix = Number(entry.slice(slash + 1));
    const bits = family === 4 ? 32 : 128;
    if (family === 0 || !/^\d{1,3}$/.test(entry.slice(slash + 1)) || prefix > bits) throw new Error(`'${entry}' is not ${form}`);
    return { kind: "range", address, prefix, family: family === 4 ? "ipv4" : "ipv6" };
  }
  // A bare IPv6 address has colons of its own: it names a host, never a port.
  if (isIP(entry) === 6) return { kind: "host", host: normalizeHost(`[${entry}]`)! };
  const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(entry);
  const host = match ? normalizeHost(match[1]!) : undefined;
  const port = match?.[2] === undefined ? undefined : Number(match[2]);
  if (host === undefined || (port !== undefined && (port < 1 || port > 65_535))) throw new Error(`'${entry}' is not ${form}`);
  return port === undefined ? { kind: "host", host } : { kind: "host", host, port };
}

/**
 * A host as a URL parser sees it: lower case, numeric IPv4 spellings (`2130706433`,
 * `0x7f000001`, `0177.1`) as dotted quads, IPv6 without brackets in its short form.
 * Undefined for something no URL could hold. Hosts of non-special schemes (git://) are
 * opaque to `new URL`, so every host goes through an http URL here.
 */
export function normalizeHost(host: string): string | undefined {
  if (host === "" || /[/?#@\s\\]/.test(host) || (host.includes(":") && !/^\[[^\]]+\]$/.test(host))) return undefined;
  try {
    const hostname = new URL(`http://${host}/`).hostname;
    return hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  } catch {
    return undefined;
  }
}
