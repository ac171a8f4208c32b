import { isIPv4, isIPv6 } from "node:net";

/**
 * The key per-address limits count under: an IPv4 address as is (an IPv4-mapped IPv6
 * address too), an IPv6 address by its /64 prefix, since one host is routinely given a
 * whole /64 and could otherwise change addresses at will.
 */
export function clientAddressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(":")}::/64`;
}

/** The eight groups of an IPv6 address, without zone, `::` filled in, as lower-case hex without leading zeros. */
function expandIPv6(ip: string): string[] {
  const bare = ip.split("%")[0]!.toLowerCase();
  const [head = "", tail] = bare.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::1.2.3.4) takes two groups.
  const last = right.length > 0 ? right : left;
  if (last.length > 0 && isIPv4(last[last.length - 1]!)) {
    const [a, b, c, d] = last.pop()!.split(".").map(Number) as [number, number, number, number];
    last.push(((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill("0"), ...right].map((g) => Number.parseInt(g, 16).toString(16));
}
