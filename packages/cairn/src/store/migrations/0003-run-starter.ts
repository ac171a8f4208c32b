import type { Kysely, Migration } from "kysely";

/**
 * Who started a run: the provenance trail names a person, and a token injected into the
 * run's tasks acts as that person. Runs from the local `cairn run` have none.
 */
export function runStarter(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("runs").addColumn("started_by", "text").execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable("runs").dropColumn("started_by").execute();
    },
  };
}
