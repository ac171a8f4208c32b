import { CompiledQuery, Kysely, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RawRows, StoreDialect } from "./store-dialect.js";

/** Raw rows as the objects Kysely's executor returns, keys in column order. */
function keyed({ columns, rows }: RawRows): Record<string, unknown>[] {
  return rows.map((values) => Object.fromEntries(columns.map((name, i) => [name, values[i]])));
}

/** A dialect's prepared reads (store-dialect.ts) against Kysely's own executor, run once per database. */
export function describePreparedReadsSuite(name: string, makeDialect: () => Promise<StoreDialect>): void {
  describe(`prepared reads on ${name}`, () => {
    let dialect: StoreDialect;
    let db: Kysely<any>;
    beforeEach(async () => {
      dialect = await makeDialect();
      db = new Kysely<any>({ dialect: dialect.kysely });
      await db.schema.createTable("notes").addColumn("id", "text", (c) => c.primaryKey()).addColumn("size", "integer").addColumn("body", "text").execute();
      await db.insertInto("notes").values([{ id: "a", size: 1, body: "one" }, { id: "b", size: null, body: null }]).execute();
    });
    afterEach(async () => {
      await db.destroy();
    });

    it("answers what Kysely's executor answers, column for column, with values bound at each call", async () => {
      const query = db.selectFrom("notes").select(["body", "id", "size", sql<number>`1`.as("one")]).where("id", "=", "a").compile();
      const read = dialect.preparedReads.prepare(query.sql);
      for (const id of ["a", "b", "c"]) {
        const expected = (await db.executeQuery(CompiledQuery.raw(query.sql, [id]))).rows;
        const rows = keyed(await read([id]));
        expect(rows).toEqual(expected);
        expect(rows.map((row) => Object.keys(row))).toEqual(expected.map((row) => Object.keys(row as object)));
      }
      expect(await read(["b"])).toEqual({ columns: ["body", "id", "size", "one"], rows: [[null, "b", null, 1]] });
    });

    it("sees what is committed, never a transaction's rows before its commit", async () => {
      const read = dialect.preparedReads.prepare(db.selectFrom("notes").select("id").where("id", "=", "c").compile().sql);
      await db.transaction().execute(async (trx) => {
        await trx.insertInto("notes").values({ id: "c", size: 3, body: "three" }).execute();
        expect((await read(["c"])).rows).toEqual([]);
      });
      expect((await read(["c"])).rows).toEqual([["c"]]);
    });

    it("prepares a statement at its first call, so one can be made before its table exists", async () => {
      const read = dialect.preparedReads.prepare("select id from later");
      await db.schema.createTable("later").addColumn("id", "text").execute();
      await db.insertInto("later").values({ id: "x" }).execute();
      expect(keyed(await read([]))).toEqual([{ id: "x" }]);
    });
  });
}
