import type { FastifyRequest } from "fastify";
import { CairnError } from "../errors.js";

/** Who is calling: a logged-in user, or a task holding the token injected for its run. */
export interface Principal {
  login: string;
  isAdmin: boolean;
  /** Set for a run-scoped token: it may only touch this group (and its run's resources). */
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
  const cookie = request.cookies?.[SESSION_COOKIE];
  return cookie !== undefined && cookie !== "" ? cookie : undefined;
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.authError) throw request.authError;
  if (!request.principal) {
    throw new CairnError("unauthenticated", "log in first: send a token in X-Tapis-Token or Authorization: Bearer, or the session cookie");
  }
  return request.principal;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
    /** Why the token sent was refused; thrown where a caller is needed. */
    authError: CairnError | null;
  }
}
