import { useMemo, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { api, runPath, TERMINAL_RUN, unwrap, W, type Execution, type Pipeline, type Run } from "../api";
import { formatDuration, formatTime } from "../components/format";
import { TaskGraph } from "../components/lazy-parts";
import { attempt, Problem } from "../components/problem";
import { StatusBadge } from "../components/status";
import { useData } from "../components/use-data";
import { graphTasksOf, type GraphTask } from "../graph/graph-model";
import { AttemptsTimeline } from "./attempts-timeline";
import { TaskPanel } from "./task-panel";

/** How often a run that has not ended is asked for again: the graph's states follow it. */
const LIVE_MS = 1000;

interface RunState {
  run: Run;
  executions: Execution[];
}

/** /groups/G/pipelines/P/runs/R, and with /tasks/T the task's attempts and log (#L123 is a line of it). */
export function RunPage() {
  const { group, pipeline, run: runUuid, task } = useParams() as { group: string; pipeline: string; run: string; task?: string };
  const ref = { group, pipeline, run: runUuid };
  const navigate = useNavigate();
  const [error, setError] = useState<Error>();
  const state = useData<RunState>(
    async () => {
      const [run, executions] = await Promise.all([
        unwrap(api.GET(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}`, { params: { path: runPath(ref) } })),
        unwrap(api.GET(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/executions`, { params: { path: runPath(ref) } })),
      ]);
      return { run, executions };
    },
    [group, pipeline, runUuid],
    { pollMs: LIVE_MS, poll: (s) => s === undefined || !TERMINAL_RUN.includes(s.run.status) },
  );
  const definition = useData(() => unwrap(api.GET(`${W}/groups/{group_id}/pipelines/{pipeline_id}`, { params: { path: { group_id: group, pipeline_id: pipeline } } })), [group, pipeline]);

  const base = `/groups/${encodeURIComponent(group)}/pipelines/${encodeURIComponent(pipeline)}`;
  const runBase = `${base}/runs/${runUuid}`;
  const latest = useMemo(() => latestAttempts(state.value?.executions ?? []), [state.value]);
  const tasks = useMemo(() => withStates(definition.value, latest), [definition.value, latest]);

  async function act(kind: "cancel" | "rerun" | "retry") {
    await attempt(setError, async () => {
      const path = { params: { path: runPath(ref) } };
      if (kind === "cancel") {
        await unwrap(api.POST(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/cancel`, path));
        state.reload();
        return;
      }
      const next =
        kind === "rerun"
          ? await unwrap(api.POST(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/rerun`, path))
          : await unwrap(api.POST(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/retry`, path));
      navigate(`${base}/runs/${next.uuid}`);
    });
  }

  const run = state.value?.run;
  const ended = run !== undefined && TERMINAL_RUN.includes(run.status);
  return (
    <>
      <p className="crumbs">
        <Link to={`/groups/${encodeURIComponent(group)}`}>{group}</Link> / <Link to={base}>{pipeline}</Link> / run
      </p>
      <h1>
        Run {runUuid.slice(0, 8)} {run && <StatusBadge status={run.status} />}
      </h1>
      <Problem error={state.error} />
      {run && (
        <>
          <dl className="facts">
            <dt>Run</dt>
            <dd>
              <code>{run.uuid}</code>
            </dd>
            <dt>Trigger</dt>
            <dd>{run.trigger ?? "—"}</dd>
            <dt>Started</dt>
            <dd>{formatTime(run.started_at ?? run.created_at)}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(run.started_at, run.ended_at)}</dd>
            <dt>Started by</dt>
            <dd>{run.started_by ?? "—"}</dd>
            <dt>Params</dt>
            <dd>{Object.keys(run.params).length === 0 ? "none" : Object.entries(run.params).map(([k, v]) => `${k}=${v}`).join(", ")}</dd>
            {run.retry_of && (
              <>
                <dt>Retry of</dt>
                <dd>
                  <Link to={`${base}/runs/${run.retry_of}`}>{run.retry_of.slice(0, 8)}</Link>
                </dd>
              </>
            )}
            {run.message && (
              <>
                <dt>Message</dt>
                <dd>{run.message}</dd>
              </>
            )}
          </dl>
          <div className="inline" role="group" aria-label="Run actions">
            {!ended && (
              <button type="button" className="danger" onClick={() => void act("cancel")}>
                Cancel run
              </button>
            )}
            {ended && (
              <button type="button" onClick={() => void act("rerun")}>
                Re-run
              </button>
            )}
            {run.status === "failed" && (
              <button type="button" onClick={() => void act("retry")}>
                Retry failed tasks
              </button>
            )}
            {ended && (
              <a href={`${W}/groups/${encodeURIComponent(group)}/pipelines/${encodeURIComponent(pipeline)}/runs/${run.uuid}/results`} download={`run-${run.uuid}.zip`}>
                Results (zip)
              </a>
            )}
          </div>
          <Problem error={error} />
        </>
      )}
      <h2>Graph</h2>
      <Problem error={definition.error} />
      {tasks.length > 0 && (
        <TaskGraph tasks={tasks} selected={task} label={`Tasks of run ${runUuid.slice(0, 8)}`} onSelect={(id) => navigate(`${runBase}/tasks/${encodeURIComponent(id)}`)} />
      )}
      <h2>Tasks</h2>
      {tasks.length > 0 && (
        <table className="tasks">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((t) => {
              const last = latest.get(t.id);
              return (
                <tr key={t.id} data-task={t.id} aria-current={t.id === task ? "true" : undefined}>
                  <td>
                    <Link to={`${runBase}/tasks/${encodeURIComponent(t.id)}`}>{t.id}</Link>
                  </td>
                  <td>
                    <StatusBadge status={t.status ?? "pending"} />
                  </td>
                  <td>{last?.attempt ?? 0}</td>
                  <td>{formatDuration(last?.started_at, last?.ended_at)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h2>Attempts</h2>
      {run && state.value && <AttemptsTimeline run={run} executions={state.value.executions} taskLink={(id) => `${runBase}/tasks/${encodeURIComponent(id)}`} />}
      {task && state.value && definition.value && (
        <TaskPanel key={task} runRef={ref} task={task} definition={definition.value} executions={state.value.executions} latest={latest} />
      )}
    </>
  );
}

/** Each task's last attempt. */
export function latestAttempts(executions: readonly Execution[]): Map<string, Execution> {
  const latest = new Map<string, Execution>();
  for (const e of executions) {
    const seen = latest.get(e.task_id);
    if (!seen || e.attempt > seen.attempt) latest.set(e.task_id, e);
  }
  return latest;
}

function withStates(pipeline: Pipeline | undefined, latest: Map<string, Execution>): GraphTask[] {
  if (!pipeline) return [];
  return graphTasksOf(pipeline.tasks).map((t) => ({ ...t, status: latest.get(t.id)?.status ?? "pending" }));
}

export function useAttemptParam(): [number | undefined, (attempt: number) => void] {
  const [search, setSearch] = useSearchParams();
  const value = search.get("attempt");
  return [value === null ? undefined : Number(value), (n) => setSearch({ attempt: String(n) }, { replace: true, preventScrollReset: true })];
}
