import { sql, type Kysely, type Migration } from "kysely";

/**
 * Who last changed a pipeline, and who last changed the definition a run froze. A run's
 * token acts for the less privileged of its starter and that person (api/run-token-actor.ts),
 * so an admin who starts or re-runs a pipeline a member wrote lends the member's code no
 * admin rights. Rows from before are taken to be their pipeline's owner's, the best that
 * is known of them; a run whose pipeline is gone keeps none, and its token acts for its
 * starter alone.
 */
export function changeAuthors(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("pipelines").addColumn("updated_by", "text").execute();
      await db.schema.alterTable("runs").addColumn("defined_by", "text").execute();
      await sql`update pipelines set updated_by = owner`.execute(db);
      await sql`update runs set defined_by = (select p.owner from pipelines p where p.group_id = runs.group_id and p.id = runs.pipeline_id)`.execute(db);
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable("runs").dropColumn("defined_by").execute();
      await db.schema.alterTable("pipelines").dropColumn("updated_by").execute();
    },
  };
}
