import type { DataKey } from "../secrets/key-ring.js";
import { TokenError, verifyToken, type TokenClaims } from "./tokens.js";

/** About 3 MB of tokens and claims at most. */
const DEFAULT_CAPACITY = 10_000;

/**
 * verifyToken that remembers the tokens whose signature held, so a client sending the
 * same token on every request pays for the HMAC once (about 9 µs a request on the
 * development machines, a tenth of a cheap request's CPU). Only the signature's verdict
 * is remembered, which cannot change for a given token and key: expiry is checked on
 * every call, and whether the token was revoked, or its user or run still exist, is for
 * the caller to ask the database each time. A token that fails is not remembered, and
 * the oldest entry makes room when it is full.
 */
export class TokenVerifier {
  readonly #claims = new Map<string, Readonly<TokenClaims>>();

  constructor(
    private readonly key: DataKey,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  verify(token: string, now = Date.now()): Readonly<TokenClaims> {
    const known = this.#claims.get(token);
    if (known === undefined) {
      const claims = Object.freeze(verifyToken(this.key, token, now));
      if (this.#claims.size >= this.capacity) this.#claims.delete(this.#claims.keys().next().value!);
      this.#claims.set(token, claims);
      return claims;
    }
    if (known.exp * 1000 <= now) {
      this.#claims.delete(token);
      throw new TokenError("expired", "the token has expired");
    }
    return known;
  }
}
