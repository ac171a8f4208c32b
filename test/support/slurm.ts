import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePorts } from "./free-port.js";

/**
 * A private single-node Slurm cluster for tests (Debian's slurm-wlm 22.05 and munge;
 * ../shared/infra-recipes.md section 1), on private paths and ports so that test files
 * running side by side never share one:
 * - its own munged, with its own key and socket in the cluster's temp folder, rather than
 *   reusing one at /run/munge: a shared daemon is one another test may stop at any time,
 *   and a private key means no other cluster's credentials are accepted. slurm.conf points
 *   at it with `AuthInfo=socket=…`, and client commands read that from SLURM_CONF.
 * - slurmctld and slurmd in the foreground (-D) as children of the test, on free ports
 *   (SlurmctldPort/SlurmdPort, never 6817/6818), with StateSaveLocation, spool, logs and pid
 *   files under the temp folder; SlurmUser=root, so no folder needs another owner.
 * `stop()` kills the three daemons by pid, waits for them to exit and removes the folder.
 *
 *   const slurm = await startSlurm();
 *   execFile("sbatch", [...], { env: { ...process.env, ...slurm.env } });
 *   await slurm.stop();
 */

const run = promisify(execFile);
export const SLURMCTLD = "/usr/sbin/slurmctld";
export const SLURMD = "/usr/sbin/slurmd";
export const MUNGED = "/usr/sbin/munged";

export interface TestSlurm {
  dir: string;
  /** The cluster's slurm.conf; every client command (sbatch, squeue, scontrol, scancel) needs it. */
  slurmConf: string;
  /** `{ SLURM_CONF }`, for the environment of the processes that run client commands. */
  env: Record<string, string>;
  partition: string;
  /** Jobs slurmctld has ever accepted (its next job id minus one): proves a job was submitted once. */
  jobsSubmitted(): Promise<number>;
  /** Runs a client command against this cluster. */
  command(tool: string, args: string[]): Promise<string>;
  /** Stops the daemons by pid (waits for their exit) and removes the folder. */
  stop(): Promise<void>;
}

export async function startSlurm(options: { minJobAge?: number } = {}): Promise<TestSlurm> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-slurm-"));
  await chmod(dir, 0o755);
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  const stop = async () => {
    // slurmd first: it would otherwise keep trying to reach the controller.
    for (const child of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const munge = join(dir, "munge");
    await mkdir(munge, { mode: 0o755 });
    await writeFile(join(munge, "munge.key"), randomBytes(1024), { mode: 0o600 });
    const socket = join(munge, "munge.socket");
    children.push(
      daemon(MUNGED, [
        "--foreground",
        // munged refuses to run as root, or with a key in /tmp, without it.
        "--force",
        `--socket=${socket}`,
        `--key-file=${join(munge, "munge.key")}`,
        `--pid-file=${join(munge, "munged.pid")}`,
        `--log-file=${join(munge, "munged.log")}`,
        `--seed-file=${join(munge, "munged.seed")}`,
      ], logs),
    );
    await waitFor(async () => (await run("munge", ["-S", socket, "-n"]).then(() => true, () => false)), "munged", logs);

    for (const sub of ["state", "spool", "log"]) await mkdir(join(dir, sub));
    await chmod(join(dir, "log"), 0o1777);
    const [ctldPort, slurmdPort] = await freePorts(2);
    const slurmConf = join(dir, "slurm.conf");
    const partition = "debug";
    await writeFile(
      slurmConf,
      [
        `ClusterName=cairn${randomBytes(3).toString("hex")}`,
        "SlurmctldHost=localhost(127.0.0.1)",
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${slurmdPort}`,
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
        // No slurmdbd: sacct answers "accounting storage is disabled", as on many small clusters.
        "AccountingStorageType=accounting_storage/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core",
        "SchedulerType=sched/backfill",
        // Without it a job waits up to 3 s (batch_sched_delay) before it runs (infra-recipes.md 1).
        "SchedulerParameters=batch_sched_delay=0,sched_min_interval=0",
        `MinJobAge=${options.minJobAge ?? 3600}`,
        // A time limit is enforced on the next check; the default is every 30 s.
        "OverTimeLimit=0",
        "KillWait=2",
        "ReturnToService=2",
        "MpiDefault=none",
        "NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=2000 State=UNKNOWN",
        `PartitionName=${partition} Nodes=localhost Default=YES MaxTime=INFINITE State=UP`,
      ].join("\n") + "\n",
    );
    const env = { SLURM_CONF: slurmConf };
    const daemonEnv = { ...process.env, ...env };
    children.push(daemon(SLURMCTLD, ["-D"], logs, daemonEnv));
    // -N: the node's name whatever the machine's hostname.
    children.push(daemon(SLURMD, ["-D", "-N", "localhost"], logs, daemonEnv));
    const command = async (tool: string, args: string[]) => (await run(tool, args, { env: daemonEnv })).stdout;
    await waitFor(async () => (await command("sinfo", ["-h", "-o", "%T"]).catch(() => "")).trim() === "idle", "slurmctld and slurmd", logs);
    return {
      dir,
      slurmConf,
      env,
      partition,
      command,
      async jobsSubmitted() {
        // JobId of the next job, from the controller's own counters: counts every job, even ones purged already.
        const out = await command("scontrol", ["show", "config"]);
        const first = Number(/^FirstJobId\s*=\s*(\d+)/m.exec(out)?.[1] ?? 1);
        const next = Number(/^NEXT_JOB_ID\s*=\s*(\d+)/m.exec(out)?.[1]);
        return next - first;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function daemon(bin: string, args: string[], logs: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const keep = (chunk: Buffer) => logs.push(`${bin}: ${chunk.toString()}`);
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return child;
}

async function waitFor(ready: () => Promise<boolean>, what: string, logs: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not start within 20 s:\n${logs.join("").slice(-4000)}`);
}
