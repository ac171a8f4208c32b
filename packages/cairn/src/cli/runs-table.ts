import type { Run } from "../client/cairn-client.js";

const COLUMNS = ["RUN", "PIPELINE", "STATUS", "CREATED (UTC)", "TOOK", "MESSAGE"] as const;

/** Runs as aligned columns for a person, newest first as given; the message is cut to one short line. */
export function formatRunsTable(runs: readonly Run[]): string {
  if (runs.length === 0) return "no runs\n";
  const rows = runs.map((r) => [
    r.uuid,
    `${r.group_id}/${r.pipeline_id}`,
    r.status,
    r.created_at.replace("T", " ").replace(/\.\d+Z$/, "Z"),
    r.started_at && r.ended_at ? formatDuration(Date.parse(r.ended_at) - Date.parse(r.started_at)) : "-",
    oneLine(r.message ?? ""),
  ]);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(COLUMNS), ...rows.map(line)].join("\n") + "\n";
}

/** `850 ms`, `12.3 s`, `4 m 05 s`, `2 h 03 m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} m`;
}

function oneLine(text: string, max = 60): string {
  const first = text.split("\n")[0]!.trim();
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}
