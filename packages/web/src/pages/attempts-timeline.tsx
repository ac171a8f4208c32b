import { Link } from "react-router-dom";
import type { Execution, Run } from "../api";
import { formatDuration } from "../components/format";
import { StatusBadge } from "../components/status";

/**
 * Every attempt of every task on one time axis, from the run's start to its end (or now):
 * retries show as several bars on a task's row, a timeout as its own state.
 */
export function AttemptsTimeline({ run, executions, taskLink }: { run: Run; executions: readonly Execution[]; taskLink: (taskId: string) => string }) {
  const started = executions.filter((e) => e.started_at);
  if (started.length === 0) return <p>No attempt has started yet.</p>;
  const t0 = Math.min(...started.map((e) => Date.parse(e.started_at!)));
  const ends = started.map((e) => (e.ended_at ? Date.parse(e.ended_at) : Date.now()));
  const t1 = Math.max(...ends, run.ended_at ? Date.parse(run.ended_at) : Date.now());
  const span = Math.max(1, t1 - t0);
  const byTask = new Map<string, Execution[]>();
  for (const e of executions) byTask.set(e.task_id, [...(byTask.get(e.task_id) ?? []), e]);
  return (
    <table className="timeline">
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col">Attempts over time</th>
        </tr>
      </thead>
      <tbody>
        {[...byTask.entries()].map(([taskId, attempts]) => (
          <tr key={taskId}>
            <th scope="row">
              <Link to={taskLink(taskId)}>{taskId}</Link>
            </th>
            <td>
              <div className="lane">
                {attempts.map((e) => {
                  const start = e.started_at ? Date.parse(e.started_at) : t1;
                  const end = e.ended_at ? Date.parse(e.ended_at) : e.started_at ? Date.now() : t1;
                  return (
                    <span
                      key={e.uuid}
                      className={`bar status-${e.status}`}
                      style={{ left: `${((start - t0) / span) * 100}%`, width: `${Math.max(0.5, ((end - start) / span) * 100)}%` }}
                      title={`attempt ${e.attempt}: ${e.status}, ${formatDuration(e.started_at, e.ended_at)}`}
                    />
                  );
                })}
              </div>
              <ul className="attempts">
                {attempts.map((e) => (
                  <li key={e.uuid}>
                    attempt {e.attempt}: <StatusBadge status={e.status} /> {formatDuration(e.started_at, e.ended_at)}
                    {e.reused_from && " (reused)"}
                  </li>
                ))}
              </ul>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
