import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ADMIN_LOGIN, API_PREFIX, ApiClient } from "./api-client.js";
import { BenchError } from "./measure.js";
import type { PendingRow } from "./report.js";
import { percentile } from "./stats.js";

/**
 * The tapis_job figures of issue 16, on a private single-node Slurm started here (as
 * test/support/slurm.ts does for the tests: own munged, ports and state folder):
 * - slurm-job-start: from the task's start (the execution's started_at) to the job
 *   running (the job's first line prints the time), on an idle cluster;
 * - slurm-50-jobs: 50 one-second jobs as 50 tapis_job tasks of one run, against a plain
 *   `sbatch` loop that then waits for the same jobs with squeue. Target: Cairn adds at
 *   most 0.5 s per job.
 * Skipped, with the reason, where Slurm or munge is not installed.
 */

const run = promisify(execFile);
/** The name `--only` takes for these workloads. */
export const SLURM_WORKLOAD = "slurm";
const START_SERVER_MODULE = fileURLToPath(new URL("../../packages/cairn/dist/api/start-server.js", import.meta.url));
const CONFIG_MODULE = fileURLToPath(new URL("../../packages/cairn/dist/config.js", import.meta.url));
const TOOLS = ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch", "/usr/bin/squeue"];
const ADMIN_PASSWORD = "bench-slurm-admin-password";
/** Jobs run at once: sleeps use no CPU, so the node claims more CPUs than the machine has (SlurmdParameters=config_overrides). */
const NODE_CPUS = 10;

export function slurmBlocker(): string | undefined {
  const missing = TOOLS.filter((t) => !existsSync(t));
  if (missing.length > 0) return `not run: Slurm is not installed (${missing.join(", ")} missing; apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return "not run: a private slurmd must run as root here";
  if (!existsSync(START_SERVER_MODULE)) return "not run: packages/cairn/dist is not built (npm run build)";
  return undefined;
}

export interface SlurmFigures {
  notes: string[];
  pending: PendingRow[];
}

export async function runSlurmWorkloads(options: { scratch: string; quick: boolean; log: (line: string) => void }): Promise<SlurmFigures> {
  const blocker = slurmBlocker();
  if (blocker !== undefined) {
    options.log(`slurm workloads: ${blocker}`);
    return { notes: [], pending: [{ workload: "slurm-job-start", reason: blocker }, { workload: "slurm-50-jobs", reason: blocker }] };
  }
  const dir = await mkdtemp(join(options.scratch, "slurm-"));
  const cluster = await startCluster(dir);
  const notes: string[] = [];
  const pending: PendingRow[] = [];
  try {
    const { loadConfig } = (await import(CONFIG_MODULE)) as { loadConfig(o: object, env: object): object };
    const { startServer } = (await import(START_SERVER_MODULE)) as { startServer(config: object): Promise<{ url: string; close(): Promise<void> }> };
    const config = loadConfig(
      { dataDir: join(dir, "cairn"), host: "127.0.0.1", port: 0, allowHostRuntime: true, adminPassword: ADMIN_PASSWORD, slurmConf: cluster.conf, maxParallelTasks: 64, dockerHost: undefined, dataKey: undefined },
      {},
    );
    const server = await startServer(config);
    try {
      const api = await new ApiClient(server.url).logIn(ADMIN_LOGIN, ADMIN_PASSWORD);
      const W = API_PREFIX;
      await api.call("POST", `${W}/groups`, 201, { id: "bench", users: [] });
      await api.call("POST", `${W}/groups/bench/systems`, 201, { id: "hpc", type: "slurm", host: "localhost", root_dir: join(dir, "jobs") });
      await api.call("POST", `${W}/groups/bench/apps`, 201, { id: "stamp", version: "1", command: ["sh", "-c", "date +%s.%N; sleep 1"], job_attributes: { exec_system_id: "hpc" } });

      // Task start to job running.
      const starts: number[] = [];
      const repeats = options.quick ? 3 : 7;
      await api.call("POST", `${W}/groups/bench/pipelines`, 201, { id: "one", tasks: [{ id: "job", type: "tapis_job", tapis_job_def: { appId: "stamp" } }] });
      for (let i = 0; i < repeats; i++) {
        const path = await startRun(api, "one");
        await waitForRun(api, path, 60_000);
        const [execution] = await api.call<{ uuid: string; started_at: string }[]>("GET", `${path}/executions`, 200);
        const log = await (await fetch(`${server.url}${path}/executions/${execution!.uuid}/logs`, { headers: api.headers })).text();
        const ran = Number(/^(\d+\.\d+)$/m.exec(log)?.[1]) * 1000;
        if (!Number.isFinite(ran)) throw new BenchError(`slurm-job-start: the job printed no time:\n${log}`);
        starts.push(ran - Date.parse(execution!.started_at));
        options.log(`slurm-job-start ${i + 1}/${repeats}: ${Math.round(starts.at(-1)!)} ms`);
        await sleep(300);
      }
      const sorted = [...starts].sort((a, b) => a - b);
      notes.push(
        `slurm-job-start: task start to job running on an idle single-node Slurm: median ${Math.round(percentile(sorted, 50))} ms, ` +
          `min ${Math.round(sorted[0]!)}, max ${Math.round(sorted.at(-1)!)} (${repeats} runs; Slurm schedules on a 1 s tick, infra-recipes.md 1)`,
      );

      // 50 one-second jobs: Cairn, then the plain sbatch loop, alternately.
      const jobs = options.quick ? 20 : 50;
      const rounds = options.quick ? 1 : 2;
      await api.call("POST", `${W}/groups/bench/apps`, 201, { id: "second", version: "1", command: ["sleep", "1"], job_attributes: { exec_system_id: "hpc" } });
      const tasks = Array.from({ length: jobs }, (_, i) => ({ id: `j${i}`, type: "tapis_job", tapis_job_def: { appId: "second" } }));
      await api.call("POST", `${W}/groups/bench/pipelines`, 201, { id: "many", tasks });
      const cairnMs: number[] = [];
      const loopMs: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const started = performance.now();
        const path = await startRun(api, "many");
        const status = await waitForRun(api, path, 600_000);
        if (status !== "succeeded") throw new BenchError(`slurm-50-jobs: the run ended ${status}`);
        cairnMs.push(performance.now() - started);
        loopMs.push(await sbatchLoop(cluster, dir, jobs));
        options.log(`slurm-${jobs}-jobs ${r + 1}/${rounds}: Cairn ${(cairnMs.at(-1)! / 1000).toFixed(2)} s, sbatch loop ${(loopMs.at(-1)! / 1000).toFixed(2)} s`);
      }
      const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
      const perJob = (median(cairnMs) - median(loopMs)) / jobs;
      notes.push(
        `slurm-${jobs}-jobs: ${jobs} one-second jobs (${NODE_CPUS} at once) as tapis_job tasks of one run ${(median(cairnMs) / 1000).toFixed(2)} s ` +
          `against an sbatch loop waiting for them with squeue ${(median(loopMs) / 1000).toFixed(2)} s: Cairn adds ${Math.round(perJob)} ms per job ` +
          `(target: at most 500 ms, ${perJob <= 500 ? "met" : "MISSED"}; median of ${rounds})`,
      );
    } finally {
      await server.close();
    }
  } catch (err) {
    const reason = `FAILED: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`;
    options.log(`slurm workloads: ${reason}`);
    pending.push({ workload: "slurm workloads", reason, failed: true });
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return { notes, pending };
}

async function startRun(api: ApiClient, pipeline: string): Promise<string> {
  const run = await api.call<{ uuid: string }>("POST", `${API_PREFIX}/groups/bench/pipelines/${pipeline}/events`, 201, {});
  return `${API_PREFIX}/groups/bench/pipelines/${pipeline}/runs/${run.uuid}`;
}

async function waitForRun(api: ApiClient, path: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await api.call<{ status: string }>("GET", path, 200);
    if (["succeeded", "failed", "cancelled"].includes(status)) return status;
    if (Date.now() > deadline) throw new BenchError(`${path} still ${status} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The baseline: sbatch each job, then poll squeue (every 100 ms) until none of them is left. */
async function sbatchLoop(cluster: Cluster, dir: string, jobs: number): Promise<number> {
  const started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < jobs; i++) {
    ids.push((await cluster.command("sbatch", ["--parsable", `--chdir=${dir}`, "--output=/dev/null", "--wrap", "sleep 1"])).trim());
  }
  for (;;) {
    const left = (await cluster.command("squeue", ["-h", "-j", ids.join(","), "-o", "%i"])).trim();
    if (left === "") return performance.now() - started;
    await sleep(100);
  }
}

interface Cluster {
  conf: string;
  command(tool: string, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** munged, slurmctld and slurmd in the foreground, on free ports, with everything under `dir`. */
async function startCluster(dir: string): Promise<Cluster> {
  await chmod(dir, 0o755);
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  };
  const munge = join(dir, "munge");
  await mkdir(munge, { mode: 0o755 });
  await writeFile(join(munge, "key"), randomBytes(1024), { mode: 0o600 });
  const socket = join(munge, "socket");
  children.push(spawn("/usr/sbin/munged", ["--foreground", "--force", `--socket=${socket}`, `--key-file=${join(munge, "key")}`, `--pid-file=${join(munge, "pid")}`, `--log-file=${join(munge, "log")}`, `--seed-file=${join(munge, "seed")}`], { stdio: "ignore" }));
  for (const sub of ["state", "spool", "log"]) await mkdir(join(dir, sub));
  const [ctld, slurmd] = await freePorts(2);
  const conf = join(dir, "slurm.conf");
  await writeFile(
    conf,
    [
      `ClusterName=bench${randomBytes(3).toString("hex")}`,
      "SlurmctldHost=localhost(127.0.0.1)",
      `SlurmctldPort=${ctld}`,
      `SlurmdPort=${slurmd}`,
      "SlurmUser=root",
      "SlurmdUser=root",
      "AuthType=auth/munge",
      `AuthInfo=socket=${socket}`,
      "CredType=cred/munge",
      `StateSaveLocation=${join(dir, "state")}`,
      `SlurmdSpoolDir=${join(dir, "spool")}`,
      `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
      `SlurmctldLogFile=${join(dir, "log", "slurmctld.log")}`,
      `SlurmdLogFile=${join(dir, "log", "slurmd.log")}`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core",
      "SchedulerType=sched/backfill",
      "SchedulerParameters=batch_sched_delay=0,sched_min_interval=0",
      "SlurmdParameters=config_overrides",
      "MinJobAge=3600",
      "MaxJobCount=100000",
      "ReturnToService=2",
      "MpiDefault=none",
      `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${NODE_CPUS} RealMemory=2000 State=UNKNOWN`,
      "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
    ].join("\n") + "\n",
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const command = async (tool: string, args: string[]) => (await run(tool, args, { env })).stdout;
  try {
    for (let i = 0; i < 100 && !(await run("munge", ["-S", socket, "-n"]).then(() => true, () => false)); i++) await sleep(50);
    children.push(spawn("/usr/sbin/slurmctld", ["-D"], { env, stdio: "ignore" }));
    children.push(spawn("/usr/sbin/slurmd", ["-D", "-N", "localhost"], { env, stdio: "ignore" }));
    for (let i = 0; ; i++) {
      if ((await command("sinfo", ["-h", "-o", "%T"]).catch(() => "")).trim() === "idle") break;
      if (i > 200) throw new BenchError("the private Slurm did not become idle within 20 s");
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { conf, command, stop };
}
