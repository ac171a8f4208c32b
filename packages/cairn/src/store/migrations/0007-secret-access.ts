import type { Kysely, Migration } from "kysely";

/**
 * Who may read a secret, and outputs that held one (issue 21, finding 5).
 *
 * - `group_secrets.allowed_pipelines`: a JSON array of pipeline uuids, and `"*"` for every
 *   pipeline a group admin owns (secrets/secret-access.ts). Secrets that exist keep what
 *   they allowed before, every pipeline of their group: `"*"` plus each pipeline there
 *   is now. A pipeline made after this migration by a member is not among them.
 * - `task_executions.sealed_outputs`: the outputs as the task wrote them, sealed, when
 *   masking changed them; `outputs` then holds what is shown. Dependents get the sealed
 *   values, also after a restart.
 */
export function secretAccess(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("group_secrets").addColumn("allowed_pipelines", "text", (c) => c.notNull().defaultTo('["*"]')).execute();
      await db.schema.alterTable("task_executions").addColumn("sealed_outputs", "text").execute();
      const secrets = await db.selectFrom("group_secrets").select(["group_id", "name"]).execute();
      for (const secret of secrets) {
        const pipelines = await db.selectFrom("pipelines").select("uuid").where("group_id", "=", secret.group_id).orderBy("uuid").execute();
        const allowed = JSON.stringify(["*", ...pipelines.map((p: { uuid: string }) => p.uuid)]);
        await db.updateTable("group_secrets").set({ allowed_pipelines: allowed }).where("group_id", "=", secret.group_id).where("name", "=", secret.name).execute();
      }
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable("task_executions").dropColumn("sealed_outputs").execute();
      await db.schema.alterTable("group_secrets").dropColumn("allowed_pipelines").execute();
    },
  };
}
