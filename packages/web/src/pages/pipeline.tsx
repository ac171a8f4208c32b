import { useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { api, problemOf, unwrap, W, type Pipeline } from "../api";
import { toYaml } from "../code/to-yaml";
import { HighlightedCode, TaskGraph } from "../components/lazy-parts";
import { attempt, Problem } from "../components/problem";
import { useData } from "../components/use-data";
import { graphTasksOf } from "../graph/graph-model";
import { GroupNav } from "./group-nav";
import { RunsTable } from "./runs-table";

/** Fields of the answer that are the server's bookkeeping, not the definition someone wrote. */
const BOOKKEEPING = new Set(["uuid", "group", "owner", "created_at", "updated_at", "current_run", "last_run"]);

export function PipelinePage() {
  const { group, pipeline } = useParams() as { group: string; pipeline: string };
  const path = { group_id: group, pipeline_id: pipeline };
  const loaded = useData(() => unwrap(api.GET(`${W}/groups/{group_id}/pipelines/{pipeline_id}`, { params: { path } })), [group, pipeline]);
  const [search, setSearch] = useSearchParams();
  const view = search.get("view") ?? "graph";
  const definition = useMemo(() => (loaded.value ? Object.fromEntries(Object.entries(loaded.value).filter(([k]) => !BOOKKEEPING.has(k))) : undefined), [loaded.value]);
  const tasks = useMemo(() => (loaded.value ? graphTasksOf(loaded.value.tasks) : []), [loaded.value]);

  return (
    <>
      <p className="crumbs">
        <Link to={`/groups/${encodeURIComponent(group)}`}>{group}</Link> / pipeline
      </p>
      <h1>Pipeline {pipeline}</h1>
      <GroupNav group={group} />
      <Problem error={loaded.error} />
      {loaded.value && definition && (
        <>
          <p>
            {loaded.value.tasks.length} tasks · owner {loaded.value.owner}
          </p>
          <div role="tablist" aria-label="How to show the definition" className="tabs">
            {(["graph", "yaml", "json"] as const).map((v) => (
              <button key={v} type="button" role="tab" aria-selected={view === v} onClick={() => setSearch({ view: v }, { replace: true })}>
                {v === "graph" ? "Graph" : v.toUpperCase()}
              </button>
            ))}
          </div>
          <div role="tabpanel" aria-label={`Definition as ${view}`}>
            {view === "graph" && <TaskGraph tasks={tasks} label={`Tasks of ${pipeline}`} />}
            {view === "yaml" && <HighlightedCode code={toYaml(definition)} language="yaml" label={`${pipeline} as YAML`} />}
            {view === "json" && <HighlightedCode code={JSON.stringify(definition, null, 2)} language="json" label={`${pipeline} as JSON`} />}
          </div>
          <StartRunForm group={group} pipeline={loaded.value} />
        </>
      )}
      <h2>Runs</h2>
      <RunsTable group={group} pipeline={pipeline} />
    </>
  );
}

/** Up to this many tasks, attachments' task is chosen from a list; above, its id is typed. */
const MAX_TASK_CHOICES = 50;

/** Every `value_from: { params: NAME }` in the definition: the params a run may be given. */
export function paramNamesOf(definition: unknown): string[] {
  const names = new Set<string>();
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === "object" && value !== null) {
      const from = (value as { value_from?: { params?: unknown } }).value_from;
      if (from && typeof from.params === "string") names.add(from.params);
      Object.values(value).forEach(walk);
    }
  };
  walk(definition);
  return [...names].sort();
}

function StartRunForm({ group, pipeline }: { group: string; pipeline: Pipeline }) {
  const navigate = useNavigate();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const names = useMemo(() => paramNamesOf(pipeline), [pipeline]);
  const taskIds = pipeline.tasks.map((t) => String(t.id));

  async function start(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const params: Record<string, string> = {};
    for (const name of names) {
      const value = String(form.get(`param:${name}`) ?? "");
      if (value !== "") params[name] = value;
    }
    for (const line of String(form.get("extra") ?? "").split("\n")) {
      const at = line.indexOf("=");
      if (line.trim() === "") continue;
      if (at <= 0) {
        setError(new Error(`each extra param is NAME=VALUE; '${line}' has no '='`));
        return;
      }
      params[line.slice(0, at).trim()] = line.slice(at + 1);
    }
    const files = form.getAll("attachments").filter((f): f is File => f instanceof File && f.name !== "");
    const forTask = String(form.get("attachments_task") ?? "");
    setBusy(true);
    const ok = await attempt(setError, async () => {
      const { data, error, response } = await api.POST(`${W}/groups/{group_id}/pipelines/{pipeline_id}/events`, {
        params: { path: { group_id: group, pipeline_id: pipeline.id } },
        body: { params },
        // With files the event is multipart: `params` as JSON, each file as a part (`task:ID` for one task's inbox).
        ...(files.length > 0
          ? {
              bodySerializer: () => {
                const multipart = new FormData();
                multipart.append("params", JSON.stringify(params));
                for (const f of files) multipart.append(forTask === "" ? "attachments" : `task:${forTask}`, f, f.name);
                return multipart;
              },
            }
          : {}),
      });
      if (error !== undefined || data === undefined) throw problemOf(response, error);
      navigate(`/groups/${encodeURIComponent(group)}/pipelines/${encodeURIComponent(pipeline.id)}/runs/${data.result.uuid}`);
    });
    if (!ok) setBusy(false);
  }

  return (
    <section aria-labelledby="start-run">
      <h2 id="start-run">Start a run</h2>
      <form onSubmit={(e) => void start(e)} className="stack">
        {names.map((name) => (
          <label key={name}>
            Param {name}
            <input name={`param:${name}`} />
          </label>
        ))}
        <label>
          Other params (NAME=VALUE, one a line)
          <textarea name="extra" rows={2} />
        </label>
        <label>
          Attachments (files for the run's inbox)
          <input name="attachments" type="file" multiple />
        </label>
        {taskIds.length <= MAX_TASK_CHOICES ? (
          <label>
            Attachments go to
            <select name="attachments_task" defaultValue="">
              <option value="">every task</option>
              {taskIds.map((id) => (
                <option key={id} value={id}>
                  task {id} only
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            Attachments go to the task (its id; empty: every task)
            <input name="attachments_task" />
          </label>
        )}
        <Problem error={error} />
        <button type="submit" disabled={busy}>
          Start run
        </button>
      </form>
    </section>
  );
}
