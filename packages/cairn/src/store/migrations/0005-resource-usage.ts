import type { Kysely, Migration } from "kysely";

/**
 * What each attempt's process used (runtimes/runtime.ts ResourceUsage). Null for attempts
 * that ran no process (a request on the container runtime's side, one that never started)
 * or that the runtime could not measure. CPU in microseconds, so every column is a whole
 * number on both databases.
 */
export function resourceUsage(): Migration {
  return {
    async up(db: Kysely<any>) {
      for (const column of ["used_cpu_us", "peak_memory_bytes", "read_bytes", "written_bytes"]) {
        await db.schema.alterTable("task_executions").addColumn(column, "bigint").execute();
      }
    },
    async down(db: Kysely<any>) {
      for (const column of ["used_cpu_us", "peak_memory_bytes", "read_bytes", "written_bytes"]) {
        await db.schema.alterTable("task_executions").dropColumn(column).execute();
      }
    },
  };
}
