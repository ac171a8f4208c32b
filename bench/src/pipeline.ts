import type { DagNode } from "./dag.js";

/**
 * Cairn pipeline documents (the JSON a user would submit) for the benchmark DAGs. They
 * are validated where they run, by the built package's parsePipelineText, like any file
 * given to `cairn run`.
 */

/** The fields every task of a workload shares: its type and what it runs. */
export type TaskTemplate = Readonly<Record<string, unknown>>;

export interface PipelineDocument {
  id: string;
  tasks: Record<string, unknown>[];
}

export function pipelineFor(id: string, dag: readonly DagNode[], template: TaskTemplate): PipelineDocument {
  return {
    id,
    tasks: dag.map((node) => ({ ...template, id: node.id, depends_on: node.deps.map((dep) => ({ id: dep })) })),
  };
}

/** A `function` task run as a plain process on the machine (`execution_profile.runtime: host`). */
export function hostFunctionTask(runtime: "bash" | "python3", source: string): TaskTemplate {
  return {
    type: "function",
    runtime,
    code: Buffer.from(source, "utf8").toString("base64"),
    execution_profile: { runtime: "host" },
  };
}

/** A `container_run` task: `image` is `repository:tag`, `command` an argv. */
export function containerRunTask(image: string, command: readonly string[]): TaskTemplate {
  return { type: "container_run", image, command: [...command] };
}
