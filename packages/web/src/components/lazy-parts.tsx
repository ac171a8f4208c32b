import { lazy, Suspense, type ComponentProps } from "react";

/** The graph (React Flow, elkjs) and the highlighter load as their own chunks, only on the pages that show them. */
const TaskGraphChunk = lazy(() => import("../graph/task-graph"));
const HighlightedCodeChunk = lazy(() => import("../code/highlighted-code"));

export function TaskGraph(props: ComponentProps<typeof TaskGraphChunk>) {
  return (
    <Suspense fallback={<p>Loading the graph…</p>}>
      <TaskGraphChunk {...props} />
    </Suspense>
  );
}

export function HighlightedCode(props: ComponentProps<typeof HighlightedCodeChunk>) {
  return (
    <Suspense
      fallback={
        <pre className="code" tabIndex={0} aria-label={props.label}>
          {props.code}
        </pre>
      }
    >
      <HighlightedCodeChunk {...props} />
    </Suspense>
  );
}
