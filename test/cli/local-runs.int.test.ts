import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zipTexts } from "../support/zip-entries.js";

/**
 * The run commands on local runs, end to end: the built binary (`npm run build` first),
 * a private data dir and HOME (so no server session), host-runtime function tasks. What
 * `cairn run FILE` prints as its run id is usable afterwards by runs, logs, show,
 * results, rerun, retry and cancel, in full or as an 8-character prefix.
 */

const repo = resolve(import.meta.dirname, "../..");
const bin = join(repo, "packages/cairn/bin/cairn.js");
let scratch: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cairn(args: string[], dataDir: string): { child: ChildProcess; done: Promise<Result>; output: () => string } {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: scratch,
    env: { PATH: process.env.PATH, HOME: scratch, XDG_CONFIG_HOME: join(scratch, "config"), CAIRN_DATA_DIR: dataDir },
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<Result>((resolveDone) => child.on("close", (code) => resolveDone({ code, stdout, stderr })));
  return { child, done, output: () => stdout };
}

const run = (args: string[], dataDir: string) => cairn(args, dataDir).done;

/** A host-runtime bash function task. */
function bashTask(id: string, script: string, extra: string[] = []): string[] {
  return [`  - id: ${id}`, "    type: function", "    runtime: bash", `    code: ${Buffer.from(script).toString("base64")}`, ...extra];
}

async function pipelineFile(name: string, lines: string[]): Promise<string> {
  const file = join(scratch, name);
  await writeFile(file, [`id: ${name.replace(/\.yaml$/, "")}`, "execution_profile: { runtime: host }", "tasks:", ...lines].join("\n") + "\n");
  return file;
}

const runIdOf = (stdout: string) => /run ([0-9a-f-]{36}) of pipeline/.exec(stdout)?.[1] ?? "";

async function waitFor(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "cairn-local-runs-"));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("run commands on local runs", () => {
  it("runs, logs, show, results and rerun take a local run's id or its 8-character prefix", async () => {
    const dataDir = await mkdtemp(join(scratch, "data-"));
    const file = await pipelineFile("sum.yaml", bashTask("add", 'echo "sum=$((40 + 2))"; echo -n 42 > "$CAIRN_OUTPUTS_DIR/sum"', ["    output: { sum: { type: string } }"]));
    const first = await run(["run", file], dataDir);
    expect(first.code).toBe(0);
    const uuid = runIdOf(first.stdout);
    const prefix = uuid.slice(0, 8);

    const runs = await run(["runs"], dataDir);
    expect(runs.stderr).toBe("");
    expect(runs.stdout).toMatch(new RegExp(`${uuid}\\s+local/sum\\s+succeeded`));
    expect(runs.code).toBe(0);

    const logs = await run(["logs", prefix], dataDir);
    expect(logs.stdout).toMatch(/add\s+\| sum=42/);
    expect(logs.code).toBe(0);
    expect((await run(["logs", prefix, "add"], dataDir)).stdout).toBe("sum=42\n");

    const show = await run(["show", prefix], dataDir);
    expect(show.stdout).toContain(`run       ${uuid}`);
    expect(show.stdout).toContain("pipeline  local/sum");
    expect(show.stdout).toMatch(/add\s+succeeded\s+1\s+0\s/);
    expect(show.stdout).toContain('add.sum = "42"');

    const zip = join(scratch, "sum.zip");
    const results = await run(["results", prefix, "-o", zip], dataDir);
    expect(results.stdout).toMatch(/wrote .*sum\.zip/);
    const entries = await zipTexts(await readFile(zip));
    expect(entries.get("add/output/sum")).toBe("42");
    expect(entries.get("add/output/.stdout")).toBe("sum=42\n");

    const again = await run(["rerun", prefix], dataDir);
    expect(again.stdout).toContain("a re-run");
    expect(again.stdout).toContain("sum=42");
    expect(again.code).toBe(0);
    const json = await run(["--json", "runs"], dataDir);
    const listed = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as { uuid: string; trigger: string | null });
    expect(listed).toHaveLength(2);
    expect(listed[0]!.trigger).toBe("rerun");
    expect(listed[1]!.uuid).toBe(uuid);
  });

  it("retry reuses the tasks that succeeded and runs the failed one again", async () => {
    const dataDir = await mkdtemp(join(scratch, "data-"));
    const marker = join(scratch, "retry-marker");
    const file = await pipelineFile("flaky.yaml", [
      ...bashTask("first", 'echo "first ran"'),
      ...bashTask("second", `test -f ${marker} || { echo "no marker" >&2; exit 3; }; echo "second ran"`, ["    depends_on: [{ id: first }]"]),
    ]);
    const failed = await run(["run", file], dataDir);
    expect(failed.code).toBe(1);
    const prefix = runIdOf(failed.stdout).slice(0, 10);
    await writeFile(marker, "");
    const retried = await run(["retry", prefix], dataDir);
    expect(retried.stdout).toContain(`a retry of ${runIdOf(failed.stdout)}`);
    expect(retried.stdout).toContain("second ran");
    expect(retried.stdout).not.toContain("first ran");
    expect(retried.code).toBe(0);
  });

  it("cancel stops a local run that another `cairn run` is running, and logs --follow follows it to its end", async () => {
    const dataDir = await mkdtemp(join(scratch, "data-"));
    const file = await pipelineFile("slow.yaml", bashTask("wait", 'echo "waiting"; sleep 60'));
    const running = cairn(["run", file], dataDir);
    await waitFor(() => running.output().includes("| waiting"));
    const uuid = runIdOf(running.output());
    const follower = cairn(["logs", uuid.slice(0, 8), "--follow"], dataDir);
    await waitFor(() => follower.output().includes("waiting"));

    const started = Date.now();
    const cancel = await run(["cancel", uuid.slice(0, 8)], dataDir);
    expect(cancel.stdout).toContain(`run ${uuid}: Cancel requested`);
    expect(cancel.code).toBe(0);
    const ended = await running.done;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ended.stdout).toMatch(/■ wait\s+cancelled/);
    expect(ended.stdout).toContain(`run ${uuid} cancelled`);
    expect(ended.code).toBe(1);
    const followed = await follower.done;
    expect(followed.stdout).toContain(`run ${uuid} cancelled`);
    expect(followed.code).toBe(1);
    const again = await run(["cancel", uuid], dataDir);
    expect(again.stdout).toContain("The run had ended already (cancelled)");
  });

  it("refuses a prefix shorter than 8 characters, and names the data dir for an unknown run", async () => {
    const dataDir = await mkdtemp(join(scratch, "data-"));
    await run(["run", await pipelineFile("one.yaml", bashTask("t", "true"))], dataDir);
    const short = await run(["logs", "abc1234"], dataDir);
    expect(short.stderr).toContain("expected a run's uuid or its first 8 or more characters");
    expect(short.code).toBe(2);
    const unknown = await run(["show", "ffffffff"], dataDir);
    expect(unknown.stderr).toContain(`run 'ffffffff' is not in the data dir ${dataDir}, and not logged in to`);
    expect(unknown.code).toBe(1);
  });
});
