import type { GraphTask } from "./graph-model";

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 44;
const LAYER_GAP = 60;
const NODE_GAP = 24;

/**
 * A layered layout in linear time, for graphs too big for ELK to lay out while someone
 * waits (ELK's layered algorithm took 5 to 24 s for 1,000 tasks on the test machine;
 * this takes milliseconds): each task one column right of its latest dependency, and in
 * its column ordered by the mean row of its dependencies (one barycenter sweep), so most
 * edges run straight. Also what a small graph shows until ELK's answer arrives.
 */
export function layeredLayout(tasks: readonly GraphTask[]): Map<string, { x: number; y: number }> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const layer = new Map<string, number>();
  // Depth-first with an explicit stack (a 1,000-task chain would overflow recursion);
  // a task met again while on the stack is a cycle, which validation refuses: it gets layer 0.
  const visiting = new Set<string>();
  for (const root of tasks) {
    if (layer.has(root.id)) continue;
    const stack: { id: string; expanded: boolean }[] = [{ id: root.id, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = (byId.get(top.id)?.dependsOn ?? []).filter((d) => byId.has(d));
      if (!top.expanded) {
        // A task pushed again by another dependant is already placed, or is being placed
        // lower on the stack (a cycle): expanding it again would walk every path of the
        // DAG, exponential in its depth (seconds for 10 layers of 100 tasks).
        if (layer.has(top.id) || visiting.has(top.id)) {
          stack.pop();
          continue;
        }
        top.expanded = true;
        visiting.add(top.id);
        for (const d of deps) if (!layer.has(d) && !visiting.has(d)) stack.push({ id: d, expanded: false });
        continue;
      }
      stack.pop();
      visiting.delete(top.id);
      if (!layer.has(top.id)) layer.set(top.id, deps.reduce((max, d) => Math.max(max, (layer.get(d) ?? -1) + 1), 0));
    }
  }
  const columns: string[][] = [];
  for (const t of tasks) (columns[layer.get(t.id)!] ??= []).push(t.id);
  const row = new Map<string, number>();
  columns.forEach((column, i) => {
    if (i > 0) {
      const mean = (id: string) => {
        const deps = byId.get(id)!.dependsOn.filter((d) => row.has(d));
        return deps.length === 0 ? 0 : deps.reduce((sum, d) => sum + row.get(d)!, 0) / deps.length;
      };
      const keys = new Map(column.map((id) => [id, mean(id)]));
      column.sort((a, b) => keys.get(a)! - keys.get(b)!);
    }
    column.forEach((id, r) => row.set(id, r));
  });
  const tallest = Math.max(0, ...columns.map((c) => c.length));
  const positions = new Map<string, { x: number; y: number }>();
  columns.forEach((column, i) => {
    // Columns are centred on the tallest one.
    const offset = ((tallest - column.length) * (NODE_HEIGHT + NODE_GAP)) / 2;
    column.forEach((id, r) => positions.set(id, { x: i * (NODE_WIDTH + LAYER_GAP), y: offset + r * (NODE_HEIGHT + NODE_GAP) }));
  });
  return positions;
}
