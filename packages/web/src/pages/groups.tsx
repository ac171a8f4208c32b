import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, unwrap, W } from "../api";
import { attempt, Problem } from "../components/problem";
import { useData } from "../components/use-data";

export function GroupsPage() {
  const groups = useData(() => unwrap(api.GET(`${W}/groups`)), []);
  const [error, setError] = useState<Error>();
  const navigate = useNavigate();

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const id = String(new FormData(event.currentTarget).get("id"));
    if (await attempt(setError, () => unwrap(api.POST(`${W}/groups`, { body: { id, users: [] } })))) navigate(`/groups/${encodeURIComponent(id)}`);
  }

  return (
    <>
      <h1>Groups</h1>
      <Problem error={groups.error} />
      {groups.value && groups.value.length === 0 && <p>You are in no group yet.</p>}
      {groups.value && groups.value.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Owner</th>
              <th scope="col">Members</th>
            </tr>
          </thead>
          <tbody>
            {groups.value.map((g) => (
              <tr key={g.id}>
                <td>
                  <Link to={`/groups/${encodeURIComponent(g.id)}`}>{g.id}</Link>
                </td>
                <td>{g.owner}</td>
                <td>{g.users.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>New group</h2>
      <form onSubmit={(e) => void create(e)} className="inline">
        <label>
          Group id
          <input name="id" required />
        </label>
        <button type="submit">Create group</button>
      </form>
      <Problem error={error} />
    </>
  );
}
