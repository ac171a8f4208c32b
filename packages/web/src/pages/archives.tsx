import { useState } from "react";
import { useParams } from "react-router-dom";
import { api, check, unwrap, W, type PostBody } from "../api";
import { formatTime } from "../components/format";
import { attempt, Problem } from "../components/problem";
import { useData } from "../components/use-data";
import { GroupNav } from "./group-nav";
import { JsonCreateForm } from "./json-create-form";

type ArchiveBody = PostBody<"/v3/workflows/groups/{group_id}/archives">;

export function ArchivesPage() {
  const group = useParams().group!;
  const path = { group_id: group };
  const archives = useData(() => unwrap(api.GET(`${W}/groups/{group_id}/archives`, { params: { path } })), [group]);
  const [error, setError] = useState<Error>();

  async function remove(id: string) {
    if (await attempt(setError, () => check(api.DELETE(`${W}/groups/{group_id}/archives/{archive_id}`, { params: { path: { group_id: group, archive_id: id } } })))) archives.reload();
  }

  return (
    <>
      <h1>Archives of {group}</h1>
      <GroupNav group={group} />
      <p>Where a pipeline's results are copied when its runs end (a pipeline names its archives).</p>
      <Problem error={archives.error} />
      {archives.value && archives.value.length === 0 && <p>No archives.</p>}
      {archives.value && archives.value.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Archive</th>
              <th scope="col">Type</th>
              <th scope="col">System</th>
              <th scope="col">Folder</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {archives.value.map((a) => (
              <tr key={a.id}>
                <td>{a.id}</td>
                <td>{a.type}</td>
                <td>{a.system_id ?? a.bucket ?? "—"}</td>
                <td>
                  <code>{a.archive_dir}</code>
                </td>
                <td>{formatTime(a.created_at)}</td>
                <td>
                  <button type="button" className="danger" onClick={() => void remove(a.id)}>
                    Delete {a.id}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Problem error={error} />
      <h2>New archive</h2>
      <JsonCreateForm
        label="Archive"
        example={{ id: "results-archive", type: "system", system_id: "results", archive_dir: "/runs/" }}
        create={async (body) => {
          await unwrap(api.POST(`${W}/groups/{group_id}/archives`, { params: { path }, body: body as ArchiveBody }));
          archives.reload();
        }}
      />
    </>
  );
}
