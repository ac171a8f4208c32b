import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";

/**
 * The quickstart of the Tapis Workflows documentation, run with curl as written there:
 * only the base URL and the placeholders are replaced, and the pipeline's image build
 * (a later issue) is a container task. The archive lands on a `local` system, which the
 * quickstart assumes exists ("some Tapis System"); creating it is the one Cairn-specific call.
 */

const run = promisify(execFile);

const GROUP = { id: "quickstart", users: [{ username: "bea", is_admin: true }] };
const GITHUB_IDENTITY = {
  type: "github",
  name: "my-github-identity",
  description: "My github identity",
  credentials: { username: "ada-on-github", personal_access_token: "ghp_quickstartSecretToken123" },
};
const DOCKERHUB_IDENTITY = {
  type: "dockerhub",
  name: "my-dockerhub-identity",
  description: "My Dockerhub identity",
  credentials: { username: "ada-on-dockerhub", token: "dckr_pat_quickstartSecret456" },
};
const SYSTEM = { id: "my-local-system", type: "local", root_dir: "quickstart" };
// As in the quickstart, with <your-tapis-system-id> filled in.
const ARCHIVE = { id: "my-sample-archive", type: "system", system_id: "my-local-system", archive_dir: "/workflows/archive/" };
const PIPELINE = {
  id: "my-sample-workflow",
  archives: ["my-sample-archive"],
  tasks: [{ id: "my-image-build", type: "container_run", image: "localhost/busybox:test", command: ["sh", "-c", "echo built | tee /cairn/outputs/result"], output: { result: { type: "string" } } }],
};

// Verbatim from tapis-workflows.txt, with https://tacc.tapis.io as $BASE and <group_id>, <pipeline_id> filled in.
const QUICKSTART = [
  'curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/groups -d @group.json',
  'curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/identities -d @github-identity.json',
  'curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/identities -d @dockerhub-identity.json',
  // Cairn's own call: the system the archive writes to.
  'curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/groups/quickstart/systems -d @system.json',
  'curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/groups/quickstart/archives -d @archive.json',
  'curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/groups/quickstart/pipelines -d @pipeline.json',
  'curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/groups/quickstart/pipelines/my-sample-workflow/events -d "{}"',
];

describe("the Tapis Workflows quickstart, with curl", () => {
  let server: TestServer;
  let dir: string;
  let ada: ApiClient;

  beforeAll(async () => {
    server = await startTestServer();
    ada = await newUser(new ApiClient(server.url), "ada");
    dir = await mkdtemp(join(tmpdir(), "cairn-quickstart-"));
    await writeFile(join(dir, "group.json"), JSON.stringify(GROUP, null, 2));
    await writeFile(join(dir, "github-identity.json"), JSON.stringify(GITHUB_IDENTITY, null, 2));
    await writeFile(join(dir, "dockerhub-identity.json"), JSON.stringify(DOCKERHUB_IDENTITY, null, 2));
    await writeFile(join(dir, "system.json"), JSON.stringify(SYSTEM, null, 2));
    await writeFile(join(dir, "archive.json"), JSON.stringify(ARCHIVE, null, 2));
    await writeFile(join(dir, "pipeline.json"), JSON.stringify(PIPELINE, null, 2));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("creates the group, both identities, the archive and the pipeline, runs it, and archives its results", async () => {
    const answers = [];
    for (const line of QUICKSTART) {
      const { stdout } = await run("bash", ["-c", `${line} -s`], { cwd: dir, env: { ...process.env, BASE: server.url, JWT: ada.token! } });
      answers.push(JSON.parse(stdout));
    }
    for (const [i, answer] of answers.entries()) expect(answer, QUICKSTART[i]).toMatchObject({ success: true, status: 201 });
    const [group, github, dockerhub, , archive, pipeline, event] = answers;
    expect(group.result).toMatchObject({ id: "quickstart", owner: "ada" });
    expect(group.result.users.map((u: { username: string }) => u.username).sort()).toEqual(["ada", "bea"]);
    for (const identity of [github, dockerhub]) {
      expect(identity.result.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.stringify(identity)).not.toMatch(/Secret|credentials/);
    }
    expect(archive.result).toMatchObject({ id: "my-sample-archive", type: "system", system_id: "my-local-system", archive_dir: "/workflows/archive/" });
    expect(pipeline.result.id).toBe("my-sample-workflow");

    const runPath = `/v3/workflows/groups/quickstart/pipelines/my-sample-workflow/runs/${event.result.uuid}`;
    expect(await waitForRun(ada, runPath)).toMatchObject({ status: "succeeded", started_by: "ada" });
    const executions = await ada.get(`${runPath}/executions`);
    expect(executions.body.result).toEqual([expect.objectContaining({ task_id: "my-image-build", status: "succeeded", outputs: { result: "built\n" } })]);

    // "/workflows/archive/<UUID of the pipeline run>/my-image-build/output/.stdout" under the system's root_dir.
    const deadline = Date.now() + 30_000;
    let archives = await ada.get(`${runPath}/archives`);
    while (archives.body.result[0]?.status !== "done" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      archives = await ada.get(`${runPath}/archives`);
    }
    expect(archives.body.result).toEqual([expect.objectContaining({ archive_id: "my-sample-archive", status: "done" })]);
    // CAIRN_LOCAL_SYSTEMS_ROOT/GROUP/ROOT_DIR/ARCHIVE_DIR/RUN/TASK/output
    const output = join(server.config.localSystemsRoot, "quickstart/quickstart/workflows/archive", event.result.uuid, "my-image-build/output");
    expect((await readdir(output)).sort()).toEqual([".stderr", ".stdout", "result"]);
    expect(await readFile(join(output, ".stdout"), "utf8")).toBe("built\n");
    expect(await readFile(join(output, "result"), "utf8")).toBe("built\n");
  });
});
