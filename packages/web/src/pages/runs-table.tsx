import { Link, useSearchParams } from "react-router-dom";
import { api, unwrap, W, type Run } from "../api";
import { formatDuration, formatTime } from "../components/format";
import { Problem } from "../components/problem";
import { StatusBadge } from "../components/status";
import { useData } from "../components/use-data";

const PAGE_SIZE = 20;
const STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
const TRIGGERS = ["api", "cli", "webhook", "schedule", "rerun", "retry"] as const;
/** How often the list is asked again: new runs and changed states appear without a reload. */
const REFRESH_MS = 2000;

/** A pipeline's runs, newest first, filtered and paged by the address's query (?status=&trigger=&page=), updated live. */
export function RunsTable({ group, pipeline }: { group: string; pipeline: string }) {
  const [search, setSearch] = useSearchParams();
  const status = search.get("status") ?? "";
  const trigger = search.get("trigger") ?? "";
  const page = Math.max(0, Number(search.get("page") ?? 0) || 0);
  const runs = useData(
    () =>
      unwrap(
        api.GET(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs`, {
          params: {
            path: { group_id: group, pipeline_id: pipeline },
            query: {
              // One more than a page tells whether a next page exists.
              limit: PAGE_SIZE + 1,
              offset: page * PAGE_SIZE,
              ...(status ? { status: status as Run["status"] } : {}),
              ...(trigger ? { trigger: trigger as NonNullable<Run["trigger"]> } : {}),
            },
          },
        }),
      ),
    [group, pipeline, status, trigger, page],
    { pollMs: REFRESH_MS },
  );

  function set(name: string, value: string) {
    const next = new URLSearchParams(search);
    if (value === "") next.delete(name);
    else next.set(name, value);
    if (name !== "page") next.delete("page");
    setSearch(next, { replace: true });
  }

  const shown = runs.value?.slice(0, PAGE_SIZE) ?? [];
  const base = `/groups/${encodeURIComponent(group)}/pipelines/${encodeURIComponent(pipeline)}/runs`;
  return (
    <section aria-label="Runs">
      <div className="inline">
        <label>
          Status
          <select value={status} onChange={(e) => set("status", e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Trigger
          <select value={trigger} onChange={(e) => set("trigger", e.target.value)}>
            <option value="">any</option>
            {TRIGGERS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
      </div>
      <Problem error={runs.error} />
      {runs.value && shown.length === 0 && <p>No runs{status || trigger ? " match these filters" : " yet"}.</p>}
      {shown.length > 0 && (
        <table className="runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Trigger</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.uuid} data-run={r.uuid}>
                <td>
                  <Link to={`${base}/${r.uuid}`}>{r.uuid.slice(0, 8)}</Link>
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td>{r.trigger ?? "—"}</td>
                <td>{formatTime(r.started_at ?? r.created_at)}</td>
                <td>{formatDuration(r.started_at, r.ended_at)}</td>
                <td>{r.started_by ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav aria-label="Pages of runs" className="inline">
        <button type="button" disabled={page === 0} onClick={() => set("page", String(page - 1))}>
          Newer runs
        </button>
        <span>Page {page + 1}</span>
        <button type="button" disabled={(runs.value?.length ?? 0) <= PAGE_SIZE} onClick={() => set("page", String(page + 1))}>
          Older runs
        </button>
      </nav>
    </section>
  );
}
