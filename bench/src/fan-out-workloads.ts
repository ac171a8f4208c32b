import { fanDag } from "./dag.js";
import { hostFunctionTask, type PipelineDocument } from "./pipeline.js";
import type { ResultRow } from "./report.js";
import { makeBaseline, NO_OP, type SuiteOptions, type Workload } from "./workloads.js";

/**
 * Issue 18's fan-out figure: one task with `for_each` over 10,000 items, against the
 * fan-10000 DAG of the same no-op tasks (a root, 10,000 children, a join), with the same
 * baseline (make over fan-10000). Items go through the same engine paths as tasks (an
 * execution each, its folders, its process); what differs is how they are made (one
 * task expanded when it is ready) and gathered (the join reads one task's arrays).
 */

export const FAN_OUT_WORKLOAD = "fan-out-10000";
const ITEMS = 10_000;

export function fanOutPipeline(id: string, items: number): PipelineDocument {
  const task = hostFunctionTask("bash", NO_OP);
  return {
    id,
    tasks: [
      { ...task, id: "root" },
      { ...task, id: "items", depends_on: [{ id: "root" }], for_each: { value: Array.from({ length: items }, (_, i) => i) } },
      { ...task, id: "join", depends_on: [{ id: "items" }] },
    ],
  };
}

/** In the full run only, like fan-10000 (each takes minutes on a 2-core machine). */
export function fanOutWorkloads(options: SuiteOptions): Workload[] {
  if (options.quick) return [];
  const dag = fanDag(ITEMS);
  return [
    {
      name: FAN_OUT_WORKLOAD,
      // The same count as fan-10000 (root, 10,000, join), so per-task figures compare.
      tasks: dag.length,
      repeats: options.repeats ?? 1,
      pipeline: fanOutPipeline(FAN_OUT_WORKLOAD, ITEMS),
      needsPodman: false,
      baselines: [makeBaseline(dag, NO_OP, options.parallel)],
      timeoutMs: 60_000 + dag.length * 100,
    },
  ];
}

/** Per-item overhead of the fan-out against per-task overhead of the same DAG, when both ran. */
export function fanOutNotes(rows: readonly ResultRow[]): string[] {
  const items = rows.find((r) => r.workload === FAN_OUT_WORKLOAD);
  const tasks = rows.find((r) => r.workload === "fan-10000");
  if (!items || !tasks) return [];
  return [
    `fan-out: over ${ITEMS} no-op items Cairn took ${items.cairnMsPerTask.toFixed(2)} ms per item (overhead ${items.overheadMsPerTask.toFixed(2)} ms, ` +
      `engine CPU ${items.engineCpuMsPerTask.toFixed(2)} ms), the fan-10000 DAG ${tasks.cairnMsPerTask.toFixed(2)} ms per task (overhead ${tasks.overheadMsPerTask.toFixed(2)} ms, ` +
      `engine CPU ${tasks.engineCpuMsPerTask.toFixed(2)} ms): per-item overhead ${items.overheadMsPerTask <= tasks.overheadMsPerTask ? "no higher than" : "HIGHER than"} per-task overhead.`,
  ];
}
