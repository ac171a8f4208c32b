import { useState, type FormEvent } from "react";
import { api, check, unwrap, W, type PostBody } from "../api";
import { formatTime } from "../components/format";
import { attempt, Problem } from "../components/problem";
import { useData } from "../components/use-data";

interface IdentityView {
  uuid: string;
  type: string;
  name: string;
  description: string | null;
  host: string | null;
  created_at: string;
}

/** What each type of identity asks for: a host (when it has one) and its credentials' fields. */
const TYPES: Record<string, { host: "required" | "optional" | "none"; fields: string[] }> = {
  github: { host: "none", fields: ["username", "personal_access_token"] },
  gitlab: { host: "optional", fields: ["username", "token"] },
  gitea: { host: "required", fields: ["username", "token"] },
  dockerhub: { host: "none", fields: ["username", "token"] },
  git: { host: "required", fields: ["username", "token"] },
  registry: { host: "required", fields: ["username", "token"] },
  ssh: { host: "none", fields: ["username", "private_key"] },
  s3: { host: "none", fields: ["access_key_id", "secret_access_key"] },
};

type IdentityBody = PostBody<"/v3/workflows/identities">;

/** Your identities by name and type: credentials are written once and never shown again. */
export function IdentitiesPage() {
  const identities = useData(async () => (await unwrap(api.GET(`${W}/identities`))) as IdentityView[], []);
  const [type, setType] = useState("github");
  const [error, setError] = useState<Error>();
  const shape = TYPES[type]!;

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const target = event.currentTarget;
    const form = new FormData(target);
    const text = (name: string) => String(form.get(name) ?? "");
    const body = {
      type,
      name: text("name"),
      ...(text("description") ? { description: text("description") } : {}),
      ...(shape.host !== "none" && text("host") ? { host: text("host") } : {}),
      credentials: Object.fromEntries(shape.fields.map((f) => [f, text(f)])),
    };
    if (await attempt(setError, () => unwrap(api.POST(`${W}/identities`, { body: body as IdentityBody })))) {
      target.reset();
      identities.reload();
    }
  }

  async function remove(uuid: string) {
    if (await attempt(setError, () => check(api.DELETE(`${W}/identities/{identity_uuid}`, { params: { path: { identity_uuid: uuid } } })))) identities.reload();
  }

  return (
    <>
      <h1>Identities</h1>
      <p>Credentials for git hosts, registries, SSH and S3, used by your runs. They are write-only: no page or API call shows them again.</p>
      <Problem error={identities.error} />
      {identities.value && identities.value.length === 0 && <p>No identities.</p>}
      {identities.value && identities.value.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Host</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {identities.value.map((i) => (
              <tr key={i.uuid}>
                <td>{i.name}</td>
                <td>{i.type}</td>
                <td>{i.host ?? "—"}</td>
                <td>{formatTime(i.created_at)}</td>
                <td>
                  <button type="button" className="danger" onClick={() => void remove(i.uuid)}>
                    Delete {i.name}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>New identity</h2>
      <form onSubmit={(e) => void create(e)} className="stack">
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value)}>
            {Object.keys(TYPES).map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input name="name" required />
        </label>
        <label>
          Description
          <input name="description" />
        </label>
        {shape.host !== "none" && (
          <label>
            Host{shape.host === "optional" ? " (optional)" : ""}
            <input name="host" required={shape.host === "required"} />
          </label>
        )}
        {shape.fields.map((f) => (
          <label key={f}>
            {f.replace(/_/g, " ")}
            {f === "private_key" ? (
              <textarea name={f} rows={4} required spellCheck={false} />
            ) : (
              <input name={f} type={f === "username" || f === "access_key_id" ? "text" : "password"} autoComplete="off" required />
            )}
          </label>
        ))}
        <button type="submit">Save identity</button>
      </form>
      <Problem error={error} />
    </>
  );
}
