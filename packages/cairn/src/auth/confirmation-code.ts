import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** The code a new account confirms with (GET /register/confirm/{login}/{code}): 128 random bits, URL-safe. */
export function newConfirmationCode(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * Whether `given` is the `expected` code, in time that depends on neither: both are
 * hashed to 32 bytes first, so not even their lengths are compared in the open.
 * `expected` undefined (no code waits) compares against a random value, for the same time.
 */
export function sameConfirmationCode(expected: string | undefined, given: string): boolean {
  const want = digest(expected ?? randomBytes(16).toString("base64url"));
  return timingSafeEqual(want, digest(given)) && expected !== undefined;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
