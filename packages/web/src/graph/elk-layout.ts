import ELK from "elkjs/lib/elk-api.js";
import elkWorkerUrl from "elkjs/lib/elk-worker.min.js?url";
import type { GraphTask } from "./graph-model";

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 44;

/**
 * ELK's layered layout, run in a Web Worker so that laying out a big graph (1,000 tasks)
 * never blocks the page. The worker is the script elkjs ships, served as a file of our
 * own origin (the CSP allows workers from 'self' only).
 */
let elk: InstanceType<typeof ELK> | undefined;

export async function layOut(tasks: readonly GraphTask[]): Promise<Map<string, { x: number; y: number }>> {
  elk ??= new ELK({ workerUrl: elkWorkerUrl });
  const ids = new Set(tasks.map((t) => t.id));
  const graph = await elk.layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.spacing.nodeNodeBetweenLayers": "60",
      "elk.spacing.nodeNode": "24",
      // Linear-time choices: the defaults' crossing minimisation grows fast with 1,000 tasks.
      "elk.layered.nodePlacement.strategy": "SIMPLE",
      "elk.layered.thoroughness": tasks.length > 200 ? "1" : "7",
    },
    children: tasks.map((t) => ({ id: t.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: tasks.flatMap((t) => t.dependsOn.filter((d) => ids.has(d)).map((d) => ({ id: `${d}->${t.id}`, sources: [d], targets: [t.id] }))),
  });
  return new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
}
