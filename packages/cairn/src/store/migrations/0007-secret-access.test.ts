import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kysely, Migrator } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sqliteDialect } from "../sqlite-dialect.js";
import { migrationProvider } from "./migration-provider.js";

/** Secrets that exist keep what they allowed before 0007: every pipeline of their group, and "*" for those to come from admins. */
describe("migration 0007-secret-access", () => {
  let dir: string;
  let db: Kysely<any>;
  let migrator: Migrator;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-0007-"));
    const dialect = sqliteDialect(join(dir, "cairn.db"));
    db = new Kysely<any>({ dialect: dialect.kysely });
    migrator = new Migrator({ db, provider: migrationProvider({ serialKey: dialect.serialKey }) });
  });
  afterEach(async () => {
    await db.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it("allows every pipeline that existed, and \"*\", for each secret that existed", async () => {
    expect((await migrator.migrateTo("0006-image-catalog")).error).toBeUndefined();
    for (const id of ["lab", "other"]) await db.insertInto("groups").values({ id, uuid: `${id}-uuid`, owner: "ada", created_at: 1 }).execute();
    const pipeline = (groupId: string, id: string) => ({ uuid: `${groupId}-${id}-uuid`, group_id: groupId, id, owner: "bob", definition: "{}", created_at: 1, updated_at: 1 });
    await db.insertInto("pipelines").values([pipeline("lab", "a"), pipeline("lab", "b"), pipeline("other", "c")]).execute();
    await db.insertInto("group_secrets").values({ group_id: "lab", name: "K", sealed_value: "v1.x", created_at: 1, updated_at: 1 }).execute();

    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const secret = await db.selectFrom("group_secrets").selectAll().executeTakeFirstOrThrow();
    expect(JSON.parse(secret.allowed_pipelines)).toEqual(["*", "lab-a-uuid", "lab-b-uuid"]);
    await db.insertInto("group_secrets").values({ group_id: "other", name: "NEW", sealed_value: "v1.y", created_at: 2, updated_at: 2 }).execute();
    const fresh = await db.selectFrom("group_secrets").selectAll().where("name", "=", "NEW").executeTakeFirstOrThrow();
    expect(JSON.parse(fresh.allowed_pipelines)).toEqual(["*"]);
    expect((await migrator.migrateDown()).error).toBeUndefined();
  });
});
