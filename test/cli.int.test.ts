import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../packages/cairn/src/store/create-store.js";
import { stopPodmanService } from "../packages/cairn/src/docker-api/engine-endpoint.js";

/**
 * The `cairn` command end to end: the built binary, real containers on a private
 * Podman service, a private data directory. Needs `npm run build` first (npm test does it).
 */

const repo = resolve(import.meta.dirname, "..");
const bin = join(repo, "packages/cairn/bin/cairn.js");
let scratch: string;
let podmanSocket: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cairn(args: string[], dataDir: string, extraEnv: Record<string, string> = {}): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH, HOME: scratch, CAIRN_DATA_DIR: dataDir, CAIRN_PODMAN_SOCKET: podmanSocket, ...extraEnv },
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<Result>((resolveDone) => child.on("close", (code) => resolveDone({ code, stdout, stderr })));
  return { child, done };
}

async function newDataDir(): Promise<string> {
  return mkdtemp(join(scratch, "data-"));
}

async function pipelineFile(name: string, content: string): Promise<string> {
  const file = join(scratch, name);
  await writeFile(file, content);
  return file;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "cairn-cli-"));
  podmanSocket = join(scratch, "podman", "podman.sock");
});

afterAll(async () => {
  await stopPodmanService(podmanSocket);
  await rm(scratch, { recursive: true, force: true });
});

describe("cairn validate", () => {
  it("accepts the example pipeline", async () => {
    const { done } = cairn(["validate", "examples/hello-pipeline.yaml"], await newDataDir());
    const r = await done;
    expect(r.stdout).toContain("valid pipeline 'hello-pipeline' with 4 task(s)");
    expect(r.code).toBe(0);
  });

  it("lists every problem with its path, and no stack trace", async () => {
    const file = await pipelineFile(
      "broken.json",
      JSON.stringify({
        id: "bad id!",
        tasks: [
          { id: "a", type: "container_run", depends_on: [{ id: "ghost" }] },
          { id: "a", type: "teleport" },
        ],
      }),
    );
    const r = await cairn(["validate", file], await newDataDir()).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("id:");
    expect(r.stderr).toContain("tasks[0].depends_on[0].id");
    expect(r.stderr).toContain("tasks[0].image");
    expect(r.stderr).toContain("tasks[1]");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports a YAML syntax error and a missing file plainly", async () => {
    const file = await pipelineFile("syntax.yaml", "id: x\ntasks: [\n  - {");
    const syntax = await cairn(["validate", file], await newDataDir()).done;
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/syntax\.yaml/);
    const missing = await cairn(["run", join(scratch, "nope.yaml")], await newDataDir()).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file");
  });
});

describe("cairn run", () => {
  it("runs the example pipeline in containers, passing outputs between tasks", async () => {
    const r = await cairn(["run", "examples/hello-pipeline.yaml", "--param", "greeting=hello"], await newDataDir()).done;
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("HELLO, RESEARCH COMPUTING (3 words)");
    // What a container used, on its end line. Not asked of one named task: a container
    // that ends within a reading of starting can end before its cgroup is read on a busy
    // machine (greet showed none in a clean-clone run beside other jobs; its three
    // siblings did), but every task's line without figures would mean usage is lost.
    expect(r.stdout).toMatch(/✔ \w+\s+succeeded in [\d.]+ s \(cpu [\d.]+ s, mem [\d.]+ \w+, io [\d.]+ \w+\)/);
    expect(r.stdout).toMatch(/run [0-9a-f-]{36} succeeded/);
    expect(r.code).toBe(0);
  });

  it("fails a task naming a missing parameter, with exit code 1", async () => {
    const r = await cairn(["run", "examples/hello-pipeline.yaml"], await newDataDir()).done;
    expect(r.stdout).toContain("input 'GREETING': the run parameter 'greeting' was not given");
    expect(r.stdout).toMatch(/⤼ shout\s+skipped/);
    expect(r.code).toBe(1);
  });

  it("fails clearly and quickly on an image that is not there", async () => {
    const file = await pipelineFile(
      "no-image.yaml",
      "id: no-image\ntasks:\n  - id: t\n    type: container_run\n    image: localhost/does-not-exist:1\n    command: \"true\"\n",
    );
    const r = await cairn(["run", file], await newDataDir()).done;
    expect(r.stdout).toContain("localhost/does-not-exist:1");
    expect(r.stdout).toMatch(/✘ t\s+failed/);
    expect(r.code).toBe(1);
  });

  it("runs function tasks on the host runtime", async () => {
    const code = Buffer.from('echo "sum=$((A + 2))" | tee "$CAIRN_OUTPUTS_DIR/sum"').toString("base64");
    const file = await pipelineFile(
      "host.yaml",
      [
        "id: on-host",
        "execution_profile: { runtime: host }",
        "tasks:",
        "  - id: add",
        "    type: function",
        "    runtime: bash",
        `    code: ${code}`,
        "    input: { A: { type: number, value: 40 } }",
        "    output: { sum: { type: string } }",
      ].join("\n"),
    );
    const r = await cairn(["run", file], await newDataDir()).done;
    expect(r.stdout).toContain("sum=42");
    expect(r.code).toBe(0);
  });
});

describe("restart safety", () => {
  it("finishes a run after the process is killed with SIGKILL, re-attaching to its container", async () => {
    const dataDir = await newDataDir();
    const file = await pipelineFile(
      "slow.yaml",
      [
        "id: slow",
        "tasks:",
        "  - id: long",
        "    type: container_run",
        "    image: localhost/busybox:test",
        `    command: ["sh", "-c", "echo started; sleep 3; echo survived > /cairn/outputs/note; echo finished"]`,
        "    output: { note: { type: string } }",
        "  - id: after",
        "    type: container_run",
        "    image: localhost/busybox:test",
        "    depends_on: [{ id: long }]",
        `    command: ["sh", "-c", "echo after saw $NOTE"]`,
        "    input: { NOTE: { type: string, value_from: { task_output: { task_id: long, output_id: note } } } }",
      ].join("\n"),
    );
    const first = cairn(["run", file], dataDir);
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error("the task never started")), 60_000);
      first.child.stdout!.on("data", (d: Buffer) => {
        // The task's own line, not the run's "started (1 tasks)".
        if (d.toString().includes("| started")) {
          clearTimeout(timer);
          ready();
        }
      });
    });
    // Let the "started" line reach the database (logs are flushed within 100 ms).
    await new Promise((r) => setTimeout(r, 300));
    first.child.kill("SIGKILL");
    await first.done;

    const resumed = await cairn(["resume"], dataDir).done;
    expect(resumed.stdout).toContain("after saw survived");
    expect(resumed.stdout).toMatch(/run [0-9a-f-]{36} succeeded/);
    expect(resumed.code).toBe(0);

    const store = await createStore({ sqlitePath: join(dataDir, "cairn.db") });
    try {
      const [run] = await store.listRuns();
      expect(run!.status).toBe("succeeded");
      const executions = await store.listExecutions(run!.uuid);
      const long = executions.filter((e) => e.taskId === "long");
      expect(long).toHaveLength(1); // followed again, not retried
      expect(long[0]).toMatchObject({ status: "succeeded", exitCode: 0, outputs: { note: "survived\n" } });
      // The resumed attempt records the exact image it ran, as a first attempt does.
      const imageId = execFileSync("podman", ["image", "inspect", "--format", "{{.Id}}", "localhost/busybox:test"], { encoding: "utf8" }).trim();
      expect(long[0]!.imageDigest).toBe(imageId.startsWith("sha256:") ? imageId : `sha256:${imageId}`);
      const lines = (await store.readLogs(long[0]!.uuid)).map((l) => l.line);
      expect(lines.filter((l) => l === "started")).toHaveLength(1);
      expect(lines.filter((l) => l === "finished")).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
