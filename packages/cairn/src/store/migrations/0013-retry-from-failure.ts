import type { Kysely, Migration } from "kysely";

/**
 * Retry from failure (issue 18): a run started by `retry` names the run it retries, and
 * an execution it took over from that run (a task that had succeeded there, not run
 * again) names the execution it reuses. Both null elsewhere.
 */
export function retryFromFailure(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("runs").addColumn("retry_of", "text").execute();
      await db.schema.alterTable("task_executions").addColumn("reused_from", "text").execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable("task_executions").dropColumn("reused_from").execute();
      await db.schema.alterTable("runs").dropColumn("retry_of").execute();
    },
  };
}
