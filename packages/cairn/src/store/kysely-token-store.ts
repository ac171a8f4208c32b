import type { Kysely } from "kysely";
import type { AccessQueries } from "./access-queries.js";
import { guarded } from "./group-scoped-rows.js";
import type { Database } from "./schema.js";
import type { TokenRef, TokenStanding, TokenStore } from "./service-store.js";

/** Revoked tokens, and the one read that authenticates a token. */
export function kyselyTokenStore(db: Kysely<Database>, access: AccessQueries): TokenStore {
  return {
    revokeToken(jti: string, expiresAt: number): Promise<void> {
      return guarded("revoking a token", async () => {
        // Expired revocations are useless: the token fails its expiry check anyway.
        await db.deleteFrom("revoked_tokens").where("expires_at", "<", Date.now()).execute();
        await db.insertInto("revoked_tokens").values({ jti, expires_at: expiresAt }).onConflict((oc) => oc.column("jti").doNothing()).execute();
      });
    },

    async isTokenRevoked(jti: string): Promise<boolean> {
      const row = await guarded("checking a token", () => db.selectFrom("revoked_tokens").select("jti").where("jti", "=", jti).executeTakeFirst());
      return row !== undefined;
    },

    getTokenStanding(token: TokenRef): Promise<TokenStanding> {
      return guarded("checking a token", () => access.tokenStanding(token));
    },
  };
}
