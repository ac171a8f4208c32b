/**
 * The texts under which a secret value may show up in a log: as is, and in the
 * encodings a program applies without meaning to reveal anything.
 *
 * - base64, standard and url-safe alphabets, with and without padding; and, for a
 *   secret inside a longer base64 text (`echo "user:$TOKEN" | base64`), the characters
 *   that depend on the secret alone at each of the three byte alignments. The one or
 *   two boundary characters that mix a secret's bits with its neighbours' stay visible.
 * - percent-encoding as `encodeURIComponent` writes it and as RFC 3986 does (every
 *   character but `A-Za-z0-9-._~`, like Python's `quote(s, safe="")`), with upper- or
 *   lower-case hex, and with a space as `%20` or `+` (forms).
 * - the body of a JSON string, as `JSON.stringify` writes it and with non-ASCII as
 *   `\uXXXX` (Python's `json.dumps` default).
 * - hex of its UTF-8 bytes (`xxd -p`, `od`, `hexdump -C`, Python's `.hex()`), lower and
 *   upper case, plain and with a space or `:` between bytes.
 * - reversed (`rev`), and spaced: a space between characters (`sed 's/./& /g'`), the
 *   cheap ways to get a value past a masker that looks for it as is.
 * - each line of a multi-line value (a PEM key) on its own, since logs come line by line.
 *
 * Not covered: double encodings, encodings applied to part of a value only, hex grouped
 * by two bytes or more (`xxd` without `-p`), other separators, or any transformation a
 * program makes on purpose: masking protects against accidents, not against a task
 * that wants to leak a value (which is why who may read a secret is decided too:
 * `allowed_pipelines`).
 */

/**
 * Values shorter than this (in characters) are not masked: replacing every "abc" or
 * "true" would make logs unreadable while hiding nothing an attacker could not guess.
 */
export const MIN_MASKED_LENGTH = 4;

/** Every text to mask for these secret values, without duplicates. */
export function maskableForms(secrets: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    const values = [secret, ...secret.split(/\r?\n/)];
    for (const value of values) {
      if (characterCount(value) < MIN_MASKED_LENGTH) continue;
      for (const form of formsOf(value)) if (form.length >= MIN_MASKED_LENGTH) forms.add(form);
    }
  }
  return [...forms];
}

function formsOf(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  return [value, ...jsonForms(value), ...percentForms(value), ...base64Forms(bytes), ...hexForms(bytes), ...rearrangedForms(value)];
}

function hexForms(bytes: Buffer): string[] {
  const lower = bytes.toString("hex");
  const forms: string[] = [];
  for (const hex of [lower, lower.toUpperCase()]) {
    const pairs = hex.match(/../g) ?? [];
    forms.push(hex, pairs.join(" "), pairs.join(":"));
  }
  return forms;
}

/** Reversed and spaced, by characters (code points), so a reversed emoji stays an emoji. */
function rearrangedForms(value: string): string[] {
  const characters = [...value];
  return [characters.slice().reverse().join(""), characters.join(" ")];
}

function jsonForms(value: string): string[] {
  const escaped = JSON.stringify(value).slice(1, -1);
  const asciiOnly = escaped.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return [escaped, asciiOnly];
}

function percentForms(value: string): string[] {
  let component: string;
  try {
    component = encodeURIComponent(value);
  } catch {
    return []; // a lone surrogate has no UTF-8 form; no URL encoder would have written one
  }
  const strict = component.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const forms: string[] = [];
  for (const upper of [component, strict]) {
    const lower = upper.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
    forms.push(upper, lower, upper.replaceAll("%20", "+"), lower.replaceAll("%20", "+"));
  }
  return forms;
}

/**
 * A byte at offset i of a longer text lands in base64 characters that depend on the
 * neighbouring bytes unless it is aligned: with k bytes (0, 1 or 2) before the secret
 * in its 3-byte group, the first 0, 2 or 3 characters mix in unknown bytes, and so does
 * the last character when the secret does not end on a group boundary.
 */
function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = [];
  for (const alphabet of ["base64", "base64url"] as const) {
    const unpadded = bytes.toString("base64url");
    const plain = alphabet === "base64" ? toStandardAlphabet(unpadded) : unpadded;
    forms.push(plain, plain + "=".repeat((4 - (plain.length % 4)) % 4));
    for (const offset of [0, 1, 2]) {
      const shifted = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64url");
      const mixedAtStart = [0, 2, 3][offset]!;
      const mixedAtEnd = (offset + bytes.length) % 3 === 0 ? 0 : 1;
      const inner = shifted.slice(mixedAtStart, shifted.length - mixedAtEnd);
      forms.push(alphabet === "base64" ? toStandardAlphabet(inner) : inner);
    }
  }
  return forms;
}

function toStandardAlphabet(base64url: string): string {
  return base64url.replaceAll("-", "+").replaceAll("_", "/");
}

function characterCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}
