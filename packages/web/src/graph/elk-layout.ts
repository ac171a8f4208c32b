import ELK from "elkjs/lib/elk-api.js";
import elkWorkerUrl from "elkjs/lib/elk-worker.min.js?url";
import type { GraphTask } from "./graph-model";

import { NODE_HEIGHT, NODE_WIDTH } from "./layered-layout";

/**
 * ELK's layered layout, run in a Web Worker so that it never blocks the page. The worker is the script elkjs ships, served as a file of our
 * own origin (the CSP allows workers from 'self' only).
 */
/** Above this many tasks ELK is not asked at all (layered-layout.ts says why). */
export const ELK_MAX_TASKS = 150;

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
      "elk.layered.nodePlacement.strategy": "SIMPLE",
    },
    children: tasks.map((t) => ({ id: t.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: tasks.flatMap((t) => t.dependsOn.filter((d) => ids.has(d)).map((d) => ({ id: `${d}->${t.id}`, sources: [d], targets: [t.id] }))),
  });
  return new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
}
