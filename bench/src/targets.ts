import type { ApiRow, ResultRow } from "./report.js";

/**
 * The targets of issue 6, checked against one invocation's rows. Each check says what
 * was measured, the target, and whether it was met; rows that were not run are left out.
 */

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

const MAX_RATIO: Record<string, number> = { "chain-1000": 2, "fan-1000": 2, "layers-10x10": 2, "python-chain-40": 1.3 };

export function checkTargets(rows: readonly ResultRow[], api: readonly ApiRow[] = []): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const first = (workload: string, baseline?: string) =>
    rows.find((r) => r.workload === workload && (baseline === undefined || r.baseline.name.startsWith(baseline)));

  for (const [workload, limit] of Object.entries(MAX_RATIO)) {
    const row = first(workload);
    if (row) checks.push(ratioCheck(row, limit));
  }
  const python = first("python-chain-40");
  if (python) {
    const seconds = python.cairnMs.median / 1000;
    checks.push({ target: "python-chain-40 under 1.2 s wall", measured: `${seconds.toFixed(2)} s`, met: seconds < 1.2 });
  }
  const containers = rows.find((r) => r.workload === "containers-20" && r.baseline.name === "podman run");
  if (containers) checks.push(ratioCheck(containers, 1.1));
  const big = first("fan-10000");
  if (big) checks.push({ target: "fan-10000 under 300 MB peak memory", measured: `${big.peakRssMb.toFixed(0)} MB`, met: big.peakRssMb < 300 });
  const small = first("fan-noop-1000");
  if (big && small) {
    const growth = big.overheadMsPerTask / small.overheadMsPerTask;
    checks.push({
      target: "fan per-task overhead at 10,000 within 1.5x of that at 1,000",
      measured: `${small.overheadMsPerTask.toFixed(1)} -> ${big.overheadMsPerTask.toFixed(1)} ms/task (${growth.toFixed(2)}x)`,
      met: growth <= 1.5,
    });
  }
  const trigger = api.find((r) => r.workload === "trigger-latency" && r.store === "sqlite");
  if (trigger) {
    checks.push({ target: "trigger-latency median under 20 ms on SQLite", measured: `${trigger.medianMs.toFixed(1)} ms`, met: trigger.medianMs < 20 });
  }
  const webhook = api.find((r) => r.workload === "webhook-latency" && r.store === "sqlite");
  if (webhook) {
    checks.push({ target: "webhook-latency median under 30 ms on SQLite", measured: `${webhook.medianMs.toFixed(1)} ms`, met: webhook.medianMs < 30 });
  }
  const lateness = api.find((r) => r.workload === "schedule-lateness" && r.store === "sqlite");
  if (lateness?.p95Ms !== undefined) {
    checks.push({ target: "schedule-lateness p95 under 50 ms", measured: `${lateness.p95Ms.toFixed(1)} ms`, met: lateness.p95Ms < 50 });
  }
  const read = api.find((r) => r.workload === "api-read" && r.store === "sqlite");
  if (read?.requestsPerSecond !== undefined) {
    checks.push({ target: "api-read at least 5,000 requests/s", measured: `${read.requestsPerSecond.toFixed(0)} requests/s`, met: read.requestsPerSecond >= 5000 });
  }
  return checks;
}

function ratioCheck(row: ResultRow, limit: number): TargetCheck {
  return {
    target: `${row.workload} within ${limit}x of ${row.baseline.name}`,
    measured: `${row.ratio.toFixed(2)}x`,
    met: row.ratio <= limit,
  };
}

export function describeCheck(check: TargetCheck): string {
  return `${check.met ? "met" : "MISSED"}: ${check.target} (measured ${check.measured})`;
}
