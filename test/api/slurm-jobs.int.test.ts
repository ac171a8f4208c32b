import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";
import { freePort } from "../support/free-port.js";
import { startSlurm, type TestSlurm } from "../support/slurm.js";
import { startSshd, type TestSshd } from "../support/sshd.js";

/**
 * tapis_job on a real single-node Slurm (test/support/slurm.ts) through a real Cairn
 * server: slurm systems checked at creation, apps, and jobs that succeed with outputs,
 * fail, run past max_exec_time, are cancelled, run in podman, and run over SSH.
 */

const W = "/v3/workflows";
/**
 * Each SSH command is a session whose shell reads the login user's ~/.bashrc; root's on
 * these machines runs `pyenv init`, 4-6 s per command. A HOME without one measures Cairn, not that.
 */
const FAST_LOGIN = `HOME=${tmpdir()}`;
let slurm: TestSlurm;
let server: TestServer;
let sshd: TestSshd;
let scratch: string;
let ada: ApiClient;

beforeAll(async () => {
  [slurm, scratch] = await Promise.all([startSlurm(), mkdtemp(join(tmpdir(), "cairn-slurm-jobs-"))]);
  sshd = await startSshd({ extraConfig: [`SetEnv SLURM_CONF=${slurm.slurmConf} ${FAST_LOGIN}`] });
  server = await startTestServer({ overrides: { slurmConf: slurm.slurmConf } });
  ada = await newUser(new ApiClient(server.url), "ada");
  expect((await ada.post(`${W}/groups`, { id: "lab", users: [] })).status).toBe(201);
  const system = await ada.post(`${W}/groups/lab/systems`, { id: "hpc", type: "slurm", host: "localhost", root_dir: join(scratch, "jobs"), partition: slurm.partition, container_runtime: "podman", scheduler_options: ["--nice=0"] });
  expect(system.status, system.text).toBe(201);
  const hello = await ada.post(`${W}/groups/lab/apps`, {
    id: "hello",
    version: "1",
    description: "greets, and writes an output",
    command: ["sh", "-c", 'echo "hello $WHO $1 from $SLURM_JOB_ID"; echo to-stderr >&2; cat inputs/GREETING; cat staged/greeting.txt; printf done > "$CAIRN_JOB_OUTPUTS/result"', "sh"],
    job_attributes: { exec_system_id: "hpc", max_minutes: 5, parameter_set: { env_variables: [{ key: "WHO", value: "app default" }] } },
  });
  expect(hello.status, hello.text).toBe(201);
  const shell = await ada.post(`${W}/groups/lab/apps`, { id: "shell", version: "1", command: ["sh", "-c"], job_attributes: { exec_system_id: "hpc" } });
  expect(shell.status, shell.text).toBe(201);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await sshd?.close();
  await slurm?.stop();
  await rm(scratch, { recursive: true, force: true });
});

function jobTask(def: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { id: "job", type: "tapis_job", tapis_job_def: def, ...extra };
}

async function runPipeline(id: string, tasks: unknown[], options: { wait?: boolean } = {}) {
  const created = await ada.post(`${W}/groups/lab/pipelines`, { id, tasks });
  expect(created.status, created.text).toBe(201);
  const run = (await ada.post(`${W}/groups/lab/pipelines/${id}/events`, {})).body.result;
  const path = `${W}/groups/lab/pipelines/${id}/runs/${run.uuid}`;
  const result = options.wait === false ? undefined : await waitForRun(ada, path, 90_000);
  return { path, result };
}

async function executionOf(path: string, task = "job") {
  const executions = (await ada.get(`${path}/executions`)).body.result as any[];
  const execution = executions.find((e) => e.task_id === task);
  const log = (await ada.get(`${path}/executions/${execution.uuid}/logs`)).text;
  return { execution, log };
}

/** The job's state once Slurm has finished ending it (COMPLETING lasts while its processes are killed). */
async function scontrolState(jobId: string): Promise<string> {
  for (let i = 0; ; i++) {
    const state = /JobState=(\S+)/.exec(await slurm.command("scontrol", ["show", "job", "-o", jobId]))![1]!;
    if (state !== "COMPLETING" || i > 100) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function untilRunning(path: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const { log } = await executionOf(path);
    const id = /Slurm job (\d+): RUNNING/.exec(log)?.[1];
    if (id) return id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the job never ran");
}

describe("slurm systems", () => {
  it("checks sbatch and squeue when a system is created, and names what failed", async () => {
    const got = (await ada.get(`${W}/groups/lab/systems/hpc`)).body.result;
    expect(got).toMatchObject({ type: "slurm", host: "localhost", partition: slurm.partition, container_runtime: "podman", scheduler_options: ["--nice=0"], identity_uuid: null });
    const noPartition = await ada.post(`${W}/groups/lab/systems`, { id: "nope", type: "slurm", host: "localhost", root_dir: scratch, partition: "nonesuch" });
    expect(noPartition.status).toBe(400);
    expect(noPartition.body.message).toMatch(/partition.*no partition 'nonesuch'/s);
    const reserved = await ada.post(`${W}/groups/lab/systems`, { id: "nope", type: "slurm", host: "localhost", root_dir: scratch, scheduler_options: ["--output=/etc/x"] });
    expect(reserved.status).toBe(400);
    expect(reserved.body.message).toContain("scheduler_options[0]");
    const key = await ada.post(`${W}/identities`, { type: "ssh", name: "slurm-key", credentials: { username: sshd.username, private_key: sshd.privateKey } });
    const unreachable = await ada.post(`${W}/groups/lab/systems`, { id: "nope", type: "slurm", host: "127.0.0.1", port: await freePort(), root_dir: "jobs", identity_uuid: key.body.result.uuid });
    expect(unreachable.status).toBe(400);
    expect(unreachable.body.message).toMatch(/host.*cannot reach the SSH server/s);
    // An SSH login node without Slurm's commands on its PATH.
    const noSlurm = await startSshd({ extraConfig: [`SetEnv PATH=/nonexistent ${FAST_LOGIN}`] });
    try {
      const its = await ada.post(`${W}/identities`, { type: "ssh", name: "no-slurm-key", credentials: { username: noSlurm.username, private_key: noSlurm.privateKey } });
      const res = await ada.post(`${W}/groups/lab/systems`, { id: "nope", type: "slurm", host: noSlurm.host, port: noSlurm.port, root_dir: "jobs", identity_uuid: its.body.result.uuid });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/sbatch --version failed/);
    } finally {
      await noSlurm.close();
    }
  });

  it("refuses an archive on a slurm system", async () => {
    const res = await ada.post(`${W}/groups/lab/archives`, { id: "nope", type: "system", system_id: "hpc", archive_dir: "a" });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/system_id.*slurm system/s);
  });
});

describe("apps", () => {
  it("creates, lists, gets and deletes versions; a version is immutable", async () => {
    expect((await ada.post(`${W}/groups/lab/apps`, { id: "tool", version: "1", command: ["true"] })).status).toBe(201);
    expect((await ada.post(`${W}/groups/lab/apps`, { id: "tool", version: "2", command: ["false"] })).status).toBe(201);
    expect((await ada.post(`${W}/groups/lab/apps`, { id: "tool", version: "1", command: ["other"] })).status).toBe(409);
    expect((await ada.get(`${W}/groups/lab/apps/tool`)).body.result).toMatchObject({ version: "2", command: ["false"], job_type: "BATCH", used_at: null });
    expect((await ada.get(`${W}/groups/lab/apps/tool/versions/1`)).body.result).toMatchObject({ version: "1", command: ["true"] });
    const list = (await ada.get(`${W}/groups/lab/apps`)).body.result as any[];
    expect(list.filter((a) => a.id === "tool").map((a) => a.version)).toEqual(["1", "2"]);
    expect((await ada.delete(`${W}/groups/lab/apps/tool/versions/2`)).status).toBe(200);
    expect((await ada.get(`${W}/groups/lab/apps/tool/versions/2`)).status).toBe(404);
    const unknownSystem = await ada.post(`${W}/groups/lab/apps`, { id: "x", version: "1", job_attributes: { exec_system_id: "nonesuch" } });
    expect(unknownSystem.status).toBe(400);
    expect(unknownSystem.body.message).toContain("job_attributes.exec_system_id");
  });

  it("refuses, when a pipeline is saved, unknown apps, versions, systems and fields, naming them", async () => {
    const refused = async (def: Record<string, unknown>) => {
      const res = await ada.post(`${W}/groups/lab/pipelines`, { id: "refused", tasks: [jobTask(def)] });
      expect(res.status).toBe(400);
      return res.body.message as string;
    };
    expect(await refused({ appId: "nonesuch" })).toMatch(/tasks\[0\]\.tapis_job_def\.appId: group 'lab' has no app 'nonesuch'/);
    expect(await refused({ appId: "hello", appVersion: "9" })).toMatch(/tapis_job_def\.appVersion: group 'lab' has no app 'hello' version '9'/);
    expect(await refused({ appId: "hello", execSystemId: "nonesuch" })).toMatch(/tapis_job_def\.execSystemId: group 'lab' has no system 'nonesuch'/);
    expect(await refused({ appId: "hello", archiveOnAppError: true })).toMatch(/archiveOnAppError/);
    expect(await refused({ appId: "hello", fileInputs: [{ sourceUrl: "input:NOPE", targetPath: "x" }] })).toMatch(/fileInputs\[0\]\.sourceUrl: 'input:NOPE' names no input/);
  });
});

describe("tapis_job", () => {
  it("submits, follows the job to success, streams its logs and makes outputs/ files task outputs", async () => {
    const { path, result } = await runPipeline("greet", [
      jobTask(
        {
          appId: "hello",
          appVersion: "1",
          name: "greeting job",
          parameterSet: { appArgs: [{ arg: "with args" }], envVariables: [{ key: "WHO", value: "the job" }] },
          fileInputs: [{ sourceUrl: "input:GREETING", targetPath: "staged/greeting.txt" }],
        },
        { input: { GREETING: { type: "string", value: "greetings from an input" } } },
      ),
    ]);
    const { execution, log } = await executionOf(path);
    expect(result.status, log).toBe("succeeded");
    expect(execution.outputs).toMatchObject({ result: "done", STATUS: "FINISHED" });
    const jobId = execution.outputs.SLURM_JOB_ID as string;
    expect(jobId).toMatch(/^\d+$/);
    expect(log).toContain(`hello the job with args from ${jobId}`);
    expect(log).toContain("to-stderr");
    expect(log.match(/greetings from an input/g)).toHaveLength(2);
    expect(log).toMatch(/Slurm job \d+: COMPLETED/);
    const shown = await slurm.command("scontrol", ["show", "job", "-o", jobId]);
    expect(shown).toContain(`JobName=cairn-${path.split("/").pop()}-job`);
    // The batch script, in the job folder under the system's root_dir.
    const script = await readFile(join(scratch, "jobs", path.split("/").pop()!, "job", "1", "job.sh"), "utf8");
    expect(script).toContain("#SBATCH --time=5");
    expect(script).toContain("#SBATCH --nice=0");
    // The app version was used: it is kept.
    expect((await ada.get(`${W}/groups/lab/apps/hello/versions/1`)).body.result.used_at).not.toBeNull();
    expect((await ada.delete(`${W}/groups/lab/apps/hello/versions/1`)).status).toBe(409);
  });

  it("fails the task when the job fails, with Slurm's state, reason and exit code", async () => {
    const { path, result } = await runPipeline("fails", [jobTask({ appId: "shell", parameterSet: { appArgs: [{ arg: "echo about to fail; exit 3" }] } })]);
    const { execution, log } = await executionOf(path);
    expect(result.status).toBe("failed");
    expect(execution.exit_code).toBe(3);
    expect(execution.message).toMatch(/Slurm job \d+ exited with code 3: FAILED \(NonZeroExitCode\)/);
    expect(log).toContain("about to fail");
    expect(execution.outputs).toEqual({ STATUS: "FAILED", SLURM_JOB_ID: expect.stringMatching(/^\d+$/) });
  });

  it("turns max_exec_time into --time and enforces it with scancel", async () => {
    const { path, result } = await runPipeline("too-long", [jobTask({ appId: "shell", parameterSet: { appArgs: [{ arg: "echo started; sleep 120" }] } }, { execution_profile: { max_exec_time: 3 } })]);
    const { execution, log } = await executionOf(path);
    expect(result.status).toBe("failed");
    expect(execution.status).toBe("timed_out");
    const jobId = /submitted Slurm job (\d+)/.exec(log)![1]!;
    expect(await scontrolState(jobId)).toBe("CANCELLED");
    expect(await slurm.command("scontrol", ["show", "job", "-o", jobId])).toMatch(/TimeLimit=00:01:00/);
  });

  it("cancels the job with scancel when the run is cancelled", async () => {
    const { path } = await runPipeline("cancel-me", [jobTask({ appId: "shell", parameterSet: { appArgs: [{ arg: "echo waiting; sleep 120" }] } })], { wait: false });
    const jobId = await untilRunning(path);
    expect((await ada.post(`${path}/cancel`)).status).toBe(200);
    expect((await waitForRun(ada, path, 30_000)).status).toBe("cancelled");
    expect(await scontrolState(jobId)).toBe("CANCELLED");
  });

  it("with poll: false, succeeds once the job is submitted", async () => {
    const { path, result } = await runPipeline("no-poll", [jobTask({ appId: "shell", parameterSet: { appArgs: [{ arg: "sleep 5" }] } }, { poll: false })]);
    const { execution } = await executionOf(path);
    expect(result.status).toBe("succeeded");
    expect(execution.outputs.SLURM_JOB_ID).toMatch(/^\d+$/);
    expect(["PENDING", "RUNNING", "CONFIGURING"]).toContain(execution.outputs.LAST_STATUS);
    await slurm.command("scancel", [execution.outputs.SLURM_JOB_ID]);
  });

  it("runs an app's container image through podman on the allocation", async () => {
    const app = await ada.post(`${W}/groups/lab/apps`, {
      id: "boxed",
      version: "1",
      container_image: "localhost/busybox:test",
      command: ["sh", "-c", 'echo "in a container: $(cat /proc/1/cmdline | tr "\\0" " ")"; echo boxed > "$CAIRN_JOB_OUTPUTS/where"'],
      job_attributes: { exec_system_id: "hpc" },
    });
    expect(app.status, app.text).toBe(201);
    const { path, result } = await runPipeline("boxed", [jobTask({ appId: "boxed" })]);
    const { execution, log } = await executionOf(path);
    expect(result.status, log).toBe("succeeded");
    expect(log).toContain("in a container: sh -c");
    expect(execution.outputs).toMatchObject({ where: "boxed\n", STATUS: "FINISHED" });
  });

  it("runs the same over SSH to a login node", async () => {
    const key = await ada.post(`${W}/identities`, { type: "ssh", name: "login-node", credentials: { username: sshd.username, private_key: sshd.privateKey } });
    const system = await ada.post(`${W}/groups/lab/systems`, {
      id: "remote",
      type: "slurm",
      host: sshd.host,
      port: sshd.port,
      host_key: sshd.hostKeySha256,
      identity_uuid: key.body.result.uuid,
      root_dir: join(scratch, "remote-jobs"),
    });
    expect(system.status, system.text).toBe(201);
    const { path, result } = await runPipeline("over-ssh", [
      jobTask({ appId: "shell", execSystemId: "remote", parameterSet: { appArgs: [{ arg: 'echo "over ssh in $PWD"; echo 42 > "$CAIRN_JOB_OUTPUTS/answer"' }] } }),
    ]);
    const { execution, log } = await executionOf(path);
    expect(result.status, log).toBe("succeeded");
    expect(log).toContain(`over ssh in ${join(scratch, "remote-jobs")}`);
    expect(log).toContain(`@${sshd.host}:${sshd.port}`);
    expect(execution.outputs).toMatchObject({ answer: "42\n", STATUS: "FINISHED" });
  });
});

describe("a restart of Cairn while a job runs", () => {
  const CLI = join(import.meta.dirname, "../../packages/cairn/bin/cairn.js");

  async function startCli(dataDir: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
    const env = { ...process.env, CAIRN_ADMIN_PASSWORD: "restart-admin-password", CAIRN_DATA_KEY: "", CAIRN_PORT: "", CAIRN_ALLOW_HOST_RUNTIME: "1", CAIRN_SLURM_CONF: slurm.slurmConf };
    const child = spawn(process.execPath, [CLI, "--data-dir", dataDir, "server", "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url) return { child, url, output: () => output };
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`cairn server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function admin(url: string): Promise<ApiClient> {
    const anon = new ApiClient(url);
    const login = await anon.post("/v3/oauth2/tokens", { username: "admin", password: "restart-admin-password", grant_type: "password" });
    expect(login.status, login.text).toBe(201);
    return anon.as(login.body.result.access_token.access_token);
  }

  it("follows the same job again, never submitting it twice (slurmctld's job count)", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "cairn-slurm-restart-"));
    let first: Awaited<ReturnType<typeof startCli>> | undefined;
    let second: Awaited<ReturnType<typeof startCli>> | undefined;
    try {
      first = await startCli(dataDir);
      const root = await admin(first.url);
      expect((await root.post(`${W}/groups`, { id: "ops", users: [] })).status).toBe(201);
      expect((await root.post(`${W}/groups/ops/systems`, { id: "hpc", type: "slurm", host: "localhost", root_dir: join(scratch, "restart-jobs") })).status).toBe(201);
      expect((await root.post(`${W}/groups/ops/apps`, { id: "slow", version: "1", command: ["sh", "-c", 'echo started; sleep 5; echo finished; echo survived > "$CAIRN_JOB_OUTPUTS/note"'], job_attributes: { exec_system_id: "hpc" } })).status).toBe(201);
      expect((await root.post(`${W}/groups/ops/pipelines`, { id: "slow", tasks: [jobTask({ appId: "slow" })] })).status).toBe(201);
      const before = await slurm.jobsSubmitted();
      const run = (await root.post(`${W}/groups/ops/pipelines/slow/events`, {})).body.result;
      const path = `${W}/groups/ops/pipelines/slow/runs/${run.uuid}`;
      let jobId: string | undefined;
      for (let i = 0; i < 300 && !jobId; i++) {
        const executions = (await root.get(`${path}/executions`)).body.result as any[];
        const log = executions[0] ? (await root.get(`${path}/executions/${executions[0].uuid}/logs`)).text : "";
        if (log.includes("started")) jobId = /Slurm job (\d+): RUNNING/.exec(log)?.[1];
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(jobId, "the job ran and wrote its first line").toBeDefined();
      first.child.kill("SIGKILL");
      await new Promise((r) => first!.child.once("exit", r));

      second = await startCli(dataDir);
      const again = await admin(second.url);
      const result = await waitForRun(again, path, 60_000);
      const executions = (await again.get(`${path}/executions`)).body.result as any[];
      const log = (await again.get(`${path}/executions/${executions[0].uuid}/logs`)).text;
      expect(result.status, log).toBe("succeeded");
      expect(executions).toHaveLength(1); // followed again, not retried
      expect(executions[0].outputs).toMatchObject({ note: "survived\n", STATUS: "FINISHED", SLURM_JOB_ID: jobId });
      expect(log).toContain(`following Slurm job ${jobId} again after a restart`);
      expect(log.match(/^started$/gm)).toHaveLength(1);
      expect(log.match(/^finished$/gm)).toHaveLength(1);
      expect(await slurm.jobsSubmitted()).toBe(before + 1);
      expect(await scontrolState(jobId!)).toBe("COMPLETED");
    } finally {
      for (const s of [first, second]) if (s && s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
