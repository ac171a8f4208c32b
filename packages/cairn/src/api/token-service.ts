import { randomUUID } from "node:crypto";
import { CairnError } from "../errors.js";
import { issueToken, verifyToken, type TokenClaims } from "../auth/tokens.js";
import type { DataKey } from "../secrets/key-ring.js";
import type { RunId } from "../ids.js";
import { TERMINAL_RUN_STATUSES, type Store } from "../store/store.js";
import type { TokenService } from "./api-context.js";
import type { Principal } from "./principal.js";

/** How long a token injected into a run lasts at most; it is revoked when the run ends anyway. */
const RUN_TOKEN_TTL_SECONDS = 24 * 3600;

/**
 * Signed, expiring tokens (auth/tokens.ts) plus what a signature cannot say: whether the
 * token was revoked (log-out), whether its run has ended (a run's token dies with the
 * run: asked of the run itself, so a crash between the run's end and a revocation
 * cannot leave the token alive), and whether its user still exists.
 */
export class SignedTokenService implements TokenService {
  constructor(
    private readonly key: DataKey,
    private readonly store: Store,
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
    const [revoked, user, run] = await Promise.all([
      this.store.service.isTokenRevoked(claims.jti),
      this.store.service.getUser(claims.sub),
      claims.kind === "run" && claims.run ? this.store.getRun(claims.run as RunId) : undefined,
    ]);
    if (revoked) throw new CairnError("unauthenticated", "the token was revoked; log in again");
    if (claims.kind === "run" && (!run || TERMINAL_RUN_STATUSES.includes(run.status))) {
      throw new CairnError("unauthenticated", "the token belonged to a run that has ended");
    }
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
    await this.store.service.revokeToken(principal.tokenId, principal.expiresAt);
  }

  private issue(claims: Omit<TokenClaims, "iat" | "exp">, ttlSeconds: number): { token: string; expiresAt: number } {
    const token = issueToken(this.key, claims, ttlSeconds);
    return { token, expiresAt: Date.now() + ttlSeconds * 1000 };
  }
}
