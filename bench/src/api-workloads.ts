import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { ADMIN_LOGIN, API_PREFIX, ApiClient, TERMINAL_RUN_STATUSES, type ExecutionSummary, type RunSummary } from "./api-client.js";
import { BenchError } from "./measure.js";
import { hostFunctionTask, pipelineFor } from "./pipeline.js";
import type { ApiRow } from "./report.js";
import type { ServerCpu, ServerReady, ServerStopped } from "./server-child.js";
import { percentile } from "./stats.js";

/**
 * The workloads that go through the HTTP API (issue 6, workloads 5 and 6), against a
 * Cairn server in its own process (server-child.ts) on a fresh data dir:
 * - trigger-latency: from just before the POST that starts a run to the moment the run's
 *   first task's process is running (the task's bash prints $EPOCHREALTIME as its first
 *   act), one run at a time, median and 99th percentile;
 * - api-read: requests per second and latency for GET of one run's status, with 50
 *   connections kept open by autocannon, in the suite's process.
 */

export const API_WORKLOADS = ["trigger-latency", "api-read"] as const;
export type ApiWorkloadName = (typeof API_WORKLOADS)[number];

const SERVER_CHILD = fileURLToPath(new URL("./server-child.js", import.meta.url));
const START_SERVER_MODULE = fileURLToPath(new URL("../../packages/cairn/dist/api/start-server.js", import.meta.url));
const ADMIN_PASSWORD = "cairn-bench-admin-password";
const GROUP = "bench";
const PIPELINE = "trigger-latency";
/** The first act of the task: the time its process runs, in seconds with microseconds, without starting another process. */
const STAMP = 'printf %s "$EPOCHREALTIME" > "$CAIRN_OUTPUTS_DIR/started"\n';

export interface ApiPlan {
  /** Measured runs of trigger-latency per store (after a few unmeasured ones). */
  triggerRuns: number;
  /** How long autocannon reads, in seconds. */
  readSeconds: number;
  connections: number;
}

export function apiPlan(quick: boolean): ApiPlan {
  return quick ? { triggerRuns: 50, readSeconds: 5, connections: 50 } : { triggerRuns: 200, readSeconds: 10, connections: 50 };
}

/** Undefined when the built package has the API; otherwise why the API workloads cannot run. */
export function apiBlocker(): string | undefined {
  return existsSync(START_SERVER_MODULE) ? undefined : "not run: API not available (packages/cairn/dist/api/start-server.js was not built)";
}

export interface ServerProcess {
  url: string;
  /** CPU time (user + system) the server's process has used so far, in µs. */
  cpuMicros(): Promise<number>;
  /** Stops the server; resolves with its peak RSS in kB. */
  stop(): Promise<number>;
}

export interface ServerOptions {
  scratch: string;
  env: NodeJS.ProcessEnv;
  /** Not Cairn: the bare Fastify server answering every GET with this body (server-child.ts). */
  ceilingBody?: string;
  /** A postgres:// URL; SQLite in the data dir otherwise. */
  databaseUrl?: string;
  /** Flags for node itself, e.g. `--cpu-prof`. */
  nodeFlags?: readonly string[];
}

/** Starts server-child.js and resolves once it listens. */
export async function startServerProcess(options: ServerOptions): Promise<ServerProcess> {
  const dataDir = await mkdtemp(join(options.scratch, "server-"));
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), SERVER_CHILD], {
    env: {
      ...options.env,
      CAIRN_DATA_DIR: dataDir,
      CAIRN_HOST: "127.0.0.1",
      CAIRN_PORT: "0",
      CAIRN_ALLOW_HOST_RUNTIME: "1",
      CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...(options.databaseUrl !== undefined ? { CAIRN_DATABASE_URL: options.databaseUrl } : {}),
      ...(options.ceilingBody !== undefined ? { CAIRN_BENCH_CEILING_BODY: options.ceilingBody } : {}),
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (buffered + chunk).split("\n");
    buffered = parts.pop()!;
    lines.push(...parts.filter((l) => l.trim() !== ""));
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => waiters.splice(0).forEach((w) => w()));

  /** The next JSON line with `key`, or an error quoting stderr when the process ends or is too slow. */
  const nextMessage = async <T>(key: string, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = lines.findIndex((l) => l.includes(`"${key}"`));
      if (index >= 0) return JSON.parse(lines.splice(index, 1)[0]!) as T;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new BenchError(`the Cairn server process ended (${child.exitCode ?? child.signalCode}) before it said '${key}':\n${stderr.trim()}`);
      }
      if (Date.now() > deadline) throw new BenchError(`the Cairn server process did not say '${key}' within ${timeoutMs / 1000} s:\n${stderr.trim()}`);
      await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), sleep(250, undefined, { ref: false })]);
    }
  };

  try {
    const ready = await nextMessage<ServerReady>("url", 60_000);
    let stopped: Promise<number> | undefined;
    return {
      url: ready.url,
      cpuMicros: async () => {
        child.stdin.write("cpu\n");
        return (await nextMessage<ServerCpu>("cpuMicros", 10_000)).cpuMicros;
      },
      stop: () =>
        (stopped ??= (async () => {
          child.stdin.end();
          try {
            return (await nextMessage<ServerStopped>("maxRssKb", 30_000)).maxRssKb;
          } finally {
            // It exits right after saying so; under --cpu-prof it first writes the profile.
            // An unref'd timer: once the process has exited it must not keep the suite alive.
            const ended = await Promise.race([exited.then(() => true), sleep(30_000, undefined, { ref: false }).then(() => false)]);
            if (!ended) child.kill("SIGKILL");
            await exited;
          }
        })()),
    };
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
}

/** A logged-in admin with a group and the one-task pipeline the API workloads run. */
export async function prepareServer(url: string): Promise<ApiClient> {
  const client = await new ApiClient(url).logIn(ADMIN_LOGIN, ADMIN_PASSWORD);
  await client.call("POST", `${API_PREFIX}/groups`, 201, { id: GROUP });
  const pipeline = pipelineFor(PIPELINE, [{ id: "first", deps: [] }], hostFunctionTask("bash", STAMP));
  await client.call("POST", `${API_PREFIX}/groups/${GROUP}/pipelines`, 201, pipeline);
  return client;
}

const runsPath = `${API_PREFIX}/groups/${GROUP}/pipelines/${PIPELINE}/runs`;

export interface TriggerLatency {
  /** ms per measured run, in order. */
  latenciesMs: number[];
  /** A finished run's status path, for api-read. */
  runPath: string;
}

/**
 * `runs` runs, one after another, after `warmUp` unmeasured ones. The start time is taken
 * on this machine's clock just before the POST; the task's stamp is the same clock
 * (bash's EPOCHREALTIME), so the difference is the whole path: HTTP, validation, the
 * run's first write, scheduling, the attempt's files and the process start.
 */
export async function measureTriggerLatency(client: ApiClient, runs: number, warmUp = 5): Promise<TriggerLatency> {
  const latenciesMs: number[] = [];
  let runPath = "";
  for (let i = 0; i < warmUp + runs; i++) {
    // The wall clock, as bash's is: performance.timeOrigin + now() follows the monotonic
    // clock from the process's start, and on these VMs it drifted 21 s from the wall clock
    // within one 7-minute suite (every latency then read 21.4 s). 1 ms resolution suffices.
    const before = Date.now();
    const run = await client.call<RunSummary>("POST", `${API_PREFIX}/groups/${GROUP}/pipelines/${PIPELINE}/events`, 201, {});
    runPath = `${runsPath}/${run.uuid}`;
    // Waiting for the end by polling: the first poll comes after the task has most likely
    // started, so the polls do not compete with what is measured.
    await sleep(40);
    let status = run.status;
    for (let polls = 0; !TERMINAL_RUN_STATUSES.has(status); polls++) {
      if (polls > 1500) throw new BenchError(`run ${run.uuid} did not end within 30 s (status ${status})`);
      if (polls > 0) await sleep(20);
      status = (await client.call<RunSummary>("GET", runPath, 200)).status;
    }
    const executions = await client.call<ExecutionSummary[]>("GET", `${runPath}/executions`, 200);
    const stamp = executions[0]?.outputs.started;
    if (status !== "succeeded" || stamp === undefined) {
      throw new BenchError(`trigger-latency run ${run.uuid} ended ${status}, stamp ${stamp ?? "missing"}: ${JSON.stringify(executions).slice(0, 500)}`);
    }
    const startedMs = Number(stamp.replace(",", ".")) * 1000;
    if (!Number.isFinite(startedMs)) throw new BenchError(`the task's stamp '${stamp}' is not a time (is bash older than 5.0?)`);
    if (i >= warmUp) latenciesMs.push(startedMs - before);
  }
  return { latenciesMs, runPath };
}

export interface ReadThroughput {
  requestsPerSecond: number;
  requests: number;
  medianMs: number;
  p99Ms: number;
  /**
   * CPU time per request of the server's process and of the load generator (this
   * process), in µs: what a request costs, which another process's load on the machine
   * changes much less than the rate. 5,000 requests/s on one core leaves 200 µs each.
   */
  serverCpuMicrosPerRequest?: number;
  loadGeneratorCpuMicrosPerRequest: number;
}

/**
 * autocannon against GET `path` with the client's token; a non-2xx answer or an error
 * fails the measurement. With `server`, its CPU time per request too.
 */
export async function measureApiRead(client: ApiClient, path: string, seconds: number, connections: number, server?: ServerProcess): Promise<ReadThroughput> {
  const serverBefore = await server?.cpuMicros();
  const ownBefore = process.cpuUsage();
  const result = await autocannon({ url: client.baseUrl + path, connections, duration: seconds, headers: client.headers });
  const own = process.cpuUsage(ownBefore);
  const serverMicros = server && serverBefore !== undefined ? (await server.cpuMicros()) - serverBefore : undefined;
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new BenchError(`api-read: ${result.errors} errors, ${result.timeouts} timeouts and ${result.non2xx} non-2xx answers of ${result.requests.total} (GET ${path})`);
  }
  const requests = Math.max(1, result.requests.total);
  return {
    requestsPerSecond: result.requests.total / result.duration,
    requests: result.requests.total,
    medianMs: result.latency.p50,
    p99Ms: result.latency.p99,
    ...(serverMicros !== undefined ? { serverCpuMicrosPerRequest: serverMicros / requests } : {}),
    loadGeneratorCpuMicrosPerRequest: (own.user + own.system) / requests,
  };
}

/**
 * What the machine allows this load generator: autocannon, as api-read runs it, against
 * a bare Fastify server (server-child.ts) answering the answer api-read got, byte for
 * byte, in a process of its own. Cairn cannot be faster than this on the same machine.
 */
async function measureCeiling(client: ApiClient, path: string, plan: ApiPlan, options: Omit<ServerOptions, "databaseUrl">): Promise<{ read: ReadThroughput }> {
  const answer = await fetch(client.baseUrl + path, { headers: client.headers });
  const body = await answer.text();
  if (answer.status !== 200) throw new BenchError(`api-read ceiling: GET ${path} answered ${answer.status}: ${body.slice(0, 300)}`);
  const ceiling = await startServerProcess({ ...options, ceilingBody: body });
  try {
    const bare = new ApiClient(ceiling.url, client.token);
    await measureApiRead(bare, path, 1, plan.connections);
    return { read: await measureApiRead(bare, path, plan.readSeconds, plan.connections, ceiling) };
  } finally {
    await ceiling.stop();
  }
}

export interface ApiStoreSession {
  store: "sqlite" | "postgresql";
  databaseUrl?: string;
  /** Which workloads to run on this store. */
  workloads: readonly ApiWorkloadName[];
}

/** One server per store: trigger-latency, then api-read on one of its finished runs. */
export async function runApiSession(
  session: ApiStoreSession,
  plan: ApiPlan,
  options: Omit<ServerOptions, "databaseUrl">,
  log: (line: string) => void,
): Promise<ApiRow[]> {
  const server = await startServerProcess({ ...options, databaseUrl: session.databaseUrl });
  const rows: Omit<ApiRow, "peakRssMb">[] = [];
  let loadStart = loadavg()[0]!;
  const load = () => {
    const range = { start: loadStart, end: loadavg()[0]! };
    loadStart = range.end;
    return range;
  };
  let failure: unknown;
  try {
    const client = await prepareServer(server.url);
    // api-read needs a run to read, so trigger-latency always runs first (one run when only api-read is wanted).
    const wantsTrigger = session.workloads.includes("trigger-latency");
    const trigger = await measureTriggerLatency(client, wantsTrigger ? plan.triggerRuns : 1, wantsTrigger ? 5 : 0);
    if (wantsTrigger) {
      const sorted = [...trigger.latenciesMs].sort((a, b) => a - b);
      const row = {
        workload: "trigger-latency",
        store: session.store,
        samples: sorted.length,
        medianMs: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        load: load(),
        what: "POST events -> first task's process running",
      };
      log(`trigger-latency (${session.store}): median ${row.medianMs.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms over ${row.samples} runs`);
      rows.push(row);
    }
    if (session.workloads.includes("api-read")) {
      // A short unmeasured round first: the server's JIT and autocannon's connections warm up.
      await measureApiRead(client, trigger.runPath, 1, plan.connections);
      loadStart = loadavg()[0]!;
      const read = await measureApiRead(client, trigger.runPath, plan.readSeconds, plan.connections, server);
      const serverCpu = (read.serverCpuMicrosPerRequest ?? 0).toFixed(0);
      log(
        `api-read (${session.store}): ${read.requestsPerSecond.toFixed(0)} requests/s, median ${read.medianMs} ms, p99 ${read.p99Ms} ms; ` +
          `CPU per request: server ${serverCpu} µs, autocannon ${read.loadGeneratorCpuMicrosPerRequest.toFixed(0)} µs`,
      );
      rows.push({
        workload: "api-read",
        store: session.store,
        samples: read.requests,
        medianMs: read.medianMs,
        p99Ms: read.p99Ms,
        requestsPerSecond: read.requestsPerSecond,
        load: load(),
        what: `GET a run's status, ${plan.connections} connections, ${plan.readSeconds} s; server CPU ${serverCpu} µs/request`,
      });
      if (session.store === "sqlite") {
        const ceiling = await measureCeiling(client, trigger.runPath, plan, options);
        log(
          `api-read ceiling (a bare Fastify route answering the same bytes): ${ceiling.read.requestsPerSecond.toFixed(0)} requests/s, ` +
            `median ${ceiling.read.medianMs} ms, p99 ${ceiling.read.p99Ms} ms; CPU per request: server ${(ceiling.read.serverCpuMicrosPerRequest ?? 0).toFixed(0)} µs, ` +
            `autocannon ${ceiling.read.loadGeneratorCpuMicrosPerRequest.toFixed(0)} µs`,
        );
        rows.push({
          workload: "api-read ceiling",
          store: "none",
          samples: ceiling.read.requests,
          medianMs: ceiling.read.medianMs,
          p99Ms: ceiling.read.p99Ms,
          requestsPerSecond: ceiling.read.requestsPerSecond,
          load: load(),
          what: `a bare Fastify route answering the same bytes, same autocannon; server CPU ${(ceiling.read.serverCpuMicrosPerRequest ?? 0).toFixed(0)} µs/request (peak RSS: Cairn's)`,
        });
      }
    }
  } catch (err) {
    failure = err;
  }
  let maxRssKb = 0;
  try {
    maxRssKb = await server.stop();
  } catch (err) {
    // The measurement's own error says more than a failed stop after it.
    if (failure === undefined) throw err;
  }
  if (failure !== undefined) throw failure;
  return rows.map((row) => ({ ...row, peakRssMb: maxRssKb / 1024 }));
}
