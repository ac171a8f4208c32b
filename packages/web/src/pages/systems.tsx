import { useState } from "react";
import { useParams } from "react-router-dom";
import { api, check, unwrap, W, type PostBody } from "../api";
import { formatTime } from "../components/format";
import { attempt, Problem } from "../components/problem";
import { useData } from "../components/use-data";
import { GroupNav } from "./group-nav";
import { JsonCreateForm } from "./json-create-form";

type SystemBody = PostBody<"/v3/workflows/groups/{group_id}/systems">;

export function SystemsPage() {
  const group = useParams().group!;
  const path = { group_id: group };
  const systems = useData(() => unwrap(api.GET(`${W}/groups/{group_id}/systems`, { params: { path } })), [group]);
  const [error, setError] = useState<Error>();

  async function remove(id: string) {
    if (await attempt(setError, () => check(api.DELETE(`${W}/groups/{group_id}/systems/{system_id}`, { params: { path: { group_id: group, system_id: id } } })))) systems.reload();
  }

  return (
    <>
      <h1>Systems of {group}</h1>
      <GroupNav group={group} />
      <p>Places archives write to: a local folder, an SSH host or an S3 bucket.</p>
      <Problem error={systems.error} />
      {systems.value && systems.value.length === 0 && <p>No systems.</p>}
      {systems.value && systems.value.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">System</th>
              <th scope="col">Type</th>
              <th scope="col">Where</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {systems.value.map((s) => (
              <tr key={s.id}>
                <td>{s.id}</td>
                <td>{s.type}</td>
                <td>
                  <code>{s.type === "ssh" ? `${s.host}:${s.port}${s.root_dir}` : s.type === "s3" ? `${s.endpoint ?? ""} ${s.bucket ?? ""}/${s.root_dir}` : s.root_dir}</code>
                </td>
                <td>{formatTime(s.created_at)}</td>
                <td>
                  <button type="button" className="danger" onClick={() => void remove(s.id)}>
                    Delete {s.id}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Problem error={error} />
      <h2>New system</h2>
      <JsonCreateForm
        label="System"
        example={{ id: "results", type: "local", root_dir: "results" }}
        create={async (body) => {
          await unwrap(api.POST(`${W}/groups/{group_id}/systems`, { params: { path }, body: body as SystemBody }));
          systems.reload();
        }}
      />
    </>
  );
}
