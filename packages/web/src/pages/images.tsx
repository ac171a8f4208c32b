import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, unwrap, W } from "../api";
import { formatBytes, formatTime, shortDigest } from "../components/format";
import { Problem } from "../components/problem";
import { useData } from "../components/use-data";
import { GroupNav } from "./group-nav";

/** The group's image catalog, newest first, filtered by the address's query (?name=&commit=&bad=1). */
export function ImagesPage() {
  const group = useParams().group!;
  const [search, setSearch] = useSearchParams();
  const name = search.get("name") ?? "";
  const commit = search.get("commit") ?? "";
  const bad = search.get("bad") === "1";
  const images = useData(
    () =>
      unwrap(
        api.GET(`${W}/groups/{group_id}/images`, {
          params: { path: { group_id: group }, query: { limit: 200, ...(name ? { name } : {}), ...(commit ? { commit } : {}), ...(bad ? { bad: "true" as const } : {}) } },
        }),
      ),
    [group, name, commit, bad],
  );

  function set(key: string, value: string) {
    const next = new URLSearchParams(search);
    if (value === "") next.delete(key);
    else next.set(key, value);
    setSearch(next, { replace: true });
  }

  return (
    <>
      <h1>Images of {group}</h1>
      <GroupNav group={group} />
      <form className="inline" role="search" aria-label="Filter images" onSubmit={(e) => e.preventDefault()}>
        <label>
          Name contains
          <input defaultValue={name} onBlur={(e) => set("name", e.target.value)} onKeyDown={(e) => e.key === "Enter" && set("name", e.currentTarget.value)} />
        </label>
        <label>
          Commit
          <input defaultValue={commit} onBlur={(e) => set("commit", e.target.value)} onKeyDown={(e) => e.key === "Enter" && set("commit", e.currentTarget.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={bad} onChange={(e) => set("bad", e.target.checked ? "1" : "")} /> marked bad only
        </label>
      </form>
      <Problem error={images.error} />
      {images.value && images.value.length === 0 && <p>No images match.</p>}
      {images.value && images.value.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Image</th>
              <th scope="col">Names</th>
              <th scope="col">Origin</th>
              <th scope="col">Commit</th>
              <th scope="col">State</th>
              <th scope="col">Size</th>
              <th scope="col">Recorded</th>
            </tr>
          </thead>
          <tbody>
            {images.value.map((image) => (
              <tr key={image.digest}>
                <td>
                  <Link to={`/groups/${encodeURIComponent(group)}/images/${image.digest}`}>{shortDigest(image.digest)}</Link>
                </td>
                <td>{image.names.join(", ") || "—"}</td>
                <td>{image.origin}</td>
                <td>{image.recipe?.commit ? <code>{image.recipe.commit.slice(0, 10)}</code> : "—"}</td>
                <td>{image.bad ? <span className="status status-failed">✖ bad</span> : "ok"}</td>
                <td>{formatBytes(image.size)}</td>
                <td>{formatTime(image.recorded_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
