/**
 * Each group's images live under their own names in the shared container engine,
 * `localhost/cairn/NAMESPACE/PATH:TAG`, so no group can give its image a name another
 * group (or the operator) runs: the engine's name table is the one thing every tenant
 * shares (issue 21, finding 2). The namespace is made from the exact group id, and is
 * different for ids that differ only by case (`~Alice`, `~alice`), since engines accept
 * lowercase repository names only:
 *
 * - a group id that is already a valid lowercase path component is its own namespace
 *   (`lab` -> `localhost/cairn/lab/...`);
 * - a personal space `~login` with such a login is `u--login`;
 * - any other id is `x--` and the id in lowercase base32.
 *
 * The three never meet: a plain component has no `--`, and the prefixes differ.
 */

export const NAMESPACE_ROOT = "localhost/cairn/";

/** One path component as Docker's reference grammar has it, without the double separators. */
const PLAIN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

export function namespaceOf(groupId: string): string {
  if (PLAIN.test(groupId)) return groupId;
  if (groupId.startsWith("~") && PLAIN.test(groupId.slice(1))) return `u--${groupId.slice(1)}`;
  return `x--${base32(groupId)}`;
}

/** `localhost/cairn/NAMESPACE/` */
export function namespacePrefix(groupId: string): string {
  return `${NAMESPACE_ROOT}${namespaceOf(groupId)}/`;
}

/** Whether a reference names an image of the group's own namespace. */
export function isInNamespace(groupId: string, reference: string): boolean {
  return reference.startsWith(namespacePrefix(groupId));
}

/**
 * The engine's name, in the group's namespace, for a name a task of the group gives:
 * `localhost/PATH:TAG` and `PATH:TAG` are `localhost/cairn/NS/PATH:TAG`; a registry's
 * `host[:port]/PATH:TAG` is `localhost/cairn/NS/host[-port]/PATH:TAG` (where a build
 * keeps what it pushed there); a name in the namespace already is itself. Undefined for
 * a digest, and for a name of another group's namespace.
 */
export function ownEngineName(groupId: string, reference: string): string | undefined {
  if (DIGEST.test(reference) || reference.includes("@")) return undefined;
  const named = withTag(reference);
  if (named.startsWith(NAMESPACE_ROOT)) return isInNamespace(groupId, named) ? named : undefined;
  const slash = named.indexOf("/");
  const first = slash < 0 ? "" : named.slice(0, slash);
  const rest = named.slice(slash + 1);
  if (first === "localhost") return `${namespacePrefix(groupId)}${rest}`;
  if (first.includes(".") || first.includes(":")) return `${namespacePrefix(groupId)}${first.replace(/:/g, "-")}/${rest}`;
  return `${namespacePrefix(groupId)}${named}`;
}

/** The short name a user gave a local image, as the catalog keeps it beside the engine's name: `localhost/PATH:TAG`. */
export function localName(path: string, tag: string): string {
  return `localhost/${path}:${tag}`;
}

/** `repo` means `repo:latest`, as engines read it; a name with a tag or digest is kept. */
export function withTag(name: string): string {
  const lastPart = name.slice(name.lastIndexOf("/") + 1);
  return lastPart.includes(":") || lastPart.includes("@") ? name : `${name}:latest`;
}

/** RFC 4648 base32 in lowercase, without padding: letters and digits only, so a valid path component. */
function base32(text: string): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}
