import { parseCookie } from "cookie";
import type { FastifyRequest } from "fastify";
import type { TokenClaims } from "../auth/tokens.js";
import { CairnError } from "../errors.js";

/** Who is calling: a logged-in user, or a task holding the token injected for its run. */
export interface Principal {
  login: string;
  isAdmin: boolean;
  /**
   * Set for a run's token: it reaches only this group (group-access.ts), only the routes
   * that allow run tokens (run-token-scope.ts), and acts for the less privileged of the
   * run's starter and its definition's author (run-token-actor.ts).
   */
  scope?: { groupId: string; runUuid: string };
  tokenId: string;
  expiresAt: number;
}

export const SESSION_COOKIE = "cairn_token";

/** The token from `X-Tapis-Token`, `Authorization: Bearer`, or the session cookie, in that order. */
export function tokenOf(request: FastifyRequest): string | undefined {
  const tapis = request.headers["x-tapis-token"];
  if (typeof tapis === "string" && tapis !== "") return tapis;
  const auth = request.headers.authorization;
  if (auth !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(auth);
    if (match) return match[1];
  }
  // Parsed here, and only when no header carried a token, with the parser @fastify/cookie
  // uses (the plugin serves only the routes that set cookies: api/build-api.ts).
  const header = request.headers.cookie;
  if (header === undefined || header === "") return undefined;
  const cookie = parseCookie(header)[SESSION_COOKIE];
  return cookie !== undefined && cookie !== "" ? cookie : undefined;
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.authError) throw request.authError;
  if (!request.principal) throw logInFirst();
  return request.principal;
}

/** On a route with `config.standingInHandler`: the claims of the token, whose signature and expiry held. */
export function claimsOf(request: FastifyRequest): Readonly<TokenClaims> {
  if (request.authError) throw request.authError;
  if (!request.claims) throw logInFirst();
  return request.claims;
}

function logInFirst(): CairnError {
  return new CairnError("unauthenticated", "log in first: send a token in X-Tapis-Token or Authorization: Bearer, or the session cookie");
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
    /** On routes with `standingInHandler`, instead of `principal`: the claims of a token whose signature and expiry held. */
    claims: Readonly<TokenClaims> | null;
    /** Why the token sent was refused; thrown where a caller is needed. */
    authError: CairnError | null;
  }
  interface FastifyContextConfig {
    /**
     * The handler reads the token's standing (revoked? its user? its run?) itself, in
     * the same query as the rows it serves, and admits the caller (see `loadRunOfRequest`
     * in routes/runs.ts); the request hook only checks the signature and expiry. Until
     * the handler does, `principal` stays null and principalOf refuses the request, so a
     * handler that forgets fails closed.
     */
    standingInHandler?: boolean;
  }
}
