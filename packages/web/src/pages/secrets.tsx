import { useState, type FormEvent } from "react";
import { useParams } from "react-router-dom";
import { api, check, unwrap, W } from "../api";
import { formatTime } from "../components/format";
import { attempt, Problem } from "../components/problem";
import { useData } from "../components/use-data";
import { GroupNav } from "./group-nav";

interface SecretView {
  name: string;
  allowed_pipelines: string[];
  created_at: string;
  updated_at: string;
}

/** The group's secrets by name: a value can be written or replaced, never read back (the API has no way to). */
export function SecretsPage() {
  const group = useParams().group!;
  const secrets = useData(async () => (await unwrap(api.GET(`${W}/groups/{group_id}/secrets`, { params: { path: { group_id: group } } }))) as SecretView[], [group]);
  const [error, setError] = useState<Error>();

  async function put(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const target = event.currentTarget;
    const form = new FormData(target);
    const allowed = String(form.get("allowed") ?? "").trim();
    const ok = await attempt(setError, () =>
      unwrap(
        api.PUT(`${W}/groups/{group_id}/secrets/{name}`, {
          params: { path: { group_id: group, name: String(form.get("name")) } },
          body: { value: String(form.get("value")), ...(allowed ? { allowed_pipelines: allowed.split(",").map((s) => s.trim()) } : {}) },
        }),
      ),
    );
    if (ok) {
      // The value leaves the page as soon as it is stored.
      target.reset();
      secrets.reload();
    }
  }

  async function remove(name: string) {
    if (await attempt(setError, () => check(api.DELETE(`${W}/groups/{group_id}/secrets/{name}`, { params: { path: { group_id: group, name } } })))) secrets.reload();
  }

  return (
    <>
      <h1>Secrets of {group}</h1>
      <GroupNav group={group} />
      <p>Values are write-only: set or replace one here; no page or API call shows it again.</p>
      <Problem error={secrets.error} />
      {secrets.value && secrets.value.length === 0 && <p>No secrets.</p>}
      {secrets.value && secrets.value.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Pipelines that may read it</th>
              <th scope="col">Updated</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {secrets.value.map((s) => (
              <tr key={s.name}>
                <td>{s.name}</td>
                <td>{s.allowed_pipelines.join(", ") || "none"}</td>
                <td>{formatTime(s.updated_at)}</td>
                <td>
                  <button type="button" className="danger" onClick={() => void remove(s.name)}>
                    Delete {s.name}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Set a secret</h2>
      <form onSubmit={(e) => void put(e)} className="stack">
        <label>
          Name
          <input name="name" required />
        </label>
        <label>
          Value
          <input name="value" type="password" autoComplete="off" required />
        </label>
        <label>
          Pipelines that may read it (comma-separated ids; empty: keep as is, or "*" for a new one)
          <input name="allowed" />
        </label>
        <button type="submit">Save secret</button>
      </form>
      <Problem error={error} />
    </>
  );
}
