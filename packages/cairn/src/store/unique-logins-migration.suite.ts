import { Kysely, Migrator } from "kysely";
import { describe, expect, it } from "vitest";
import { KyselyStore } from "./kysely-store.js";
import { migrationProvider } from "./migrations/migration-provider.js";
import type { StoreDialect } from "./store-dialect.js";

/**
 * Migration 0010 on a database that already holds users whose logins differ only by case
 * and users sharing an email (both allowed before it): the migration keeps every row, the
 * oldest of each clash holds the key, and the rules hold from then on.
 */
export function describeUniqueLoginsMigration(name: string, newDatabase: () => Promise<() => StoreDialect>): void {
  describe(`migration 0010-unique-logins on ${name}`, () => {
    it("keeps clashing rows from before it, gives the key to the oldest, and refuses new clashes", async () => {
      const open = await newDatabase();
      const dialect = open();
      const db = new Kysely<any>({ dialect: dialect.kysely });
      const migrator = new Migrator({ db, provider: migrationProvider({ serialKey: dialect.serialKey }) });
      const before = await migrator.migrateTo("0006-image-catalog");
      expect(before.error).toBeUndefined();
      const row = (login: string, email: string, createdAt: number) => ({
        login,
        email,
        password_hash: "h",
        confirmed: 1,
        confirmation_code: null,
        is_admin: 0,
        created_at: createdAt,
      });
      await db
        .insertInto("users")
        .values([row("Alice", "a1@example.org", 2), row("alice", "A1@example.org", 1), row("ALICE", "a3@example.org", 3), row("bob", "a1@EXAMPLE.org", 1)])
        .execute();
      await db.destroy();

      const store = new KyselyStore(open());
      try {
        await store.migrate();
        // Exact logins first; any other case finds the oldest, which holds the key.
        expect((await store.service.getUser("Alice"))?.login).toBe("Alice");
        expect((await store.service.getUser("ALICE"))?.login).toBe("ALICE");
        expect((await store.service.getUser("aLiCe"))?.login).toBe("alice");
        const user = (login: string, email: string) => ({ login, email, passwordHash: "h", confirmed: true, confirmationCode: null, isAdmin: false, createdAt: 9 });
        await expect(store.service.createUser(user("ALIce", "new@example.org"))).rejects.toMatchObject({ code: "conflict" });
        // a1@ was held by bob and alice (both created at 1): the smaller login, alice, keeps it.
        await expect(store.service.createUser(user("carol", "A1@example.ORG"))).rejects.toMatchObject({ code: "conflict" });
        await store.service.createUser(user("carol", "carol@example.org"));
        expect(await store.service.countUsers()).toBe(5);
      } finally {
        await store.close();
      }
    });
  });

}
