import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import yauzl from "yauzl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, ApiClient, startTestServer, type TestServer } from "../support/api-server.js";

/**
 * The client commands of the built `cairn` (login, apply, run GROUP/PIPELINE, runs,
 * logs, cancel, results, logout) against a real server on a loopback port, running real
 * containers. HOME and XDG_CONFIG_HOME point into a scratch folder, so the session file
 * is this test's own. Needs `npm run build` first (npm test does it).
 */

const repo = resolve(import.meta.dirname, "../..");
const bin = join(repo, "packages/cairn/bin/cairn.js");
const W = "/v3/workflows";
const RUN_UUID = /run ([0-9a-f-]{36})/;

let server: TestServer;
let scratch: string;
let admin: ApiClient;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end, with `input` on its standard input (a pipe, never a terminal). */
function cairn(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Result> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: scratch,
    env: { PATH: process.env.PATH, HOME: join(scratch, "home"), XDG_CONFIG_HOME: join(scratch, "config"), ...options.env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(options.input ?? "");
  return new Promise((done) => child.on("close", (code) => done({ code, stdout, stderr })));
}

async function file(name: string, content: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, content);
  return path;
}

function runUuidIn(text: string): string {
  const match = RUN_UUID.exec(text);
  if (!match) throw new Error(`no run uuid in: ${text}`);
  return match[1]!;
}

const HELLO = [
  "id: hello",
  "tasks:",
  "  - id: greet",
  "    type: container_run",
  "    image: localhost/busybox:test",
  `    command: ["sh", "-c", "echo \\"hello $NAME\\"; echo to-stderr >&2; echo done > /cairn/outputs/note"]`,
  "    input: { NAME: { type: string, value_from: { params: name } } }",
  "    output: { note: { type: string } }",
  "  - id: count",
  "    type: container_run",
  "    image: localhost/busybox:test",
  "    depends_on: [{ id: greet }]",
  `    command: ["sh", "-c", "for i in 1 2 3; do echo count $i; sleep 0.2; done"]`,
].join("\n");

beforeAll(async () => {
  server = await startTestServer();
  scratch = await mkdtemp(join(tmpdir(), "cairn-client-"));
  const token = await new ApiClient(server.url).post("/v3/oauth2/tokens", { username: "admin", password: ADMIN_PASSWORD, grant_type: "password" });
  admin = new ApiClient(server.url, token.body.result.access_token.access_token);
  expect((await admin.post(`${W}/groups`, { id: "lab" })).status).toBe(201);
});

afterAll(async () => {
  await server?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("cairn against a server", () => {
  let helloRun = "";

  it("logs in with the password on standard input, keeping the token in a file only its owner can read", async () => {
    const wrong = await cairn(["login", "--server", server.url, "--user", "admin"], { input: "not-the-password\n" });
    expect(wrong.stderr).toContain("refused the log-in: wrong login or password");
    expect(wrong.code).toBe(1);

    const r = await cairn(["login", "--server", server.url, "--user", "admin"], { input: `${ADMIN_PASSWORD}\n` });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`logged in to ${server.url} as admin`);
    expect(r.code).toBe(0);
    const sessionFile = join(scratch, "config", "cairn", "session.json");
    expect((await stat(sessionFile)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(sessionFile, "utf8"));
    expect(stored.current).toBe(server.url);
    // The stored token is a real one: the API accepts it.
    expect((await admin.as(stored.sessions[server.url].token).get(`${W}/groups/lab`)).status).toBe(200);
  });

  it("applies a YAML pipeline: creates it, then replaces it", async () => {
    const path = await file("hello.yaml", HELLO);
    const created = await cairn(["apply", path, "--group", "lab"]);
    expect(created.stdout).toContain("created pipeline 'hello' in group 'lab'");
    expect(created.code).toBe(0);
    const replaced = await cairn(["apply", path, "-g", "lab", "--json"]);
    expect(replaced.code).toBe(0);
    expect(JSON.parse(replaced.stdout)).toMatchObject({ action: "replaced", pipeline: { id: "hello", tasks: [{ id: "greet" }, { id: "count" }] } });
    expect((await admin.get(`${W}/groups/lab/pipelines/hello`)).body.result.tasks).toHaveLength(2);
  });

  it("lists an invalid pipeline's problems with their paths, and sends nothing", async () => {
    const path = await file("bad.yaml", "id: bad\ntasks:\n  - id: a\n    type: container_run\n    depends_on: [{ id: ghost }]\n");
    const r = await cairn(["apply", path, "--group", "lab"]);
    expect(r.stderr).toContain("tasks[0].image");
    expect(r.stderr).toContain("tasks[0].depends_on[0].id: unknown task 'ghost'");
    expect(r.code).toBe(2);
    expect((await admin.get(`${W}/groups/lab/pipelines/bad`)).status).toBe(404);
  });

  it("applies a TypeScript module that builds the pipeline with the SDK, and runs it", async () => {
    const applied = await cairn(["apply", join(repo, "test/cli/fixtures/sdk-pipeline.ts"), "--group", "lab"]);
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toContain("created pipeline 'from-sdk' in group 'lab'");
    const run = await cairn(["run", "lab/from-sdk", "--follow"]);
    expect(run.stdout).toMatch(/read\s+\| read from-sdk/);
    expect(run.code).toBe(0);
  });

  it("runs a pipeline and follows it live: task states, log lines in order, exit code 0", async () => {
    const r = await cairn(["run", "lab/hello", "--param", "name=world", "--follow"]);
    expect(r.stderr).toBe("");
    helloRun = runUuidIn(r.stdout);
    const lines = r.stdout.split("\n");
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    // Each attempt's lines sit between its start and its end; `count` starts after `greet` ended.
    expect(at(/▶ greet\s+running/)).toBeGreaterThan(0);
    expect(at(/greet\s+\| hello world/)).toBeGreaterThan(at(/▶ greet\s+running/));
    expect(at(/greet\s+! to-stderr/)).toBeGreaterThan(0);
    expect(at(/✔ greet\s+succeeded/)).toBeGreaterThan(at(/greet\s+\| hello world/));
    expect(at(/count\s+\| count 1/)).toBeGreaterThan(at(/✔ greet\s+succeeded/));
    expect(at(/count\s+\| count 3/)).toBeGreaterThan(at(/count\s+\| count 1/));
    expect(at(/✔ count\s+succeeded/)).toBeGreaterThan(at(/count\s+\| count 3/));
    expect(lines.at(-2)).toMatch(new RegExp(`^run ${helloRun} succeeded in`));
    expect(r.code).toBe(0);
    expect((await admin.get(`${W}/runs/${helloRun}`)).body.result).toMatchObject({ status: "succeeded", params: { name: "world" }, trigger: "cli" });
  });

  it("exits with 1 when the run fails, showing why", async () => {
    const path = await file("failing.yaml", 'id: failing\ntasks:\n  - id: boom\n    type: container_run\n    image: localhost/busybox:test\n    command: ["sh", "-c", "echo about to fail; exit 3"]\n');
    expect((await cairn(["apply", path, "--group", "lab"])).code).toBe(0);
    const r = await cairn(["run", "lab/failing", "-f"]);
    expect(r.stdout).toMatch(/boom\s+\| about to fail/);
    expect(r.stdout).toMatch(/✘ boom\s+failed in [\d.]+ s \[exit 3\] \(cpu [\d.]+ s, mem [\d.]+ \w+, io [\d.]+ \w+\)/);
    expect(r.stdout).toMatch(/run [0-9a-f-]{36} failed/);
    expect(r.code).toBe(1);
  });

  it("lists runs, newest first, as a table and as JSON lines", async () => {
    const table = await cairn(["runs", "lab/hello"]);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^RUN\s+PIPELINE\s+STATUS/);
    expect(table.stdout).toMatch(new RegExp(`${helloRun}\\s+lab/hello\\s+succeeded`));
    const all = await cairn(["runs", "--json"]);
    const runs = all.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(runs.map((r) => r.pipeline_id)).toEqual(expect.arrayContaining(["hello", "failing", "from-sdk"]));
    expect(runs.map((r) => r.created_at)).toEqual([...runs.map((r) => r.created_at)].sort().reverse());
  });

  it("prints a run's logs: one task as plain text, all tasks prefixed", async () => {
    const one = await cairn(["logs", helloRun, "greet"]);
    expect(one.stdout).toBe("hello world\nto-stderr\n");
    expect(one.code).toBe(0);
    const all = await cairn(["logs", helloRun]);
    expect(all.stdout).toMatch(/greet\s+\| hello world\n/);
    expect(all.stdout).toMatch(/count\s+\| count 2\n/);
    const missing = await cairn(["logs", helloRun, "nope"]);
    expect(missing.stderr).toContain("has no task 'nope'; its tasks: count, greet");
    expect(missing.code).toBe(1);
  });

  it("cancels a long run, which then ends cancelled", async () => {
    const path = await file("slow.yaml", 'id: slow\ntasks:\n  - id: sleeper\n    type: container_run\n    image: localhost/busybox:test\n    command: ["sh", "-c", "echo sleeping; sleep 120; echo woke"]\n');
    expect((await cairn(["apply", path, "--group", "lab"])).code).toBe(0);
    const started = await cairn(["run", "lab/slow"]);
    expect(started.code).toBe(0);
    const uuid = runUuidIn(started.stdout);
    // Wait for the container to be running and to have written its line.
    const deadline = Date.now() + 60_000;
    while (!(await cairn(["logs", uuid, "sleeper"])).stdout.includes("sleeping")) {
      if (Date.now() > deadline) throw new Error("the slow task never started");
      await new Promise((r) => setTimeout(r, 200));
    }
    const cancel = await cairn(["cancel", uuid]);
    expect(cancel.stdout).toContain(`run ${uuid}: Cancel requested`);
    expect(cancel.code).toBe(0);
    const followed = await cairn(["logs", uuid, "--follow"]);
    expect(followed.stdout).toMatch(/■ sleeper\s+cancelled/);
    expect(followed.stdout).not.toContain("woke");
    expect(followed.code).toBe(1);
    expect((await admin.get(`${W}/runs/${uuid}`)).body.result.status).toBe("cancelled");
  });

  it("retries a failed run: the task that succeeded is reused, the failed one runs again", async () => {
    const path = await file(
      "half.yaml",
      'id: half\ntasks:\n  - id: fine\n    type: container_run\n    image: localhost/busybox:test\n    command: ["true"]\n  - id: broken\n    type: container_run\n    image: localhost/busybox:test\n    depends_on: [{ id: fine }]\n    command: ["sh", "-c", "exit 3"]\n',
    );
    expect((await cairn(["apply", path, "--group", "lab"])).code).toBe(0);
    const first = runUuidIn((await cairn(["run", "lab/half"])).stdout);
    expect((await cairn(["logs", first, "--follow"])).code).toBe(1);
    const ok = await cairn(["retry", helloRun]);
    expect(ok.stderr).toContain("succeeded: there is nothing to retry");
    expect(ok.code).toBe(1);

    const r = await cairn(["retry", first]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`started: a retry of ${first}`);
    expect(r.code).toBe(0);
    const second = runUuidIn(r.stdout);
    expect((await cairn(["logs", second, "--follow"])).code).toBe(1);
    expect((await admin.get(`${W}/runs/${second}`)).body.result).toMatchObject({ status: "failed", retry_of: first, trigger: "retry" });
    const executions = async (run: string) => (await admin.get(`${W}/groups/lab/pipelines/half/runs/${run}/executions`)).body.result as Record<string, any>[];
    const fine = (await executions(first)).find((e) => e.task_id === "fine")!;
    const retried = await executions(second);
    expect(retried.find((e) => e.task_id === "fine")).toMatchObject({ status: "succeeded", reused_from: fine.uuid, image_digest: fine.image_digest });
    expect(retried.find((e) => e.task_id === "broken")).toMatchObject({ status: "failed", exit_code: 3, reused_from: null });
  });

  it("shows a run and re-runs it in full, taking an 8-character prefix of its id", async () => {
    const prefix = helloRun.slice(0, 8);
    const show = await cairn(["show", prefix]);
    expect(show.stderr).toBe("");
    expect(show.stdout).toContain(`run       ${helloRun}`);
    expect(show.stdout).toMatch(/greet\s+succeeded\s+1\s+0\s/);
    expect(show.stdout).toContain('greet.note = "done\\n"');
    const again = await cairn(["rerun", prefix]);
    expect(again.stdout).toContain(`started: a re-run of ${helloRun}`);
    expect(again.code).toBe(0);
    const rerun = runUuidIn(again.stdout);
    expect((await cairn(["logs", rerun.slice(0, 8), "--follow"])).code).toBe(0);
    expect((await admin.get(`${W}/runs/${rerun}`)).body.result).toMatchObject({ status: "succeeded", trigger: "rerun" });
  });

  it("downloads a run's results as a zip of its outputs and logs", async () => {
    const r = await cairn(["results", helloRun, "-o", "hello.zip"]);
    expect(r.stdout).toMatch(/wrote hello\.zip \(\d+ bytes\)/);
    expect(r.code).toBe(0);
    const entries = await unzip(join(scratch, "hello.zip"));
    expect(entries.get("greet/output/note")).toBe("done\n");
    expect(entries.get("greet/output/.stdout")).toBe("hello world\n");
    expect(entries.get("greet/output/.stderr")).toBe("to-stderr\n");
    expect(entries.get("count/output/.stdout")).toBe("count 1\ncount 2\ncount 3\n");
  });

  it("uses CAIRN_TOKEN instead of the stored session, and refuses a bad one plainly", async () => {
    const session = JSON.parse(await readFile(join(scratch, "config", "cairn", "session.json"), "utf8"));
    const token = session.sessions[server.url].token;
    const elsewhere = { XDG_CONFIG_HOME: join(scratch, "other-config"), CAIRN_SERVER: server.url };
    expect((await cairn(["runs", "lab/hello"], { env: elsewhere })).code).toBe(1);
    const withToken = await cairn(["runs", "lab/hello", "--json"], { env: { ...elsewhere, CAIRN_TOKEN: token } });
    expect(withToken.stdout).toContain(helloRun);
    const bad = await cairn(["runs"], { env: { ...elsewhere, CAIRN_TOKEN: "not-a-token" } });
    expect(bad.stderr).toContain("error: the token is not valid");
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(bad.code).toBe(1);
  });

  it("logs out: the token is revoked on the server and forgotten here", async () => {
    const token = JSON.parse(await readFile(join(scratch, "config", "cairn", "session.json"), "utf8")).sessions[server.url].token;
    const r = await cairn(["logout"]);
    expect(r.stdout).toContain(`logged out of ${server.url}`);
    expect(r.code).toBe(0);
    expect((await admin.as(token).get(`${W}/groups`)).status).toBe(401);
    const after = await cairn(["runs", "--server", server.url]);
    expect(after.stderr).toContain(`not logged in to ${server.url}: run \`cairn login --server ${server.url}\``);
    expect(after.code).toBe(1);
  });
});

async function unzip(path: string): Promise<Map<string, string>> {
  const zip = await new Promise<yauzl.ZipFile>((ok, fail) => yauzl.open(path, { lazyEntries: true }, (err, z) => (err ? fail(err) : ok(z!))));
  const entries = new Map<string, string>();
  await new Promise<void>((ok, fail) => {
    zip.on("entry", (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return fail(err);
        const chunks: Buffer[] = [];
        stream!.on("data", (c: Buffer) => chunks.push(c));
        stream!.on("end", () => {
          entries.set(entry.fileName, Buffer.concat(chunks).toString());
          zip.readEntry();
        });
      });
    });
    zip.on("end", () => ok());
    zip.on("error", fail);
    zip.readEntry();
  });
  return entries;
}
