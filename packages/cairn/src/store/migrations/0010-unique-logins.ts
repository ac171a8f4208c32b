import { sql, type Kysely, type Migration } from "kysely";

/**
 * Logins unique whatever their case, and one account per email address (issue 21: `Alice`
 * could register beside `alice`, and one address any number of accounts). Each user gets
 * `login_key` and `email_key`, the lower-cased login and email, under unique indexes;
 * log-in and confirmation look logins up by `login_key`.
 *
 * Rows from before this migration may already clash. None is deleted or renamed (they own
 * groups, runs and tokens): the oldest account of each clash holds the key, the younger
 * keep a null key (unique indexes allow any number of nulls). A younger account still logs
 * in by its exact login, and its login and address are not free for anyone new.
 */
export function uniqueLogins(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("users").addColumn("login_key", "text").execute();
      await db.schema.alterTable("users").addColumn("email_key", "text").execute();
      for (const [key, column] of [
        ["login_key", "login"],
        ["email_key", "email"],
      ] as const) {
        // The oldest row of each lower-cased value takes the key; equal times fall to the smaller login.
        await sql`
          update users set ${sql.ref(key)} = lower(${sql.ref(column)})
          where not exists (
            select 1 from users as older
            where lower(older.${sql.ref(column)}) = lower(users.${sql.ref(column)})
              and (older.created_at < users.created_at or (older.created_at = users.created_at and older.login < users.login))
          )`.execute(db);
      }
      await db.schema.createIndex("users_login_key").on("users").column("login_key").unique().execute();
      await db.schema.createIndex("users_email_key").on("users").column("email_key").unique().execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex("users_email_key").execute();
      await db.schema.dropIndex("users_login_key").execute();
      await db.schema.alterTable("users").dropColumn("email_key").execute();
      await db.schema.alterTable("users").dropColumn("login_key").execute();
    },
  };
}
