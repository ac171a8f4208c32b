import { W, type Execution, type Pipeline, type RunRef } from "../api";
import { formatBytes, formatDuration, shortDigest } from "../components/format";
import { StatusBadge } from "../components/status";
import { Link } from "react-router-dom";
import { LogViewer } from "./log-viewer";
import { useAttemptParam } from "./run";

/** One task of a run: its attempts, inputs as declared and resolved, outputs, resource usage, results and live log. */
export function TaskPanel({ runRef, task, definition, executions, latest }: { runRef: RunRef; task: string; definition: Pipeline; executions: readonly Execution[]; latest: Map<string, Execution> }) {
  const attempts = executions.filter((e) => e.task_id === task);
  const [chosen, choose] = useAttemptParam();
  const execution = attempts.find((e) => e.attempt === chosen) ?? latest.get(task);
  const spec = definition.tasks.find((t) => t.id === task) as { input?: Record<string, { value?: unknown; value_from?: Record<string, unknown> }> } | undefined;
  const runBase = `${W}/groups/${encodeURIComponent(runRef.group)}/pipelines/${encodeURIComponent(runRef.pipeline)}/runs/${runRef.run}`;

  return (
    <section className="task-panel" aria-labelledby="task-heading">
      <h2 id="task-heading">
        Task {task} {execution && <StatusBadge status={execution.status} />}
      </h2>
      {!spec && <p>The pipeline's current definition has no task {task}.</p>}
      {attempts.length === 0 && <p>This task has not started.</p>}
      {attempts.length > 1 && (
        <div className="inline" role="group" aria-label="Attempts">
          {attempts.map((e) => (
            <button key={e.uuid} type="button" aria-pressed={e === execution} onClick={() => choose(e.attempt)}>
              Attempt {e.attempt} ({e.status.replace("_", " ")})
            </button>
          ))}
        </div>
      )}
      {execution && (
        <>
          <dl className="facts">
            <dt>Attempt</dt>
            <dd>{execution.attempt}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(execution.started_at, execution.ended_at)}</dd>
            <dt>Exit code</dt>
            <dd>{execution.exit_code ?? "—"}</dd>
            {execution.message && (
              <>
                <dt>Message</dt>
                <dd>{execution.message}</dd>
              </>
            )}
            {execution.image_digest && (
              <>
                <dt>Image</dt>
                <dd>
                  <Link to={`/groups/${encodeURIComponent(runRef.group)}/images/${execution.image_digest}`}>{shortDigest(execution.image_digest)}</Link>
                </dd>
              </>
            )}
            {execution.reused_from && (
              <>
                <dt>Reused from</dt>
                <dd>
                  <code>{execution.reused_from}</code>
                </dd>
              </>
            )}
          </dl>
          <h3>Resource usage</h3>
          <dl className="facts">
            <dt>CPU</dt>
            <dd>{execution.used_cpu === null ? "—" : `${execution.used_cpu.toFixed(2)} s`}</dd>
            <dt>Peak memory</dt>
            <dd>{formatBytes(execution.used_memory)}</dd>
            <dt>Read</dt>
            <dd>{formatBytes(execution.used_io_read)}</dd>
            <dt>Written</dt>
            <dd>{formatBytes(execution.used_io_written)}</dd>
          </dl>
        </>
      )}
      <h3>Inputs</h3>
      {spec?.input && Object.keys(spec.input).length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Input</th>
              <th scope="col">From</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(spec.input).map(([name, input]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>{describeSource(input)}</td>
                <td>
                  <code>{resolved(input, latest) ?? "—"}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>No declared inputs.</p>
      )}
      <h3>Outputs</h3>
      {execution && Object.keys(execution.outputs).length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Output</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(execution.outputs).map(([name, value]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>
                  <code>{value}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>No outputs{execution && !execution.ended_at ? " yet" : ""}.</p>
      )}
      {execution?.ended_at && (
        <p>
          <a href={`${runBase}/executions/${execution.uuid}/results`} download={`${task}-attempt-${execution.attempt}.zip`}>
            This attempt's results (zip)
          </a>
        </p>
      )}
      {execution && <LogViewer key={execution.uuid} url={`${runBase}/executions/${execution.uuid}/logs`} label={`Log of ${task}, attempt ${execution.attempt}`} />}
    </section>
  );
}

type InputSpec = { value?: unknown; value_from?: Record<string, unknown> };

function describeSource(input: InputSpec): string {
  if (input.value !== undefined) return "value";
  const from = input.value_from ?? {};
  const [kind, detail] = Object.entries(from)[0] ?? ["—", ""];
  if (kind === "task_output" && typeof detail === "object" && detail !== null) {
    const d = detail as { task_id?: string; output_id?: string };
    return `output ${d.output_id} of task ${d.task_id}`;
  }
  return `${kind} ${typeof detail === "string" ? detail : ""}`.trim();
}

/** The value an input got, where the page can know it: a literal, or an upstream task's output. Secrets are never shown. */
function resolved(input: InputSpec, latest: Map<string, Execution>): string | undefined {
  if (input.value !== undefined) return String(input.value);
  const from = input.value_from as { task_output?: { task_id?: string; output_id?: string } } | undefined;
  if (from?.task_output?.task_id && from.task_output.output_id) return latest.get(from.task_output.task_id)?.outputs[from.task_output.output_id];
  return undefined;
}
