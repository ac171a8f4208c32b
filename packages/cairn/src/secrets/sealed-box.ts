import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { CairnError } from "../errors.js";
import type { DataKey } from "./key-ring.js";

/**
 * Encryption at rest for credentials and secret values: AES-256-GCM, a fresh random
 * 12-byte IV per value, and associated data that names the row the value belongs to
 * (e.g. `identity:<uuid>`), so a ciphertext copied into another row does not open.
 *
 * Sealed form: `v1.<iv>.<tag>.<ciphertext>`, each part base64url without padding.
 * The version prefix leaves room for another algorithm or key later; it is also
 * authenticated (it is part of the associated data), so it cannot be swapped.
 */

const VERSION = "v1";
const IV_BYTES = 12; // the GCM standard size (NIST SP 800-38D); other sizes go through GHASH
const TAG_BYTES = 16;
const ALGORITHM = "aes-256-gcm";

export type OpenProblem = "malformed" | "unsupported_version" | "not_authentic";

export class SealedBoxError extends CairnError {
  override name = "SealedBoxError";
  readonly problem: OpenProblem;

  constructor(problem: OpenProblem, message: string, options?: { cause?: unknown }) {
    super("internal", message, { cause: options?.cause, details: { problem } });
    this.problem = problem;
  }
}

export function seal(key: DataKey, plaintext: string, associatedData: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(authenticatedHeader(VERSION, associatedData));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString("base64url"), tag.toString("base64url"), ciphertext.toString("base64url")].join(".");
}

/** The plaintext; throws SealedBoxError when the value was altered, or belongs to another row or key. */
export function open(key: DataKey, sealed: string, associatedData: string): string {
  const parts = sealed.split(".");
  if (parts.length !== 4) throw new SealedBoxError("malformed", `A sealed value has 4 dot-separated parts, this one has ${parts.length}`);
  const [version, ivText, tagText, ciphertextText] = parts as [string, string, string, string];
  if (version !== VERSION) throw new SealedBoxError("unsupported_version", `Sealed values of version '${version}' are not supported`);
  const iv = decodeCanonicalBase64url(ivText, "IV");
  const tag = decodeCanonicalBase64url(tagText, "tag");
  const ciphertext = decodeCanonicalBase64url(ciphertextText, "ciphertext");
  if (iv.length !== IV_BYTES) throw new SealedBoxError("malformed", `The IV must be ${IV_BYTES} bytes, got ${iv.length}`);
  if (tag.length !== TAG_BYTES) throw new SealedBoxError("malformed", `The tag must be ${TAG_BYTES} bytes, got ${tag.length}`);

  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(authenticatedHeader(version, associatedData));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch (err) {
    throw new SealedBoxError(
      "not_authentic",
      "A sealed value does not open: it was altered, or belongs to another record, or was sealed with another key",
      { cause: err },
    );
  }
}

function authenticatedHeader(version: string, associatedData: string): Buffer {
  return Buffer.from(`cairn-sealed-box ${version}\n${associatedData}`, "utf8");
}

/**
 * Node's decoder skips unknown characters and ignores the spare bits of the last one,
 * so several texts decode to the same bytes; only the canonical text is accepted, so
 * that any change to a sealed value is refused rather than silently equivalent.
 */
function decodeCanonicalBase64url(text: string, part: string): Buffer {
  const bytes = Buffer.from(text, "base64url");
  if (!/^[A-Za-z0-9_-]*$/.test(text) || bytes.toString("base64url") !== text) {
    throw new SealedBoxError("malformed", `The ${part} of a sealed value is not base64url`);
  }
  return bytes;
}
