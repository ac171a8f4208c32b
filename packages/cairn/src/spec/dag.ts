import { NotFoundError, ValidationError } from "../errors.js";
import type { Pipeline } from "./types.js";

/** The part of a task the graph functions need, so they also work on unvalidated input. */
export interface GraphNode {
  id: string;
  depends_on: ReadonlyArray<{ id: string }>;
}

/**
 * The task ids of one dependency cycle, in order, each depending on the next and the
 * last on the first (`["a", "b"]` for a -> b -> a); `undefined` when there is none.
 * Dependencies naming unknown tasks are ignored.
 */
export function findCycle(tasks: readonly GraphNode[]): string[] | undefined {
  const deps = dependencyMap(tasks);
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];

  // Iterative depth-first search: pipelines come from users, so no recursion depth limit applies.
  for (const root of deps.keys()) {
    if (state.has(root)) continue;
    const frames: { id: string; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, "visiting");
    stack.push(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const children = deps.get(frame.id) ?? [];
      if (frame.next >= children.length) {
        state.set(frame.id, "done");
        stack.pop();
        frames.pop();
        continue;
      }
      const child = children[frame.next++]!;
      const seen = state.get(child);
      if (seen === "visiting") return stack.slice(stack.indexOf(child));
      if (seen === undefined) {
        state.set(child, "visiting");
        stack.push(child);
        frames.push({ id: child, next: 0 });
      }
    }
  }
  return undefined;
}

/** `"a -> b -> a"`: a cycle as findCycle returns it, closed. */
export function describeCycle(cycle: readonly string[]): string {
  return [...cycle, cycle[0]].join(" -> ");
}

/** Every task `taskId` depends on, directly or through other tasks. */
export function ancestorsOf(pipeline: Pick<Pipeline, "tasks">, taskId: string): Set<string> {
  if (!pipeline.tasks.some((t) => t.id === taskId)) throw new NotFoundError("task", taskId);
  return ancestorsIn(dependencyMap(pipeline.tasks), taskId);
}

export function ancestorsIn(deps: ReadonlyMap<string, readonly string[]>, taskId: string): Set<string> {
  const found = new Set<string>();
  const pending = [...(deps.get(taskId) ?? [])];
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (found.has(id) || !deps.has(id)) continue;
    found.add(id);
    pending.push(...(deps.get(id) ?? []));
  }
  return found;
}

/**
 * A topological order of the task ids: every task after all of its dependencies.
 * Ties keep the order of declaration, so the result is stable.
 */
export function taskOrder(pipeline: Pick<Pipeline, "tasks">): string[] {
  const deps = dependencyMap(pipeline.tasks);
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [id, ds] of deps) {
    waitingOn.set(id, ds.length);
    for (const d of ds) dependents.set(d, [...(dependents.get(d) ?? []), id]);
  }
  const ready = [...deps.keys()].filter((id) => waitingOn.get(id) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const next of dependents.get(id) ?? []) {
      const left = waitingOn.get(next)! - 1;
      waitingOn.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (order.length < deps.size) {
    const cycle = findCycle(pipeline.tasks) ?? [];
    throw new ValidationError("pipeline", [{ path: "tasks", message: `dependency cycle: ${describeCycle(cycle)}` }]);
  }
  return order;
}

/** id -> ids it depends on (known tasks only, each once); the first task wins on duplicate ids. */
export function dependencyMap(tasks: readonly GraphNode[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const task of tasks) if (!map.has(task.id)) map.set(task.id, []);
  const seen = new Set<string>();
  for (const task of tasks) {
    if (seen.has(task.id)) continue;
    seen.add(task.id);
    const ds = map.get(task.id)!;
    for (const d of task.depends_on) if (map.has(d.id) && !ds.includes(d.id)) ds.push(d.id);
  }
  return map;
}
