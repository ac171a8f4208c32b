import { randomUUID } from "node:crypto";
import { CairnError } from "../errors.js";
import { issueToken, verifyToken, type TokenClaims } from "../auth/tokens.js";
import type { DataKey } from "../secrets/key-ring.js";
import type { ServiceStore } from "../store/service-store.js";
import type { TokenService } from "./api-context.js";
import type { Principal } from "./principal.js";

/** How long a token injected into a run lasts at most; it is revoked when the run ends anyway. */
const RUN_TOKEN_TTL_SECONDS = 24 * 3600;

/**
 * Signed, expiring tokens (auth/tokens.ts) plus what a signature cannot say: whether the
 * token was revoked (log-out, a finished run) and whether its user still exists.
 */
export class SignedTokenService implements TokenService {
  constructor(
    private readonly key: DataKey,
    private readonly store: ServiceStore,
    private readonly sessionTtlSeconds: number,
  ) {}

  async issueSession(login: string): Promise<{ token: string; expiresAt: number }> {
    return this.issue({ sub: login, kind: "session", jti: randomUUID() }, this.sessionTtlSeconds);
  }

  async issueRunToken(login: string, groupId: string, runUuid: string): Promise<{ token: string; expiresAt: number }> {
    return this.issue({ sub: login, kind: "run", grp: groupId, run: runUuid, jti: randomUUID() }, RUN_TOKEN_TTL_SECONDS);
  }

  async authenticate(token: string): Promise<Principal> {
    let claims: TokenClaims;
    try {
      claims = verifyToken(this.key, token);
    } catch (err) {
      const reason = (err as { problem?: string }).problem === "expired" ? "the token has expired; log in again" : "the token is not valid";
      throw new CairnError("unauthenticated", reason, { cause: err });
    }
    const [revoked, user] = await Promise.all([this.store.isTokenRevoked(claims.jti), this.store.getUser(claims.sub)]);
    if (revoked) throw new CairnError("unauthenticated", "the token was revoked; log in again");
    if (!user) throw new CairnError("unauthenticated", "the token's user no longer exists");
    return {
      login: user.login,
      isAdmin: user.isAdmin,
      tokenId: claims.jti,
      expiresAt: claims.exp * 1000,
      ...(claims.kind === "run" && claims.grp && claims.run ? { scope: { groupId: claims.grp, runUuid: claims.run } } : {}),
    };
  }

  async revoke(principal: Principal): Promise<void> {
    await this.store.revokeToken(principal.tokenId, principal.expiresAt);
  }

  private issue(claims: Omit<TokenClaims, "iat" | "exp">, ttlSeconds: number): { token: string; expiresAt: number } {
    const token = issueToken(this.key, claims, ttlSeconds);
    return { token, expiresAt: Date.now() + ttlSeconds * 1000 };
  }
}
