import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { api, unwrap, W } from "../api";
import { formatBytes, formatTime, shortDigest } from "../components/format";
import { attempt, Problem } from "../components/problem";
import { useData } from "../components/use-data";
import { GroupNav } from "./group-nav";

/**
 * One image with its provenance, read back to front: the run and task that made it, the
 * recipe (git URL, commit, Dockerfile) or the registry it came from, and every task
 * execution that ran on it. An admin marks it bad and runs again what it produced.
 */
export function ImagePage() {
  const { group, digest } = useParams() as { group: string; digest: string };
  const path = { group_id: group, digest };
  const image = useData(() => unwrap(api.GET(`${W}/groups/{group_id}/images/{digest}`, { params: { path } })), [group, digest]);
  const maker = useData(
    async () => (image.value?.run_uuid ? unwrap(api.GET(`${W}/runs/{run_uuid}`, { params: { path: { run_uuid: image.value.run_uuid } } })) : undefined),
    [image.value?.run_uuid],
  );
  const [error, setError] = useState<Error>();
  const [started, setStarted] = useState<{ supersedes: string; run: { uuid: string; pipeline_id: string }; changes: string[] }[]>();

  async function markBad(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const reason = String(new FormData(event.currentTarget).get("reason"));
    if (await attempt(setError, () => unwrap(api.POST(`${W}/groups/{group_id}/images/{digest}/bad`, { params: { path }, body: { reason } })))) image.reload();
  }

  async function rerun(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const replacement = String(form.get("replacement") ?? "").trim();
    await attempt(setError, async () => {
      const body = form.get("how") === "rebuild" ? { rebuild: true as const } : { image: replacement };
      setStarted(await unwrap(api.POST(`${W}/groups/{group_id}/images/{digest}/rerun`, { params: { path }, body })));
    });
  }

  const value = image.value;
  const recipe = value?.recipe;
  const runLink = (pipeline: string, run: string, task?: string) =>
    `/groups/${encodeURIComponent(group)}/pipelines/${encodeURIComponent(pipeline)}/runs/${run}${task ? `/tasks/${encodeURIComponent(task)}` : ""}`;
  return (
    <>
      <p className="crumbs">
        <Link to={`/groups/${encodeURIComponent(group)}/images`}>Images of {group}</Link> / image
      </p>
      <h1>Image {shortDigest(digest)}</h1>
      <GroupNav group={group} />
      <Problem error={image.error} />
      {value && (
        <>
          {value.bad && (
            <p className="problem" role="status">
              <span aria-hidden="true">✖ </span>Marked bad by {value.bad.marked_by} on {formatTime(value.bad.marked_at)}: {value.bad.reason}
            </p>
          )}
          <dl className="facts">
            <dt>Digest</dt>
            <dd>
              <code>{value.digest}</code>
            </dd>
            <dt>Names</dt>
            <dd>{value.names.join(", ") || "—"}</dd>
            <dt>Origin</dt>
            <dd>{value.origin}</dd>
            <dt>Platform</dt>
            <dd>{[value.os, value.architecture].filter(Boolean).join("/") || "—"}</dd>
            <dt>Size</dt>
            <dd>{formatBytes(value.size)}</dd>
          </dl>
          <h2>Provenance</h2>
          <ol className="provenance">
            <li>
              Run:{" "}
              {value.run_uuid ? (
                maker.value ? (
                  <Link to={runLink(maker.value.pipeline_id, value.run_uuid)}>
                    {maker.value.pipeline_id} run {value.run_uuid.slice(0, 8)}
                  </Link>
                ) : (
                  <code>{value.run_uuid}</code>
                )
              ) : (
                "not made by a run"
              )}
            </li>
            <li>
              Task:{" "}
              {value.task_id && value.run_uuid && maker.value ? <Link to={runLink(maker.value.pipeline_id, value.run_uuid, value.task_id)}>{value.task_id}</Link> : (value.task_id ?? "—")}
            </li>
            <li>
              Image: <code>{shortDigest(value.digest)}</code> ({value.origin})
            </li>
            <li>
              Recipe:{" "}
              {recipe
                ? recipe.source === "pull"
                  ? `pulled from ${recipe.pulled_from ?? "a registry"}`
                  : `${recipe.source} ${recipe.git_url ?? ""}${recipe.sub_path ? ` (${recipe.sub_path})` : ""}${recipe.dockerfile_sha256 ? `, Dockerfile sha256 ${recipe.dockerfile_sha256.slice(0, 12)}` : ""}`
                : "none recorded"}
            </li>
            <li>
              Commit: {recipe?.commit ? <code>{recipe.commit}</code> : "—"}
              {recipe?.branch ? ` on ${recipe.branch}` : ""}
            </li>
          </ol>
          <h2>Used by</h2>
          {value.uses.length === 0 ? (
            <p>No task execution used this image.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Task</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Task state</th>
                  <th scope="col">Run state</th>
                </tr>
              </thead>
              <tbody>
                {value.uses.map((u) => (
                  <tr key={u.execution_uuid}>
                    <td>
                      <Link to={runLink(u.pipeline_id, u.run_uuid)}>
                        {u.pipeline_id} run {u.run_uuid.slice(0, 8)}
                      </Link>
                    </td>
                    <td>
                      <Link to={runLink(u.pipeline_id, u.run_uuid, u.task_id)}>{u.task_id}</Link>
                    </td>
                    <td>{u.attempt}</td>
                    <td>{u.status}</td>
                    <td>{u.run_status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {!value.bad && (
            <>
              <h2>Mark bad</h2>
              <form onSubmit={(e) => void markBad(e)} className="inline">
                <label>
                  Reason
                  <input name="reason" required />
                </label>
                <button type="submit" className="danger">
                  Mark image bad
                </button>
              </form>
            </>
          )}
          <h2>Run again what it produced</h2>
          <form onSubmit={(e) => void rerun(e)} className="stack">
            <fieldset>
              <legend>With</legend>
              <label className="check">
                <input type="radio" name="how" value="image" defaultChecked /> a replacement image
              </label>
              <label>
                Replacement image (REPOSITORY:TAG)
                <input name="replacement" />
              </label>
              <label className="check">
                <input type="radio" name="how" value="rebuild" /> a rebuild from the latest commit
              </label>
            </fieldset>
            <button type="submit">Re-run affected runs</button>
          </form>
          <Problem error={error} />
          {started && (
            <div role="status">
              <p>{started.length} run(s) started:</p>
              <ul>
                {started.map((s) => (
                  <li key={s.run.uuid}>
                    <Link to={runLink(s.run.pipeline_id, s.run.uuid)}>run {s.run.uuid.slice(0, 8)}</Link> supersedes {s.supersedes.slice(0, 8)}
                    {s.changes.length > 0 && `: ${s.changes.join("; ")}`}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </>
      )}
    </>
  );
}
