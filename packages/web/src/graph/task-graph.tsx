import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { STATUS_ICONS } from "../components/status";
import { ELK_MAX_TASKS, layOut } from "./elk-layout";
import { layeredLayout, NODE_HEIGHT, NODE_WIDTH } from "./layered-layout";
import type { GraphTask } from "./graph-model";

/**
 * A pipeline's or a run's tasks as a graph (React Flow). It is drawn at once with a
 * linear layered layout (layered-layout.ts); for graphs of up to ELK_MAX_TASKS tasks,
 * ELK's layout (in a worker) replaces it when it arrives. On a run each
 * task shows its state by colour, icon and word. This module and elkjs are their own
 * chunk, loaded by the pages that draw a graph. Layout runs when the tasks change, not
 * when their states do: live updates only restyle the nodes.
 */

type TaskNodeData = { label: string; status: GraphTask["status"]; selected: boolean };

const TaskNode = memo(function TaskNode({ data }: NodeProps<Node<TaskNodeData>>) {
  const status = data.status;
  return (
    <div className={`task-node ${status ? `status-${status}` : ""} ${data.selected ? "selected" : ""}`} data-task={data.label} data-status={status ?? ""}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <span className="task-node-id">{data.label}</span>
      {status && (
        <span className="task-node-status">
          <span aria-hidden="true">{STATUS_ICONS[status]}</span> {status.replace("_", " ")}
        </span>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const nodeTypes = { task: TaskNode };

/**
 * Above this many tasks the graph opens on its first columns at a readable zoom instead of
 * fitted whole, and draws only the nodes in view: drawing all 1,000 nodes of a fitted view
 * at once held the page for seconds. The controls' "fit view" button shows it all.
 */
const BIG_GRAPH = 200;

export default function TaskGraph({ tasks, selected, onSelect, label }: { tasks: readonly GraphTask[]; selected?: string; onSelect?: (taskId: string) => void; label: string }) {
  const shape = useMemo(() => tasks.map((t) => `${t.id}<${t.dependsOn.join(",")}`).join(";"), [tasks]);
  const quick = useMemo(() => layeredLayout(tasks), [shape]); // eslint-disable-line react-hooks/exhaustive-deps
  const [refined, setRefined] = useState<{ shape: string; positions: Map<string, { x: number; y: number }> }>();
  const positions = refined?.shape === shape ? refined.positions : quick;
  const layout = refined?.shape === shape ? "elk" : "layered";
  const big = tasks.length > BIG_GRAPH;
  // React Flow learns its size from a ResizeObserver after its first render, and until then
  // culls nothing: given the size up front, a big graph's first render draws only what is in view.
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<{ width: number; height: number }>();
  useLayoutEffect(() => {
    if (box.current) setSize({ width: box.current.clientWidth, height: box.current.clientHeight });
  }, []);

  useEffect(() => {
    if (tasks.length > ELK_MAX_TASKS) return;
    let current = true;
    // ELK failing (a worker refused, say) leaves the quick layout, which is complete.
    layOut(tasks).then(
      (p) => {
        if (!current) return;
        setRefined({ shape, positions: p });
      },
      () => undefined,
    );
    return () => {
      current = false;
    };
    // Laid out again only when the shape changes, not on each state change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  const nodes = useMemo<Node<TaskNodeData>[]>(
    () =>
      tasks.map((t) => ({
        id: t.id,
        type: "task",
        position: positions.get(t.id) ?? { x: 0, y: 0 },
        data: { label: t.id, status: t.status, selected: t.id === selected },
        width: NODE_WIDTH,
        height: NODE_HEIGHT,
        ariaLabel: `task ${t.id}${t.status ? `, ${t.status.replace("_", " ")}` : ""}`,
        draggable: false,
        connectable: false,
      })),
    [positions, tasks, selected],
  );
  const edges = useMemo<Edge[]>(() => {
    const ids = new Set(tasks.map((t) => t.id));
    return tasks.flatMap((t) => t.dependsOn.filter((d) => ids.has(d)).map((d) => ({ id: `${d}->${t.id}`, source: d, target: t.id })));
  }, [tasks]);

  return (
    <div className="graph" ref={box} role="group" aria-label={label} data-ready={size ? "true" : "false"} data-layout={layout} data-nodes={tasks.length}>
      {size && (
      <ReactFlow
        {...(big ? size : {})}
        // A new layout is a new view: fitted again to its size.
        key={layout}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView={!big}
        {...(big ? { defaultViewport: { x: 20, y: 20, zoom: 0.75 } } : {})}
        minZoom={0.05}
        onlyRenderVisibleElements={big}
        nodesDraggable={false}
        nodesConnectable={false}
        onNodeClick={(_event, node) => onSelect?.(node.id)}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
      )}
    </div>
  );
}
