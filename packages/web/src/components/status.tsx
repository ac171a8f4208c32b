import type { ExecutionStatus, RunStatus } from "../api";

type Status = RunStatus | ExecutionStatus | "pending";

/** Never colour alone (WCAG 1.4.1): each state has an icon and its word beside the colour. */
export const STATUS_ICONS: Record<Status, string> = {
  pending: "○",
  queued: "◔",
  running: "▶",
  succeeded: "✔",
  failed: "✖",
  skipped: "↷",
  cancelled: "■",
  timed_out: "⏱",
};

export function StatusBadge({ status }: { status: Status }) {
  return (
    <span className={`status status-${status}`} data-status={status}>
      <span aria-hidden="true">{STATUS_ICONS[status]}</span> {status.replace("_", " ")}
    </span>
  );
}
