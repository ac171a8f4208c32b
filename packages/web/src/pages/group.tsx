import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { api, check, unwrap, W } from "../api";
import { formatTime } from "../components/format";
import { attempt, Problem } from "../components/problem";
import { useData } from "../components/use-data";
import { GroupNav } from "./group-nav";

export function GroupPage() {
  const group = useParams().group!;
  const path = { group_id: group };
  const detail = useData(() => unwrap(api.GET(`${W}/groups/{group_id}`, { params: { path } })), [group]);
  const pipelines = useData(() => unwrap(api.GET(`${W}/groups/{group_id}/pipelines`, { params: { path } })), [group]);
  const [error, setError] = useState<Error>();

  async function addMember(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const target = event.currentTarget;
    const ok = await attempt(setError, () =>
      unwrap(api.POST(`${W}/groups/{group_id}/users`, { params: { path }, body: { username: String(form.get("username")), is_admin: form.get("is_admin") === "on" } })),
    );
    if (ok) {
      target.reset();
      detail.reload();
    }
  }

  async function setAdmin(username: string, isAdmin: boolean) {
    if (await attempt(setError, () => unwrap(api.PATCH(`${W}/groups/{group_id}/users/{username}`, { params: { path: { group_id: group, username } }, body: { is_admin: isAdmin } }))))
      detail.reload();
  }

  async function remove(username: string) {
    if (await attempt(setError, () => check(api.DELETE(`${W}/groups/{group_id}/users/{username}`, { params: { path: { group_id: group, username } } })))) detail.reload();
  }

  return (
    <>
      <h1>Group {group}</h1>
      <GroupNav group={group} />
      <h2>Pipelines</h2>
      <Problem error={pipelines.error} />
      {pipelines.value && pipelines.value.length === 0 && <p>No pipelines in this group yet (create them with the CLI or the API).</p>}
      {pipelines.value && pipelines.value.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Pipeline</th>
              <th scope="col">Tasks</th>
              <th scope="col">Owner</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {pipelines.value.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link to={`/groups/${encodeURIComponent(group)}/pipelines/${encodeURIComponent(p.id)}`}>{p.id}</Link>
                </td>
                <td>{p.tasks.length}</td>
                <td>{p.owner}</td>
                <td>{formatTime(p.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Members</h2>
      <Problem error={detail.error} />
      {detail.value && (
        <table>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {detail.value.users.map((u) => (
              <tr key={u.username}>
                <td>{u.username}</td>
                <td>{u.username === detail.value!.owner ? "owner" : u.is_admin ? "admin" : "member"}</td>
                <td>
                  {u.username !== detail.value!.owner && (
                    <>
                      <button type="button" onClick={() => void setAdmin(u.username, !u.is_admin)}>
                        {u.is_admin ? `Make ${u.username} a member` : `Make ${u.username} an admin`}
                      </button>{" "}
                      <button type="button" className="danger" onClick={() => void remove(u.username)}>
                        Remove {u.username}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Add a member</h3>
      <form onSubmit={(e) => void addMember(e)} className="inline">
        <label>
          Username
          <input name="username" required />
        </label>
        <label className="check">
          <input name="is_admin" type="checkbox" /> admin
        </label>
        <button type="submit">Add member</button>
      </form>
      <Problem error={error} />
    </>
  );
}
