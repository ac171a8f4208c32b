import type { Kysely } from "kysely";
import { NotFoundError } from "../errors.js";
import { guarded } from "./group-scoped-rows.js";
import type { Database, UsersTable } from "./schema.js";
import type { UserRecord, UserStore } from "./service-store.js";

/** Users: accounts, found by login in any case. */
export function kyselyUserStore(db: Kysely<Database>): UserStore {
  return {
    createUser(user: UserRecord): Promise<void> {
      return guarded("creating a user", async () => {
        await db.insertInto("users").values(userToRow(user)).execute();
      });
    },

    async getUser(login: string): Promise<UserRecord | undefined> {
      const rows = await guarded("reading a user", () =>
        db
          .selectFrom("users")
          .selectAll()
          .where((eb) => eb.or([eb("login", "=", login), eb("login_key", "=", login.toLowerCase())]))
          .execute(),
      );
      // Two rows only for a younger twin from before migration 0010, named by its exact login.
      const row = rows.find((r) => r.login === login) ?? rows[0];
      return row && userFromRow(row);
    },

    confirmUser(login: string): Promise<void> {
      return guarded("confirming a user", async () => {
        const result = await db.updateTable("users").set({ confirmed: 1, confirmation_code: null }).where("login", "=", login).executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) throw new NotFoundError("user", login);
      });
    },

    async countUsers(): Promise<number> {
      const row = await guarded("counting users", () =>
        db.selectFrom("users").select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow(),
      );
      return Number(row.n);
    },
  };
}

function userToRow(u: UserRecord): UsersTable {
  return {
    login: u.login,
    email: u.email,
    password_hash: u.passwordHash,
    confirmed: u.confirmed ? 1 : 0,
    confirmation_code: u.confirmationCode,
    is_admin: u.isAdmin ? 1 : 0,
    created_at: u.createdAt,
    login_key: u.login.toLowerCase(),
    email_key: u.email.toLowerCase(),
  };
}

function userFromRow(r: UsersTable): UserRecord {
  return {
    login: r.login,
    email: r.email,
    passwordHash: r.password_hash,
    confirmed: Number(r.confirmed) === 1,
    confirmationCode: r.confirmation_code,
    isAdmin: Number(r.is_admin) === 1,
    createdAt: Number(r.created_at),
  };
}
