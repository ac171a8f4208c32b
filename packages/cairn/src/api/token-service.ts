import { randomUUID } from "node:crypto";
import { CairnError } from "../errors.js";
import { TokenVerifier } from "../auth/token-verifier.js";
import { issueToken, type TokenClaims } from "../auth/tokens.js";
import type { DataKey } from "../secrets/key-ring.js";
import type { TokenRef, TokenStanding } from "../store/service-store.js";
import { TERMINAL_RUN_STATUSES, type RunStatus, type Store } from "../store/store.js";
import type { TokenService } from "./api-context.js";
import type { Principal } from "./principal.js";
import { actingLogin, type RunActors } from "./run-token-actor.js";

/** How long a token injected into a run lasts at most; it is revoked when the run ends anyway. */
const RUN_TOKEN_TTL_SECONDS = 24 * 3600;

/**
 * Signed, expiring tokens (auth/tokens.ts) plus what a signature cannot say: whether the
 * token was revoked (log-out), whether its run has ended (a run's token dies with the
 * run: asked of the run itself, so a crash between the run's end and a revocation
 * cannot leave the token alive), and whether its user still exists. Those three are read
 * in one query on every request and never cached, so a log-out, a deleted user or an
 * ended run stops the token at once, also on another server process sharing the
 * database; only the signature's verdict is remembered (auth/token-verifier.ts).
 */
export class SignedTokenService implements TokenService {
  readonly #verifier: TokenVerifier;

  constructor(
    private readonly key: DataKey,
    private readonly store: Store,
    private readonly sessionTtlSeconds: number,
  ) {
    this.#verifier = new TokenVerifier(key);
  }

  async issueSession(login: string): Promise<{ token: string; expiresAt: number }> {
    return this.issue({ sub: login, kind: "session", jti: randomUUID() }, this.sessionTtlSeconds);
  }

  /**
   * A token for a run's tasks, acting for the less privileged of the run's starter and
   * the author of its definition (run-token-actor.ts); what it may do is limited further
   * by route (run-token-scope.ts) and to the run's group (group-access.ts).
   */
  async issueRunToken(run: RunActors & { uuid: string; startedBy: string }): Promise<{ token: string; expiresAt: number }> {
    const login = await actingLogin(this.store.service, run);
    return this.issue({ sub: login, kind: "run", grp: run.groupId, run: run.uuid, jti: randomUUID() }, RUN_TOKEN_TTL_SECONDS);
  }

  async authenticate(token: string): Promise<Principal> {
    const claims = this.verify(token);
    return this.admit(claims, await this.store.service.getTokenStanding(tokenRefOf(claims)));
  }

  verify(token: string): Readonly<TokenClaims> {
    try {
      return this.#verifier.verify(token);
    } catch (err) {
      const reason = (err as { problem?: string }).problem === "expired" ? "the token has expired; log in again" : "the token is not valid";
      throw new CairnError("unauthenticated", reason, { cause: err });
    }
  }

  admit(claims: Readonly<TokenClaims>, { revoked, user, runStatus }: TokenStanding): Principal {
    if (revoked) throw new CairnError("unauthenticated", "the token was revoked; log in again");
    if (claims.kind === "run" && (runStatus === undefined || TERMINAL_RUN_STATUSES.includes(runStatus as RunStatus))) {
      throw new CairnError("unauthenticated", "the token belonged to a run that has ended");
    }
    if (!user) throw new CairnError("unauthenticated", "the token's user no longer exists");
    const principal = { login: user.login, isAdmin: user.isAdmin, tokenId: claims.jti, expiresAt: claims.exp * 1000 };
    if (claims.kind !== "run") return principal;
    // Fail closed: a run's token without its group and run would otherwise pass for a session.
    if (!claims.grp || !claims.run) throw new CairnError("unauthenticated", "the run's token names no group or run");
    // A run's token never carries its user's server-wide admin rights.
    return { ...principal, isAdmin: false, scope: { groupId: claims.grp, runUuid: claims.run } };
  }

  async revoke(principal: Principal): Promise<void> {
    await this.store.service.revokeToken(principal.tokenId, principal.expiresAt);
  }

  private issue(claims: Omit<TokenClaims, "iat" | "exp">, ttlSeconds: number): { token: string; expiresAt: number } {
    const token = issueToken(this.key, claims, ttlSeconds);
    return { token, expiresAt: Date.now() + ttlSeconds * 1000 };
  }
}

/** What the database knows the token by. */
export function tokenRefOf(claims: Readonly<TokenClaims>): TokenRef {
  return { jti: claims.jti, login: claims.sub, runUuid: claims.kind === "run" ? claims.run : undefined };
}
