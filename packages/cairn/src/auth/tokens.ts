import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { CairnError } from "../errors.js";
import type { DataKey } from "../secrets/key-ring.js";

/**
 * Signed, expiring bearer tokens in the JWT compact form (HS256), so any JWT tool can
 * read them. The signing key is derived from the data key with HKDF, so a token
 * signature never exposes the key that seals credentials.
 */

export interface TokenClaims {
  /** The user's login. */
  sub: string;
  /** A session from log-in, or a token injected into one run's tasks. */
  kind: "session" | "run";
  /** For run tokens: the group and run the token is limited to. */
  grp?: string;
  run?: string;
  /** Token id, the handle for revocation. */
  jti: string;
  /** Issued at and expires at, in seconds since the epoch. */
  iat: number;
  exp: number;
}

export type TokenProblem = "malformed" | "bad_signature" | "expired";

export class TokenError extends CairnError {
  override name = "TokenError";
  readonly problem: TokenProblem;

  constructor(problem: TokenProblem, message: string) {
    super("unauthenticated", message, { details: { problem } });
    this.problem = problem;
  }
}

const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
const signingKeys = new WeakMap<DataKey, Buffer>();

export function issueToken(key: DataKey, claims: Omit<TokenClaims, "iat" | "exp">, ttlSeconds: number, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const payload = base64url(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds }));
  return `${HEADER}.${payload}.${sign(key, `${HEADER}.${payload}`)}`;
}

/** The token's claims when its signature holds and it has not expired; TokenError otherwise. */
export function verifyToken(key: DataKey, token: string, now = Date.now()): TokenClaims {
  const parts = token.split(".");
  if (parts.length !== 3) throw new TokenError("malformed", "the token is not in the form header.payload.signature");
  const [header, payload, signature] = parts as [string, string, string];
  const expected = Buffer.from(sign(key, `${header}.${payload}`));
  const given = Buffer.from(signature);
  if (header !== HEADER || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new TokenError("bad_signature", "the token's signature does not match");
  }
  const claims = parseClaims(payload);
  if (claims.exp * 1000 <= now) throw new TokenError("expired", "the token has expired");
  return claims;
}

function parseClaims(payload: string): TokenClaims {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw new TokenError("malformed", "the token's payload is not JSON");
  }
  const claims = value as Partial<TokenClaims> | null;
  const valid =
    claims !== null &&
    typeof claims === "object" &&
    typeof claims.sub === "string" &&
    (claims.kind === "session" || claims.kind === "run") &&
    typeof claims.jti === "string" &&
    typeof claims.iat === "number" &&
    typeof claims.exp === "number";
  if (!valid) throw new TokenError("malformed", "the token's payload lacks sub, kind, jti, iat or exp");
  return claims as TokenClaims;
}

function sign(key: DataKey, data: string): string {
  return createHmac("sha256", signingKeyOf(key)).update(data).digest("base64url");
}

function signingKeyOf(key: DataKey): Buffer {
  let derived = signingKeys.get(key);
  if (!derived) {
    derived = Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), "cairn token signing", 32));
    signingKeys.set(key, derived);
  }
  return derived;
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}
