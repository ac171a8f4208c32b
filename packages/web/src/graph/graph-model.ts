import type { ExecutionStatus } from "../api";

/** A task as the graph draws it: its id, what it waits for, and (on a run) its state. */
export interface GraphTask {
  id: string;
  dependsOn: string[];
  status?: ExecutionStatus | "pending";
}

/** The task ids and dependencies of a pipeline definition (Tapis' `depends_on: [{id}]`). */
export function graphTasksOf(tasks: readonly { [key: string]: unknown }[]): GraphTask[] {
  return tasks.map((t) => ({
    id: String(t.id),
    dependsOn: Array.isArray(t.depends_on) ? (t.depends_on as { id?: unknown }[]).map((d) => String(d.id)) : [],
  }));
}
