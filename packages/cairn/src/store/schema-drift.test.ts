import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createStore } from "./create-store.js";

/**
 * Fails, with a diff, when the migrations produce a schema other than the committed
 * schema.sqlite.sql: a schema change must be a new migration and a reviewed snapshot.
 * After adding a migration on purpose, refresh the snapshot with
 *   npx vitest run packages/cairn/src/store/schema-drift.test.ts -u
 * and commit schema.sqlite.sql together with the migration.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-schema-drift-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("the migrated SQLite schema matches schema.sqlite.sql", async () => {
  const path = join(dir, "cairn.db");
  await (await createStore({ sqlitePath: path })).close();

  const database = new BetterSqlite3(path, { readonly: true });
  // Kysely's own bookkeeping tables are left out: they are not ours to snapshot.
  const ddl = database
    .prepare(
      `select sql from sqlite_master
       where sql is not null and name not like 'kysely_%' and name not like 'sqlite_%'
       order by case type when 'table' then 0 else 1 end, name`,
    )
    .pluck()
    .all() as string[];
  database.close();

  await expect(ddl.map((statement) => `${statement};\n`).join("\n")).toMatchFileSnapshot("./schema.sqlite.sql");
});
