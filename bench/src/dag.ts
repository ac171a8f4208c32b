/**
 * The shapes of the benchmark DAGs, as plain lists of nodes. The same list becomes a
 * Cairn pipeline (pipeline.ts) and a Makefile (makefile.ts), so Cairn and its baseline
 * always run the same graph.
 */

export interface DagNode {
  /** A task id and a make target at once: letters, digits, `-` and `_` only. */
  id: string;
  /** Ids of the nodes this one waits for, in order. */
  deps: string[];
}

/** `length` tasks in a line: t0001 <- t0002 <- ... */
export function chainDag(length: number): DagNode[] {
  requireCount("chain length", length);
  const ids = numberedIds("t", length);
  return ids.map((id, i) => ({ id, deps: i === 0 ? [] : [ids[i - 1]!] }));
}

/** One root, `width` children that depend on it only, one join that depends on every child: width + 2 tasks. */
export function fanDag(width: number): DagNode[] {
  requireCount("fan width", width);
  const children = numberedIds("c", width);
  return [
    { id: "root", deps: [] },
    ...children.map((id) => ({ id, deps: ["root"] })),
    { id: "join", deps: children },
  ];
}

/** `depth` layers of `width` tasks; each task depends on every task of the layer before. */
export function layersDag(depth: number, width: number): DagNode[] {
  requireCount("layer count", depth);
  requireCount("layer width", width);
  const layers = numberedIds("l", depth).map((layer) => numberedIds(`${layer}_t`, width));
  return layers.flatMap((layer, i) => layer.map((id) => ({ id, deps: i === 0 ? [] : layers[i - 1]! })));
}

/** Ids that sort in DAG order and have the same length (t0001..t1000), so listings read well. */
function numberedIds(prefix: string, count: number): string[] {
  const digits = String(count).length;
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(digits, "0")}`);
}

function requireCount(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a whole number of at least 1, got ${value}`);
}

/** Every edge as [dependency, dependent]; for tests and sanity checks. */
export function edges(dag: readonly DagNode[]): [string, string][] {
  return dag.flatMap((node) => node.deps.map((dep): [string, string] => [dep, node.id]));
}
