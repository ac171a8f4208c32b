import { randomBytes } from "node:crypto";

/** The code a new account confirms with (GET /register/confirm/{login}/{code}): 128 random bits, URL-safe. */
export function newConfirmationCode(): string {
  return randomBytes(16).toString("base64url");
}
