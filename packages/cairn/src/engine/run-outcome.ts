import { taskOrder } from "../spec/dag.js";
import type { Pipeline } from "../spec/types.js";
import type { ExecutionStatus, RunStatus } from "../store/store.js";

/**
 * The one rule for a run's final state, applied once every task is terminal:
 * - `cancelled` when the run was cancelled;
 * - `failed` when some task ended failed or timed out and not every task that depends
 *   on it declared `can_fail: true` for it (a leaf task has no one to tolerate it), or
 *   when a task was skipped for any reason but its conditions;
 * - `succeeded` otherwise. A task skipped because its conditions did not hold, and a task
 *   skipped only because such tasks were, are decisions, not failures.
 */
export function runOutcome(
  pipeline: Pipeline,
  finalStatus: ReadonlyMap<string, ExecutionStatus>,
  cancelled: boolean,
  skippedByConditions: ReadonlySet<string> = new Set(),
): { status: RunStatus; message: string | null } {
  if (cancelled) return { status: "cancelled", message: "the run was cancelled" };
  const tolerated = toleratedFailures(pipeline);
  const decided = skippedByConditions.size > 0 ? decidedSkips(pipeline, finalStatus, skippedByConditions) : skippedByConditions;
  const untolerated: string[] = [];
  for (const task of pipeline.tasks) {
    const status = finalStatus.get(task.id);
    if (status === "skipped" && decided.has(task.id)) continue;
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

/** The reason a task skipped because its conditions did not hold records (after "skipped: "). */
export const CONDITIONS_NOT_MET = "conditions not met";

/**
 * The tasks skipped by their conditions, and those skipped because of them: every
 * dependency that stopped such a task (ended otherwise than succeeded, without can_fail)
 * was itself such a skip. In dependency order, so a chain of them is followed.
 */
function decidedSkips(pipeline: Pipeline, finalStatus: ReadonlyMap<string, ExecutionStatus>, byConditions: ReadonlySet<string>): Set<string> {
  const decided = new Set(byConditions);
  const byId = new Map(pipeline.tasks.map((t) => [t.id, t]));
  for (const id of taskOrder(pipeline)) {
    if (decided.has(id) || finalStatus.get(id) !== "skipped") continue;
    const stoppers = byId.get(id)!.depends_on.filter((d) => !d.can_fail && finalStatus.get(d.id) !== "succeeded");
    if (stoppers.length > 0 && stoppers.every((d) => decided.has(d.id))) decided.add(id);
  }
  return decided;
}
