import { createHmac, randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { API_PREFIX, ApiClient, TERMINAL_RUN_STATUSES, type ExecutionSummary, type RunSummary } from "./api-client.js";
import { apiBlocker, prepareServer, startServerProcess, type ServerOptions } from "./api-workloads.js";
import { BenchError } from "./measure.js";
import type { ApiRow, PendingRow } from "./report.js";
import { percentile } from "./stats.js";

/**
 * The trigger workloads (issue 17), against a Cairn server in its own process on SQLite:
 * - webhook-latency: a push signed as GitHub signs it (X-Hub-Signature-256 over the raw
 *   body), from just before its POST to the moment the run's first task's process is
 *   running (the task's bash writes $EPOCHREALTIME first), one delivery at a time, median
 *   and 99th percentile. Target: median under 30 ms.
 * - schedule-lateness: a second-level cron schedule (`* * * * * *`) fires for a while;
 *   each run's creation time against the cron time it fired for (the whole second),
 *   median, 95th and 99th percentile. Target: p95 under 50 ms.
 */

export const TRIGGER_WORKLOADS = ["webhook-latency", "schedule-lateness"] as const;
export type TriggerWorkloadName = (typeof TRIGGER_WORKLOADS)[number];

const GROUP = "bench";
const PIPELINE = "trigger-latency";
const PUSHER = "bench-pusher";
const SECRET = "bench-webhook-secret-0123456789abcdef";

export interface TriggerPlan {
  /** Measured webhook deliveries (after a few unmeasured ones). */
  deliveries: number;
  /** Seconds the schedule fires for. */
  scheduleSeconds: number;
}

export function triggerPlan(quick: boolean): TriggerPlan {
  return quick ? { deliveries: 50, scheduleSeconds: 10 } : { deliveries: 200, scheduleSeconds: 40 };
}

/** Runs the wanted trigger workloads on one SQLite server; a failure is a pending row, never the suite's end. */
export async function runTriggerWorkloads(
  wanted: readonly TriggerWorkloadName[],
  quick: boolean,
  options: Omit<ServerOptions, "databaseUrl">,
  log: (line: string) => void,
): Promise<{ rows: ApiRow[]; pending: PendingRow[] }> {
  const rows: ApiRow[] = [];
  const pending: PendingRow[] = [];
  if (wanted.length === 0) return { rows, pending };
  const blocker = apiBlocker();
  if (blocker !== undefined) return { rows, pending: wanted.map((w) => ({ workload: `${w} (SQLite)`, reason: blocker })) };
  const plan = triggerPlan(quick);
  const server = await startServerProcess(options);
  try {
    const client = await prepareServer(server.url);
    for (const workload of wanted) {
      const loadStart = loadavg()[0]!;
      try {
        const row = workload === "webhook-latency" ? await measureWebhookLatency(client, plan.deliveries) : await measureScheduleLateness(client, plan.scheduleSeconds);
        rows.push({ ...row, load: { start: loadStart, end: loadavg()[0]! } });
        log(`${row.workload} (sqlite): median ${row.medianMs.toFixed(1)} ms, ${row.what}`);
      } catch (err) {
        const reason = `FAILED: ${err instanceof Error ? err.message.split("\n")[0]!.slice(0, 160) : String(err)}`;
        log(`${workload}: ${reason}`);
        pending.push({ workload: `${workload} (SQLite)`, reason, failed: true });
      }
    }
  } finally {
    const peakRssKb = await server.stop();
    for (const row of rows) row.peakRssMb = peakRssKb / 1024;
  }
  return { rows, pending };
}

type MeasuredRow = Omit<ApiRow, "load" | "peakRssMb"> & { peakRssMb: number };

/** A GitHub push after the documented example payload, with its own commit and delivery id. */
function githubPush(commit: string): string {
  return JSON.stringify({
    ref: "refs/heads/main",
    before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    after: commit,
    created: false,
    deleted: false,
    forced: false,
    repository: { id: 186853002, name: "bench-repo", full_name: "bench/bench-repo", clone_url: "https://github.com/bench/bench-repo.git" },
    pusher: { name: PUSHER, email: `${PUSHER}@users.noreply.github.com` },
    sender: { login: PUSHER, id: 21031067, type: "User" },
    head_commit: { id: commit, message: "Update README.md", timestamp: "2019-05-15T15:20:30-05:00" },
    commits: [{ id: commit, message: "Update README.md" }],
  });
}

async function measureWebhookLatency(client: ApiClient, deliveries: number, warmUp = 5): Promise<MeasuredRow> {
  // The admin pushes as PUSHER on GitHub: an identity of type github with that username maps the pusher to the admin.
  await call(client, "POST", `${API_PREFIX}/identities`, 201, { type: "github", name: "bench-github", credentials: { username: PUSHER, personal_access_token: "bench-not-a-token" } });
  const hook = await client.call<{ uuid: string }>("POST", `${API_PREFIX}/groups/${GROUP}/pipelines/${PIPELINE}/webhooks`, 201, { type: "github", secret: SECRET, branches: ["main"] });
  const latencies: number[] = [];
  for (let i = 0; i < warmUp + deliveries; i++) {
    const body = githubPush(randomBytes(20).toString("hex"));
    const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    // The wall clock, as bash's EPOCHREALTIME is (see measureTriggerLatency).
    const before = Date.now();
    const answer = await fetch(`${client.baseUrl}${API_PREFIX}/webhooks/${hook.uuid}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": `bench-${i}-${randomBytes(6).toString("hex")}`, "x-hub-signature-256": signature },
      body,
    });
    const text = await answer.text();
    if (answer.status !== 201) throw new BenchError(`webhook delivery: expected 201, got ${answer.status}: ${text.slice(0, 300)}`);
    const runUuid = (JSON.parse(text) as { result: { run_uuid: string } }).result.run_uuid;
    const startedMs = await firstTaskStart(client, runUuid);
    if (i >= warmUp) latencies.push(startedMs - before);
  }
  latencies.sort((a, b) => a - b);
  return {
    workload: "webhook-latency",
    store: "sqlite",
    samples: latencies.length,
    medianMs: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    peakRssMb: 0,
    what: `signed GitHub push POST -> first task's process running; p99 ${percentile(latencies, 99).toFixed(1)} ms`,
  };
}

async function measureScheduleLateness(client: ApiClient, seconds: number): Promise<MeasuredRow> {
  const schedule = await client.call<{ uuid: string }>("POST", `${API_PREFIX}/groups/${GROUP}/pipelines/${PIPELINE}/schedules`, 201, { cron: "* * * * * *" });
  const from = Date.now();
  await sleep(seconds * 1000);
  await call(client, "PATCH", `${API_PREFIX}/groups/${GROUP}/pipelines/${PIPELINE}/schedules/${schedule.uuid}`, 200, { enabled: false });
  const runs = await client.call<(RunSummary & { created_at: string })[]>("GET", `${API_PREFIX}/groups/${GROUP}/pipelines/${PIPELINE}/runs?trigger=schedule&limit=1000&since=${encodeURIComponent(new Date(from).toISOString())}`, 200);
  const lateness = runs.map((r) => Date.parse(r.created_at)).map((t) => t - Math.floor(t / 1000) * 1000).sort((a, b) => a - b);
  if (lateness.length < seconds / 2) throw new BenchError(`the schedule fired ${lateness.length} times in ${seconds} s`);
  const fired = new Set(runs.map((r) => Math.floor(Date.parse(r.created_at) / 1000)));
  if (fired.size !== runs.length) throw new BenchError(`the schedule fired twice in one second (${runs.length} runs in ${fired.size} seconds)`);
  return {
    workload: "schedule-lateness",
    store: "sqlite",
    samples: lateness.length,
    medianMs: percentile(lateness, 50),
    p95Ms: percentile(lateness, 95),
    p99Ms: percentile(lateness, 99),
    peakRssMb: 0,
    what: `run created vs its cron second, every second for ${seconds} s; p95 ${percentile(lateness, 95).toFixed(1)} ms`,
  };
}

/** When the run's first task's process ran (its stamp), once the run has ended. */
async function firstTaskStart(client: ApiClient, runUuid: string): Promise<number> {
  const runPath = `${API_PREFIX}/groups/${GROUP}/pipelines/${PIPELINE}/runs/${runUuid}`;
  await sleep(40);
  let status = "";
  for (let polls = 0; !TERMINAL_RUN_STATUSES.has(status); polls++) {
    if (polls > 1500) throw new BenchError(`run ${runUuid} did not end within 30 s (status ${status})`);
    if (polls > 0) await sleep(20);
    status = (await client.call<RunSummary>("GET", runPath, 200)).status;
  }
  const executions = await client.call<ExecutionSummary[]>("GET", `${runPath}/executions`, 200);
  const stamp = executions[0]?.outputs.started;
  if (status !== "succeeded" || stamp === undefined) throw new BenchError(`run ${runUuid} ended ${status}, stamp ${stamp ?? "missing"}`);
  return Number(stamp.replace(",", ".")) * 1000;
}

/** ApiClient.call for methods it does not take (PATCH). */
async function call(client: ApiClient, method: string, path: string, expect: number, body: unknown): Promise<void> {
  const answer = await fetch(client.baseUrl + path, { method, headers: { ...client.headers, "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await answer.text();
  if (answer.status !== expect) throw new BenchError(`${method} ${path}: expected ${expect}, got ${answer.status}: ${text.slice(0, 300)}`);
}
