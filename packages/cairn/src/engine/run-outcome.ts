import type { Pipeline } from "../spec/types.js";
import type { ExecutionStatus, RunStatus } from "../store/store.js";

/**
 * The one rule for a run's final state, applied once every task is terminal:
 * - `cancelled` when the run was cancelled;
 * - `failed` when some task ended failed or timed out and not every task that depends
 *   on it declared `can_fail: true` for it (a leaf task has no one to tolerate it), or
 *   when a task was skipped (which only follows such an untolerated failure);
 * - `succeeded` otherwise.
 */
export function runOutcome(
  pipeline: Pipeline,
  finalStatus: ReadonlyMap<string, ExecutionStatus>,
  cancelled: boolean,
): { status: RunStatus; message: string | null } {
  if (cancelled) return { status: "cancelled", message: "the run was cancelled" };
  const tolerated = toleratedFailures(pipeline);
  const untolerated: string[] = [];
  for (const task of pipeline.tasks) {
    const status = finalStatus.get(task.id);
    if (status === "skipped" || status === "cancelled") untolerated.push(`${task.id} (${status})`);
    if ((status === "failed" || status === "timed_out") && !tolerated.has(task.id)) untolerated.push(`${task.id} (${status})`);
  }
  if (untolerated.length === 0) return { status: "succeeded", message: null };
  return { status: "failed", message: `tasks that did not succeed: ${untolerated.join(", ")}` };
}

/** Tasks every dependent of which allows to fail (and that have at least one dependent). */
function toleratedFailures(pipeline: Pipeline): Set<string> {
  const verdict = new Map<string, boolean>();
  for (const task of pipeline.tasks) {
    for (const dep of task.depends_on) verdict.set(dep.id, (verdict.get(dep.id) ?? true) && dep.can_fail);
  }
  return new Set([...verdict].filter(([, ok]) => ok).map(([id]) => id));
}
