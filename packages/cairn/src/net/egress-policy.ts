import { lookup } from "node:dns/promises";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { TaskFailure } from "../errors.js";
import { normalizeHost, parseEgressAllow, type EgressAllowEntry } from "./egress-allow.js";

/**
 * The one gate for connections the server opens on a task's behalf (request tasks, git
 * clones, registries named by a pipeline). The server sits next to things a tenant must
 * not reach: Cairn's own API on loopback, other services on the host or its private
 * network, a cloud's metadata service. So a destination's name is resolved once, every
 * address it resolves to is checked, and the connection is then made to those checked
 * addresses only (a name that answers differently the second time, DNS rebinding, gets
 * no second look-up). Loopback, unspecified, link-local, private, shared (CGNAT),
 * multicast, reserved and metadata addresses are refused unless CAIRN_EGRESS_ALLOW lists
 * the host or range, or the operator configured the endpoint (CAIRN_GITHUB_URL,
 * CAIRN_DOCKERHUB_REGISTRY, CAIRN_INSECURE_REGISTRIES).
 */

/** The configuration the policy is made from (a part of CairnConfig). */
export interface EgressConfig {
  egressAllow: readonly EgressAllowEntry[];
  egressConnectTimeoutMs: number;
  egressFetchTimeoutMs: number;
  githubUrl: string;
  dockerhubRegistry: string;
  insecureRegistries: readonly string[];
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** A destination that passed the policy: connect to `addresses`, and to nothing else. */
export interface EgressDestination {
  /** The host as normalized from the URL (a name, or an address without brackets). */
  host: string;
  port: number;
  addresses: readonly ResolvedAddress[];
}

/** A destination the policy refused. Not retryable: the same address is refused next time. */
export class EgressRefused extends TaskFailure {
  override name = "EgressRefused";
  constructor(
    message: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(message, { retryable: false });
  }
}

/** Refused ranges, most specific first: the first match names the reason. */
const REFUSED: ReadonlyArray<{ reason: string; ranges: ReadonlyArray<readonly [string, number]> }> = [
  { reason: "a cloud metadata address", ranges: [["169.254.169.254", 32], ["fd00:ec2::254", 128]] },
  { reason: "a loopback address", ranges: [["127.0.0.0", 8], ["::1", 128]] },
  { reason: "an unspecified address", ranges: [["0.0.0.0", 8], ["::", 128]] },
  { reason: "a link-local address", ranges: [["169.254.0.0", 16], ["fe80::", 10]] },
  { reason: "a private address", ranges: [["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["fc00::", 7]] },
  { reason: "a shared (CGNAT) address", ranges: [["100.64.0.0", 10]] },
  { reason: "a multicast address", ranges: [["224.0.0.0", 4], ["ff00::", 8]] },
  { reason: "a reserved address", ranges: [["240.0.0.0", 4]] },
];

const REFUSED_LISTS = REFUSED.map(({ reason, ranges }) => {
  const list = new BlockList();
  for (const [address, prefix] of ranges) list.addSubnet(address, prefix, isIP(address) === 4 ? "ipv4" : "ipv6");
  return { reason, list };
});

export class EgressPolicy {
  /** Longest wait for a TCP (and TLS) connection to be made. */
  readonly connectTimeoutMs: number;
  /** Longest a whole fetch (a request with its answer, a clone) may take. */
  readonly fetchTimeoutMs: number;
  private readonly hosts: ReadonlyArray<Extract<EgressAllowEntry, { kind: "host" }>>;
  private readonly ranges = new BlockList();

  constructor(options: { allow: readonly EgressAllowEntry[]; connectTimeoutMs: number; fetchTimeoutMs: number }) {
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.fetchTimeoutMs = options.fetchTimeoutMs;
    this.hosts = options.allow.filter((e) => e.kind === "host");
    for (const entry of options.allow) if (entry.kind === "range") this.ranges.addSubnet(entry.address, entry.prefix, entry.family);
  }

  /** CAIRN_EGRESS_ALLOW, plus the endpoints the operator configured elsewhere. */
  static fromConfig(config: EgressConfig): EgressPolicy {
    const github = new URL(config.githubUrl);
    const configured = [
      `${github.hostname}:${github.port || (github.protocol === "https:" ? 443 : 80)}`,
      ...(config.dockerhubRegistry ? [config.dockerhubRegistry] : []),
      ...config.insecureRegistries,
    ];
    return new EgressPolicy({
      allow: [...config.egressAllow, ...parseEgressAllow(configured.join(","))],
      connectTimeoutMs: config.egressConnectTimeoutMs,
      fetchTimeoutMs: config.egressFetchTimeoutMs,
    });
  }

  /** For a local setup or a test that reaches anything: every range allowed. */
  static unrestricted(options: { connectTimeoutMs?: number; fetchTimeoutMs?: number } = {}): EgressPolicy {
    return new EgressPolicy({
      allow: [
        { kind: "range", address: "0.0.0.0", prefix: 0, family: "ipv4" },
        { kind: "range", address: "::", prefix: 0, family: "ipv6" },
      ],
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      fetchTimeoutMs: options.fetchTimeoutMs ?? 600_000,
    });
  }

  /**
   * Resolves `host` (once) and checks every address. `subject` starts a refusal's message,
   * e.g. "request to http://x/ (url of request task 'call') refused: REASON". A name that
   * does not resolve rejects with the DNS error.
   */
  async check(host: string, port: number, subject: string): Promise<EgressDestination> {
    const normalized = normalizeHost(host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);
    if (normalized === undefined) throw new TaskFailure(`${subject} failed: '${host}' is not a host name or address`, { retryable: false });
    const literal = isIP(normalized);
    let addresses: ResolvedAddress[];
    if (literal !== 0) {
      addresses = [{ address: normalized, family: literal as 4 | 6 }];
    } else {
      // A look-up that fails rejects with DNS's own error (ENOTFOUND, EAI_AGAIN), for the caller to word like a failed connection.
      addresses = (await lookup(normalized, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
      if (addresses.length === 0) throw Object.assign(new Error(`${normalized} resolves to no address`), { code: "ENOTFOUND" });
    }
    if (this.hostAllowed(normalized, port)) return { host: normalized, port, addresses };
    // Every address, not the first: a name with one public and one loopback address would otherwise pass.
    for (const { address, family } of addresses) {
      if (this.addressAllowed(address, family, port)) continue;
      const reason = refusedReason(address, family);
      if (reason === undefined) continue;
      const what = literal !== 0 ? `${address} is ${reason}` : `${normalized} resolves to ${address}, ${reason}`;
      throw new EgressRefused(`${subject} refused: ${what}; an operator may allow it with CAIRN_EGRESS_ALLOW`, address, reason);
    }
    return { host: normalized, port, addresses };
  }

  /** `check` for a URL with the port its scheme implies. */
  checkUrl(url: URL, subject: string): Promise<EgressDestination> {
    return this.check(url.hostname, Number(url.port) || defaultPort(url.protocol), subject);
  }

  /**
   * A `lookup` for node:net/http/tls that answers with the checked addresses only, so the
   * connection goes where the check looked.
   */
  static lookupFor(destination: EgressDestination): LookupFunction {
    return (_hostname, options, callback) => {
      const family = options.family === 4 || options.family === "IPv4" ? 4 : options.family === 6 || options.family === "IPv6" ? 6 : undefined;
      const addresses = destination.addresses.filter((a) => family === undefined || a.family === family);
      if (addresses.length === 0) {
        callback(Object.assign(new Error(`${destination.host} has no IPv${family} address that was checked`), { code: "ENOTFOUND" }), "", 0);
      } else if (options.all) {
        (callback as unknown as (err: null, addresses: ResolvedAddress[]) => void)(null, addresses);
      } else {
        callback(null, addresses[0]!.address, addresses[0]!.family);
      }
    };
  }

  private hostAllowed(host: string, port: number): boolean {
    return this.hosts.some((e) => e.host === host && (e.port === undefined || e.port === port));
  }

  private addressAllowed(address: string, family: 4 | 6, port: number): boolean {
    if (this.ranges.check(address, family === 4 ? "ipv4" : "ipv6")) return true;
    const canonical = unmapped(address, family);
    return this.hosts.some((e) => isIP(e.host) !== 0 && unmapped(e.host, isIP(e.host) as 4 | 6) === canonical && (e.port === undefined || e.port === port));
  }
}

export function defaultPort(protocol: string): number {
  return { "http:": 80, "https:": 443, "git:": 9418, "ssh:": 22 }[protocol] ?? 0;
}

/** Why an address is refused, or undefined for a public one. IPv6 forms that carry an IPv4 address are judged by it. */
export function refusedReason(address: string, family: 4 | 6): string | undefined {
  const bare = address.replace(/%.*$/, "");
  const inner = family === 6 ? embeddedIpv4(bare) : undefined;
  if (inner !== undefined) {
    const reason = refusedReason(inner, 4);
    return reason === undefined ? undefined : `an IPv6 form of ${inner}, ${reason}`;
  }
  return REFUSED_LISTS.find(({ list }) => list.check(bare, family === 4 ? "ipv4" : "ipv6"))?.reason;
}

/** An IPv4 address as itself, an IPv6 one in its short form with an IPv4-mapped one (::ffff:a.b.c.d) as the IPv4 address. */
function unmapped(address: string, family: 4 | 6): string {
  if (family === 4) return address;
  const words = ipv6Words(address.replace(/%.*$/, ""));
  if (words === undefined) return address;
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return ipv4Of(words[6]!, words[7]!);
  return normalizeHost(`[${address.replace(/%.*$/, "")}]`) ?? address;
}

/**
 * The IPv4 address inside IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), NAT64
 * (64:ff9b::/96) and 6to4 (2002::/16) addresses: each reaches that IPv4 address on a
 * host or network that translates them.
 */
function embeddedIpv4(address: string): string | undefined {
  const w = ipv6Words(address);
  if (w === undefined) return undefined;
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  // ::/96 holds :: and ::1 too, which are IPv6's own unspecified and loopback addresses.
  if (zeros(0, 5) && (w[5] === 0xffff || (w[5] === 0 && w[6] !== 0))) return ipv4Of(w[6]!, w[7]!);
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return ipv4Of(w[6]!, w[7]!);
  if (w[0] === 0x2002) return ipv4Of(w[1]!, w[2]!);
  return undefined;
}

function ipv4Of(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/** The eight 16-bit words of an IPv6 address (with `::` and a trailing dotted quad), or undefined. */
function ipv6Words(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(":").map((h) => parseInt(h, 16)) : []);
  const front = part(head);
  const back = part(tail);
  const words = tail === undefined ? front : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  return words.length === 8 ? words : undefined;
}
