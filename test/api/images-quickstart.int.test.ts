import { execFile, execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";
import { parseEgressAllow } from "../../packages/cairn/src/net/egress-allow.js";
import { startGitServer, type TestGitServer } from "../support/git-server.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

/** Lowercase RFC 4648 base32 without padding: how images/image-namespace.ts spells an id that is not a plain path component, after `x--`. */
function base32(id: string): string {
  const bits = [...Buffer.from(id, "utf8")].map((b) => b.toString(2).padStart(8, "0")).join("");
  return (bits.match(/.{1,5}/g) ?? []).map((chunk) => "abcdefghijklmnopqrstuvwxyz234567"[parseInt(chunk.padEnd(5, "0"), 2)]).join("");
}

/**
 * Acceptance of the "Images" issue: the Tapis Workflows quickstart with its curl
 * commands, and the pipeline as the quickstart writes it (one image_build task from a
 * private GitHub repository pushed to Docker Hub), pointed at a local git server and a
 * local registry by configuration only (CAIRN_GITHUB_URL, CAIRN_DOCKERHUB_REGISTRY,
 * CAIRN_INSECURE_REGISTRIES). Then the catalog and provenance of what it built, and a
 * bad-image re-run.
 */

const run = promisify(execFile);
const BASE_IMAGE = "localhost/busybox:test";
/** The engine namespaces of this file's groups and personal spaces (images/image-namespace.ts), removed at the end. */
const OUR_NAMESPACES = ["localhost/cairn/quickstart/", "localhost/cairn/iso-a/", "localhost/cairn/iso-b/", "localhost/cairn/u--ada/", "localhost/cairn/u--casefold/", `localhost/cairn/x--${base32("~Casefold")}/`];

let git: TestGitServer;
let registry: TestRegistry;
let server: TestServer;
let dir: string;
let ada: ApiClient;
let commit: string;

beforeAll(async () => {
  [git, registry] = await Promise.all([startGitServer({ username: "ada-on-github" }), startRegistry({ username: "ada-on-dockerhub" })]);
  commit = await git.createRepo("ada/tools", { "src/Dockerfile": `FROM ${BASE_IMAGE}\nRUN echo tool-v1 > /version\nCMD ["cat", "/version"]\n` }, { private: true });
  // The git server and registry count as allowed egress because they are configured; 127.0.0.1:9 (no one listens) is listed as an operator would.
  server = await startTestServer({ overrides: { githubUrl: git.url, dockerhubRegistry: registry.host, insecureRegistries: [registry.host], egressAllow: parseEgressAllow("127.0.0.1:9") } });
  ada = await newUser(new ApiClient(server.url), "ada");
  dir = await mkdtemp(join(tmpdir(), "cairn-images-quickstart-"));
});

afterAll(async () => {
  await server?.close();
  const names = execFileSync("podman", ["images", "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8" })
    .split("\n")
    .filter((n) => (registry && n.startsWith(`${registry.host}/`)) || OUR_NAMESPACES.some((prefix) => n.startsWith(prefix)));
  if (names.length > 0) execFileSync("podman", ["rmi", "--force", ...names], { stdio: "ignore" });
  await Promise.all([git?.close(), registry?.close(), dir && rm(dir, { recursive: true, force: true })]);
});

const curl = async (line: string) => {
  const { stdout } = await run("bash", ["-c", `${line} -s`], { cwd: dir, env: { ...process.env, BASE: server.url, JWT: ada.token! } });
  return JSON.parse(stdout);
};

/** A run's pipeline as the store holds it. */
function storedPipeline(runUuid: string): any {
  const db = new Database(join(server.dataDir, "cairn.db"), { readonly: true });
  try {
    return JSON.parse((db.prepare("SELECT pipeline FROM runs WHERE uuid = ?").get(runUuid) as { pipeline: string }).pipeline);
  } finally {
    db.close();
  }
}

describe("the quickstart's image build, with curl", () => {
  let runPath: string;
  let digest: string;
  let imageId: string;

  it("builds the private repository's Dockerfile and pushes it, and the registry holds the digest Cairn recorded", async () => {
    await writeFile(join(dir, "group.json"), JSON.stringify({ id: "quickstart", users: [{ username: "bea", is_admin: true }] }));
    await writeFile(join(dir, "github-identity.json"), JSON.stringify({ type: "github", name: "my-github-identity", description: "My github identity", credentials: { username: git.username, personal_access_token: git.password } }));
    await writeFile(join(dir, "dockerhub-identity.json"), JSON.stringify({ type: "dockerhub", name: "my-dockerhub-identity", description: "My Dockerhub identity", credentials: { username: registry.username, token: registry.password } }));
    await writeFile(join(dir, "system.json"), JSON.stringify({ id: "my-local-system", type: "local", root_dir: "quickstart" }));
    await writeFile(join(dir, "archive.json"), JSON.stringify({ id: "my-sample-archive", type: "system", system_id: "my-local-system", archive_dir: "/workflows/archive/" }));
    const [group, github, dockerhub, system, archive] = [
      await curl('curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/groups -d @group.json'),
      await curl('curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/identities -d @github-identity.json'),
      await curl('curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/identities -d @dockerhub-identity.json'),
      await curl('curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/groups/quickstart/systems -d @system.json'),
      await curl('curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/groups/quickstart/archives -d @archive.json'),
    ];
    for (const answer of [group, github, dockerhub, system, archive]) expect(answer).toMatchObject({ success: true, status: 201 });

    // The quickstart's pipeline.json, placeholders filled in.
    const pipeline = {
      id: "my-sample-workflow",
      archives: ["my-sample-archive"],
      tasks: [
        {
          id: "my-image-build",
          type: "image_build",
          builder: "kaniko",
          context: { branch: "main", build_file_path: "src/Dockerfile", sub_path: null, type: "github", url: "ada/tools", visibility: "private", identity_uuid: github.result.uuid },
          destination: { tag: "v1", type: "dockerhub", url: "ada/tools", identity_uuid: dockerhub.result.uuid },
        },
      ],
    };
    await writeFile(join(dir, "pipeline.json"), JSON.stringify(pipeline, null, 2));
    expect(await curl('curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/groups/quickstart/pipelines -d @pipeline.json')).toMatchObject({ success: true, status: 201 });
    const event = await curl('curl -X POST -H "content-type: application/json" -H "X-Tapis-Token: $JWT" $BASE/v3/workflows/groups/quickstart/pipelines/my-sample-workflow/events -d "{}"');
    expect(event).toMatchObject({ success: true, status: 201 });

    runPath = `/v3/workflows/groups/quickstart/pipelines/my-sample-workflow/runs/${event.result.uuid}`;
    const finished = await waitForRun(ada, runPath, 120_000);
    const executions = (await ada.get(`${runPath}/executions`)).body.result;
    expect(finished.status, JSON.stringify(executions)).toBe("succeeded");
    const [build] = executions;
    digest = build.outputs.digest;
    imageId = build.outputs.image_id;
    expect(build.outputs).toMatchObject({ image: `${registry.host}/ada/tools:v1`, tag: "v1", digest: expect.stringMatching(/^sha256:/) });
    expect(await registry.manifestDigest("ada/tools", "v1")).toBe(digest);
    expect(build.image_digest).toBe(imageId);

    const log = (await ada.get(`${runPath}/executions/${build.uuid}/logs`)).text;
    expect(log).toContain(`at ${commit}`);
    expect(log).not.toContain(git.password);
    expect(log).not.toContain(registry.password);
  });

  it("keeps the image in the catalog with its recipe and commit, and resolves it by tag and by either digest", async () => {
    const listed = (await ada.get(`/v3/workflows/groups/quickstart/images?commit=${commit.slice(0, 7)}`)).body.result;
    expect(listed).toEqual([
      expect.objectContaining({
        digest: imageId,
        origin: "built",
        builder: "kaniko",
        engine: expect.stringMatching(/^Podman Engine \d/),
        architecture: expect.any(String),
        os: "linux",
        names: expect.arrayContaining([`${registry.host}/ada/tools:v1`, `${registry.host}/ada/tools@${digest}`]),
        recipe: expect.objectContaining({ source: "git", git_url: `${git.url}/ada/tools.git`, branch: "main", commit, dockerfile: "src/Dockerfile", dockerfile_sha256: expect.stringMatching(/^sha256:/) }),
      }),
    ]);
    for (const ref of [`${registry.host}/ada/tools:v1`, digest, imageId]) {
      expect((await ada.get(`/v3/workflows/groups/quickstart/images/resolve?ref=${encodeURIComponent(ref)}`)).body.result.digest, ref).toBe(imageId);
    }
    expect((await ada.get(`/v3/workflows/groups/quickstart/images/resolve?ref=nothing:here`)).status).toBe(404);
    const bad = await ada.get(`/v3/workflows/groups/quickstart/images/not-a-digest`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("must be an image digest");
  });

  it("answers the chain run -> task -> image -> recipe -> commit, and the executions that used the image", async () => {
    const provenance = (await ada.get(`${runPath}/provenance`)).body.result;
    expect(provenance.tasks).toEqual([
      expect.objectContaining({ task_id: "my-image-build", status: "succeeded", image_digest: imageId, image: expect.objectContaining({ recipe: expect.objectContaining({ commit }) }) }),
    ]);
    const image = (await ada.get(`/v3/workflows/groups/quickstart/images/${imageId}`)).body.result;
    expect(image.uses).toEqual([expect.objectContaining({ task_id: "my-image-build", pipeline_id: "my-sample-workflow", status: "succeeded" })]);
    const engine = (await ada.get("/v3/workflows/engine")).body.result;
    expect(engine).toMatchObject({ name: "Podman Engine", os: "linux", arch: expect.any(String), version: expect.stringMatching(/^\d/) });
  });

  it("marks the image bad and re-runs what it made from the latest commit, the new run superseding the old", async () => {
    const fixed = await git.commit("ada/tools", { "src/Dockerfile": `FROM ${BASE_IMAGE}\nRUN echo tool-v2 > /version\nCMD ["cat", "/version"]\n` }, { message: "fix the tool" });
    const marked = await ada.post(`/v3/workflows/groups/quickstart/images/${imageId}/bad`, { reason: "prints the wrong version" });
    expect(marked.status).toBe(200);
    expect(marked.body.result.image.bad).toMatchObject({ reason: "prints the wrong version", marked_by: "ada" });
    expect(marked.body.result.uses.map((u: { run_uuid: string }) => u.run_uuid)).toEqual([runPath.split("/").at(-1)]);

    const noBody = await ada.post(`/v3/workflows/groups/quickstart/images/${imageId}/rerun`, { image: "" });
    expect(noBody.status).toBe(400);
    const rerun = await ada.post(`/v3/workflows/groups/quickstart/images/${imageId}/rerun`, { rebuild: true });
    expect(rerun.status, rerun.text).toBe(201);
    const [started] = rerun.body.result;
    const newPath = runPath.replace(/[^/]+$/, started.run.uuid);
    const ended = await waitForRun(ada, newPath, 120_000);
    const [build] = (await ada.get(`${newPath}/executions`)).body.result;
    expect(ended.status, JSON.stringify(build)).toBe("succeeded");
    expect(build.image_digest).not.toBe(imageId);
    const rebuilt = (await ada.get(`/v3/workflows/groups/quickstart/images/${build.image_digest}`)).body.result;
    expect(rebuilt.recipe.commit).toBe(fixed);
    expect(await registry.manifestDigest("ada/tools", "v1")).toBe(build.outputs.digest);

    expect((await ada.get(`${runPath}/provenance`)).body.result.superseded_by).toEqual([started.run.uuid]);
    expect((await ada.get(`${newPath}/provenance`)).body.result.supersedes).toEqual([runPath.split("/").at(-1)]);
  });

  it("records the image a container task ran, and re-runs it with a replacement image", async () => {
    const pipeline = { id: "uses-busybox", tasks: [{ id: "show", type: "container_run", image: BASE_IMAGE, command: ["sh", "-c", "cat /version 2>/dev/null || echo base"] }] };
    expect((await ada.post("/v3/workflows/groups/quickstart/pipelines", pipeline)).status).toBe(201);
    const event = await ada.post("/v3/workflows/groups/quickstart/pipelines/uses-busybox/events", {});
    const path = `/v3/workflows/groups/quickstart/pipelines/uses-busybox/runs/${event.body.result.uuid}`;
    expect(await waitForRun(ada, path)).toMatchObject({ status: "succeeded" });
    const [show] = (await ada.get(`${path}/executions`)).body.result;
    const busybox = (await ada.get(`/v3/workflows/groups/quickstart/images/resolve?ref=${encodeURIComponent(BASE_IMAGE)}`)).body.result;
    // Other tests may give the shared base image more names; this one is there.
    expect(busybox).toMatchObject({ origin: "seen", recipe: null, names: expect.arrayContaining([BASE_IMAGE]) });
    expect(show.image_digest).toBe(busybox.digest);

    await ada.post(`/v3/workflows/groups/quickstart/images/${busybox.digest}/bad`, { reason: "too small" });
    const rebuildless = await ada.post(`/v3/workflows/groups/quickstart/images/${busybox.digest}/rerun`, { rebuild: true });
    expect(rebuildless.status).toBe(400);
    expect(rebuildless.body.message).toContain("has no image_build task");
    const rerun = await ada.post(`/v3/workflows/groups/quickstart/images/${busybox.digest}/rerun`, { image: `${registry.host}/ada/tools:v1` });
    expect(rerun.status, rerun.text).toBe(201);
    expect(rerun.body.result).toEqual([expect.objectContaining({ supersedes: event.body.result.uuid, changes: [`task 'show' runs ${registry.host}/ada/tools:v1 instead of ${BASE_IMAGE}`] })]);
    const newPath = path.replace(/[^/]+$/, rerun.body.result[0].run.uuid);
    expect(await waitForRun(ada, newPath)).toMatchObject({ status: "succeeded" });
    const log = (await ada.get(`${newPath}/executions/${(await ada.get(`${newPath}/executions`)).body.result[0].uuid}/logs`)).text;
    expect(log).toContain("tool-v2");
  });
});

describe("credentials used by a build", () => {
  it("never appear in a stored log line, output, message, catalog record or API answer, even when the recipe prints them", async () => {
    const secrets = [git.password, registry.password];
    // The recipe itself spells the credentials, so the engine's build output and its error carry them.
    await git.createRepo("ada/leaky", { Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo "git ${git.password} registry ${registry.password}" > /leak && cat /leak\n` }, { private: true });
    await git.createRepo("ada/leaky-broken", { Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo "${git.password}" && exit 3\n` }, { private: true });
    const github = (await ada.post("/v3/workflows/identities", { type: "github", name: "leak-github", credentials: { username: git.username, personal_access_token: git.password } })).body.result;
    const dockerhub = (await ada.post("/v3/workflows/identities", { type: "dockerhub", name: "leak-dockerhub", credentials: { username: registry.username, token: registry.password } })).body.result;
    const paths: string[] = [];
    for (const [id, repo] of [["leaky", "ada/leaky"], ["leaky-broken", "ada/leaky-broken"]] as const) {
      const pipeline = {
        id,
        tasks: [
          {
            id: "build",
            type: "image_build",
            builder: "podman",
            context: { type: "github", url: repo, visibility: "private", identity_uuid: github.uuid },
            destination: { type: "dockerhub", url: repo, tag: "leak", identity_uuid: dockerhub.uuid },
          },
        ],
      };
      expect((await ada.post("/v3/workflows/groups/quickstart/pipelines", pipeline)).status).toBe(201);
      const event = (await ada.post(`/v3/workflows/groups/quickstart/pipelines/${id}/events`, {})).body.result;
      const path = `/v3/workflows/groups/quickstart/pipelines/${id}/runs/${event.uuid}`;
      await waitForRun(ada, path, 120_000);
      paths.push(path);
    }
    const answers: string[] = [];
    const get = async (path: string) => {
      const res = await ada.get(path);
      answers.push(`${path}\n${res.text}`);
      return res.body;
    };
    for (const path of paths) {
      await get(path);
      await get(`${path}/provenance`);
      for (const e of (await get(`${path}/executions`)).result) await get(`${path}/executions/${e.uuid}/logs`);
    }
    const [ok, broken] = await Promise.all(paths.map(async (p) => (await ada.get(`${p}/executions`)).body.result[0]));
    expect(ok.status).toBe("succeeded");
    expect(broken.status).toBe("failed");
    // The masking did not hide what matters: the build ran the echo, the failure says why.
    expect(answers.join("\n")).toContain("registry ***");
    expect(broken.message).toMatch(/exit status 3/);
    for (const image of (await get("/v3/workflows/groups/quickstart/images")).result) await get(`/v3/workflows/groups/quickstart/images/${image.digest}`);
    await get("/v3/workflows/identities");
    await get(`/v3/workflows/identities/${github.uuid}`);
    // And underneath the API: every file of the data directory (the database, uploads, results).
    for (const secret of secrets) {
      for (const answer of answers) expect(answer, answer.split("\n")[0]).not.toContain(secret);
      const holding = execFileSync("bash", ["-c", 'grep -r -l -a -F -- "$1" "$2" || true', "grep", secret, server.dataDir], { encoding: "utf8" }).trim();
      expect(holding, "files of the data directory holding a credential").toBe("");
    }
  });
});

describe("image builds outside pipelines (kabuto-api.txt)", () => {
  async function waitForBuild(id: string): Promise<any> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await ada.get(`/image/build/${id}`);
      if (res.status !== 200) throw new Error(`GET /image/build/${id}: ${res.status} ${res.text}`);
      if (res.body.state !== "PENDING") return res.body;
      if (Date.now() > deadline) throw new Error(`build ${id} still PENDING`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("answers a build id at once, then SUCCESS with the image id and the build output", async () => {
    const dockerfile = `FROM ${BASE_IMAGE}\nCMD ["echo", "hello world"]\n`;
    // As kabuto's curl example sends it: a form body.
    const created = await ada.request("POST", "/image", new URLSearchParams({ name: "test", dockerfile, nocache: "false" }).toString(), { "content-type": "application/x-www-form-urlencoded" });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toEqual({ status: "PENDING", build_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const state = await waitForBuild(created.body.build_id);
    expect(state).toMatchObject({ state: "SUCCESS", id: expect.stringMatching(/^sha256:/), output: expect.stringContaining("STEP 1/2: FROM") });
    const image = (await ada.get(`/image/${state.id}`)).body;
    expect(image[state.id]).toMatchObject({ id: state.id, name: "test", dockerfile, creation_date: expect.any(String) });
    const other = await newUser(new ApiClient(server.url), "bob");
    expect((await other.get(`/image/build/${created.body.build_id}`)).status).toBe(404);
  });

  it("takes kabuto's multipart form: the Dockerfile and attachments as files, with their folders", async () => {
    await writeFile(join(dir, "Dockerfile.kabuto"), `FROM ${BASE_IMAGE}\nCOPY data/msg.txt /msg.txt\nCOPY top.txt /top.txt\nCOPY big.bin /big.bin\nCMD ["cat", "/msg.txt", "/top.txt"]\n`);
    await writeFile(join(dir, "msg.txt"), "from a folder\n");
    await writeFile(join(dir, "top.txt"), "at the top\n");
    const big = randomBytes(6 * 1024 * 1024);
    await writeFile(join(dir, "big.bin"), big);
    const created = await curl(
      `curl -X POST "$BASE/image" -H "X-Tapis-Token: $JWT" -F name=uploaded -F nocache=true -F dockerfile=@Dockerfile.kabuto -F "attachments=@msg.txt;filename=data/msg.txt" -F attachments=@top.txt -F attachments=@big.bin`,
    );
    expect(created).toEqual({ status: "PENDING", build_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const state = await waitForBuild(created.build_id);
    // In ada's own space's namespace (images/image-namespace.ts).
    expect(state).toMatchObject({ state: "SUCCESS", image: "localhost/cairn/u--ada/uploaded:latest" });
    expect(execFileSync("podman", ["run", "--rm", "localhost/cairn/u--ada/uploaded:latest"], { encoding: "utf8" })).toBe("from a folder\nat the top\n");
    const copied = execFileSync("podman", ["run", "--rm", "localhost/cairn/u--ada/uploaded:latest", "sha256sum", "/big.bin"], { encoding: "utf8" });
    expect(copied.split(" ")[0]).toBe(createHash("sha256").update(big).digest("hex"));
    // The files went to disk as the run's attachments: the stored pipeline holds the Dockerfile only.
    const stored = storedPipeline(created.build_id);
    expect(stored.tasks[0].context).toEqual({ type: "inline", dockerfile: expect.stringContaining("COPY big.bin"), include_inbox: true });
    expect(await readdir(join(server.dataDir, "uploads")).catch(() => [])).toEqual([]);

    // The names are checked as an event's attachments are, and nothing is started.
    const escape = await curl(`curl -X POST "$BASE/image" -H "X-Tapis-Token: $JWT" -F name=escape -F "dockerfile=FROM x" -F "attachments=@msg.txt;filename=../msg.txt"`);
    expect(escape.message).toMatch(/part 'attachments': file name '..\/msg.txt' contains '..'/);
    const twice = await curl(`curl -X POST "$BASE/image" -H "X-Tapis-Token: $JWT" -F name=twice -F "dockerfile=FROM x" -F attachments=@top.txt -F attachments=@top.txt`);
    expect(twice.message).toMatch(/'top.txt' is given twice/);
    const unknown = await curl(`curl -X POST "$BASE/image" -H "X-Tapis-Token: $JWT" -F name=odd -F "dockerfile=FROM x" -F colour=blue`);
    expect(unknown.message).toMatch(/part 'colour': is not a field of an image build/);
    const badName = await curl(`curl -X POST "$BASE/image" -H "X-Tapis-Token: $JWT" -F "name=Bad Name" -F "dockerfile=FROM x" -F attachments=@top.txt`);
    expect(badName.message).toContain("name");
    // Refused uploads leave no file behind.
    expect(await readdir(join(server.dataDir, "uploads")).catch(() => [])).toEqual([]);
  });

  it("tells a failed recipe (FAILED) from Cairn failing (FAILURE), and refuses a request without a recipe", async () => {
    const failed = await ada.post("/image", { name: "broken", dockerfile: `FROM ${BASE_IMAGE}\nRUN exit 3\n` });
    expect(await waitForBuild(failed.body.build_id)).toMatchObject({ state: "FAILED", error: expect.stringMatching(/exit/), output: expect.stringContaining("RUN exit 3") });
    const failure = await ada.post("/image", { name: "unreachable", repo_url: "http://127.0.0.1:9/nothing.git" });
    expect(await waitForBuild(failure.body.build_id)).toMatchObject({ state: "FAILURE", error: expect.stringContaining("could not clone") });
    // The egress policy: a repo_url on an address nobody allowed is the request's fault, refused before git runs.
    const internal = await ada.post("/image", { name: "internal", repo_url: "http://169.254.169.254/latest.git" });
    expect(await waitForBuild(internal.body.build_id)).toMatchObject({
      state: "FAILED",
      error: expect.stringContaining("clone of http://169.254.169.254/latest.git (context.url) refused: 169.254.169.254 is a cloud metadata address; an operator may allow it with CAIRN_EGRESS_ALLOW"),
    });
    const none = await ada.post("/image", { name: "empty" });
    expect(none.status).toBe(400);
    expect(none.body.message).toContain("give dockerfile");
    const badName = await ada.post("/image", { name: "Bad Name", dockerfile: "FROM x" });
    expect(badName.status).toBe(400);
    expect(badName.body.message).toContain("name");
  });
});

describe("the image commands of the CLI", () => {
  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const { main } = await import("../../packages/cairn/src/cli/main.js");
    let out = "";
    let err = "";
    const saved = process.env.CAIRN_TOKEN;
    process.env.CAIRN_TOKEN = ada.token!;
    try {
      const code = await main(["--server", server.url, ...args], { write: (t) => void (out += t) }, { write: (t) => void (err += t) });
      return { code, out, err };
    } finally {
      if (saved === undefined) delete process.env.CAIRN_TOKEN;
      else process.env.CAIRN_TOKEN = saved;
    }
  }

  it("lists and inspects images, shows a run's provenance, marks bad and re-runs", async () => {
    const ls = await cli("images", "ls", "quickstart", "--commit", commit.slice(0, 7));
    expect(ls.code, ls.err).toBe(0);
    expect(ls.out).toMatch(new RegExp(`DIGEST\\s+NAME\\s+ORIGIN\\s+COMMIT[\\s\\S]*${registry.host}/ada/tools:v1\\s+built\\s+${commit.slice(0, 7)}`));

    const inspect = await cli("--json", "images", "inspect", "quickstart", BASE_IMAGE);
    expect(inspect.code, inspect.err).toBe(0);
    const busybox = JSON.parse(inspect.out);
    expect(busybox).toMatchObject({ origin: "seen", uses: [expect.objectContaining({ task_id: "show" })] });

    const runs = (await ada.get("/v3/workflows/groups/quickstart/pipelines/my-sample-workflow/runs")).body.result;
    const first = runs.at(-1).uuid;
    const provenance = await cli("provenance", first);
    expect(provenance.code, provenance.err).toBe(0);
    expect(provenance.out).toContain(`task my-image-build: succeeded`);
    expect(provenance.out).toContain(`from ${git.url}/ada/tools.git at commit ${commit} (main)`);
    expect(provenance.out).toMatch(/superseded by [0-9a-f-]{36}/);

    expect((await cli("images", "mark-bad", "quickstart", BASE_IMAGE)).code).toBe(2);
    const marked = await cli("images", "mark-bad", "quickstart", BASE_IMAGE, "--reason", "still too small");
    expect(marked.code, marked.err).toBe(0);
    expect(marked.out).toContain("marked sha256:");
    expect(marked.out).toContain("uses-busybox/show");

    const rerun = await cli("rerun", "--affected-by", BASE_IMAGE, "--group", "quickstart", "--image", `${registry.host}/ada/tools:v1`);
    expect(rerun.code, rerun.err).toBe(0);
    expect(rerun.out).toMatch(/run [0-9a-f-]{36} of quickstart\/uses-busybox supersedes [0-9a-f-]{36}: task 'show' runs/);
    // Each run that used it starts again; let them end before the server stops.
    for (const [, uuid] of rerun.out.matchAll(/^run ([0-9a-f-]{36})/gm)) {
      await waitForRun(ada, `/v3/workflows/groups/quickstart/pipelines/uses-busybox/runs/${uuid}`);
    }
    expect((await cli("rerun", "--affected-by", BASE_IMAGE, "--group", "quickstart")).code).toBe(2);
  });
});

describe("image namespaces between groups (issue 21, finding 2)", () => {
  let eve: ApiClient;
  let aDigest: string;
  const whoami = (who: string) => ({ type: "inline", dockerfile: `FROM ${BASE_IMAGE}\nRUN echo ${who} > /who\nCMD ["cat", "/who"]\n` });

  /** Submits the pipeline to the group (under a new id each time) and runs it; answers the run and its last execution with its log. */
  let submitted = 0;
  async function runIn(client: ApiClient, group: string, given: { id: string; tasks: unknown[] }) {
    const pipeline = { ...given, id: `${given.id}-${++submitted}` };
    const created = await client.post(`/v3/workflows/groups/${group}/pipelines`, pipeline);
    expect(created.status, created.text).toBe(201);
    const event = await client.post(`/v3/workflows/groups/${group}/pipelines/${pipeline.id}/events`, {});
    const path = `/v3/workflows/groups/${group}/pipelines/${pipeline.id}/runs/${event.body.result.uuid}`;
    const finished = await waitForRun(client, path, 120_000);
    const executions = (await client.get(`${path}/executions`)).body.result;
    const last = executions.at(-1);
    const log = (await client.get(`${path}/executions/${last.uuid}/logs`)).text;
    return { run: finished, execution: last, log };
  }
  const show = (image: string) => ({ id: "show", tasks: [{ id: "show", type: "container_run", image }] });

  beforeAll(async () => {
    eve = await newUser(new ApiClient(server.url), "eve");
    expect((await ada.post("/v3/workflows/groups", { id: "iso-a", users: [] })).status).toBe(201);
    expect((await eve.post("/v3/workflows/groups", { id: "iso-b", users: [] })).status).toBe(201);
  });

  it("keeps group A's image when group B builds a local image of the same name, and each runs its own", async () => {
    const built = await runIn(ada, "iso-a", { id: "build", tasks: [{ id: "build", type: "image_build", builder: "podman", context: whoami("made-by-a"), destination: { type: "local", url: "shared/tool", tag: "1" } }] });
    expect(built.run.status, built.log).toBe("succeeded");
    aDigest = built.execution.outputs.image_id;

    // Group B gives its image the very same name.
    const rival = await runIn(eve, "iso-b", { id: "build", tasks: [{ id: "build", type: "image_build", builder: "podman", context: whoami("made-by-b"), destination: { type: "local", url: "shared/tool", tag: "1" } }] });
    expect(rival.run.status, rival.log).toBe("succeeded");
    expect(rival.execution.outputs.image_id).not.toBe(aDigest);

    const aRun = await runIn(ada, "iso-a", show("localhost/shared/tool:1"));
    expect(aRun.run.status, aRun.log).toBe("succeeded");
    expect(aRun.log).toContain("made-by-a");
    expect(aRun.log).not.toContain("made-by-b");
    expect(aRun.execution.image_digest).toBe(aDigest);
    const bRun = await runIn(eve, "iso-b", show("shared/tool:1"));
    expect(bRun.log).toContain("made-by-b");
    expect(bRun.execution.image_digest).toBe(rival.execution.outputs.image_id);
    expect(execFileSync("podman", ["image", "inspect", "--format", "{{.Id}}", "localhost/cairn/iso-a/shared/tool:1"], { encoding: "utf8" }).trim()).toBe(aDigest.slice("sha256:".length));
    // The engine's name is in A's namespace; the catalog keeps the short name the task gave too.
    expect(built.execution.outputs.image).toBe("localhost/cairn/iso-a/shared/tool:1");
    expect((await ada.get(`/v3/workflows/groups/iso-a/images/${aDigest}`)).body.result).toMatchObject({ origin: "built", owned: true, names: expect.arrayContaining(["localhost/shared/tool:1"]) });
  });

  it("refuses group A's image in group B by digest and by its engine name, until an admin of A shares it", async () => {
    for (const image of [aDigest, "localhost/cairn/iso-a/shared/tool:1"]) {
      const refused = await runIn(eve, "iso-b", show(image));
      expect(refused.run.status).toBe("failed");
      expect(refused.execution.message).toContain(`belongs to group 'iso-a', which has not shared it with group 'iso-b'`);
      expect(refused.log).not.toContain("made-by-a");
    }
    // Nor as the base image of a build.
    const from = await runIn(eve, "iso-b", { id: "from", tasks: [{ id: "from", type: "image_build", builder: "podman", context: { type: "inline", dockerfile: "FROM localhost/cairn/iso-a/shared/tool:1\nRUN cat /who\n" }, destination: { type: "local", url: "stolen" } }] });
    expect(from.run.status).toBe("failed");
    expect(from.execution.message).toContain("belongs to group 'iso-a'");

    // Only an admin of the image's group shares it.
    expect((await eve.post(`/v3/workflows/groups/iso-a/images/${aDigest}/shares`, { group_id: "iso-b" })).status).toBe(404);
    expect((await ada.post(`/v3/workflows/groups/iso-a/images/${aDigest}/shares`, { group_id: "no-such-group" })).status).toBe(404);
    const notMade = await ada.post(`/v3/workflows/groups/iso-a/images/sha256:${"0".repeat(64)}/shares`, { group_id: "iso-b" });
    expect(notMade.status).toBe(404);
    expect(notMade.body.message).toContain("did not build, pull or load");
    const shared = await ada.post(`/v3/workflows/groups/iso-a/images/${aDigest}/shares`, { group_id: "iso-b" });
    expect(shared.status, shared.text).toBe(201);
    expect(shared.body.result).toMatchObject({ group_id: "iso-a", digest: aDigest, shared_with: "iso-b", shared_by: "ada" });
    expect((await ada.get(`/v3/workflows/groups/iso-a/images/${aDigest}/shares`)).body.result).toEqual([expect.objectContaining({ shared_with: "iso-b" })]);
    expect((await eve.get("/v3/workflows/groups/iso-b/images/shared")).body.result).toEqual([expect.objectContaining({ group_id: "iso-a", digest: aDigest, image: expect.objectContaining({ digest: aDigest }) })]);

    const allowed = await runIn(eve, "iso-b", show(aDigest));
    expect(allowed.run.status, allowed.execution.message).toBe("succeeded");
    expect(allowed.log).toContain("made-by-a");

    expect((await ada.request("DELETE", `/v3/workflows/groups/iso-a/images/${aDigest}/shares/iso-b`)).status).toBe(200);
    expect((await ada.request("DELETE", `/v3/workflows/groups/iso-a/images/${aDigest}/shares/iso-b`)).status).toBe(404);
    const again = await runIn(eve, "iso-b", show(aDigest));
    expect(again.run.status).toBe("failed");
  });

  it("still runs the operator's images, which no group made, in every group", async () => {
    for (const [client, group] of [[ada, "iso-a"], [eve, "iso-b"]] as const) {
      const run = await runIn(client, group, { id: "base", tasks: [{ id: "base", type: "container_run", image: BASE_IMAGE, command: ["echo", "operator-image-ran"] }] });
      expect(run.run.status, run.execution.message).toBe("succeeded");
      expect(run.log).toContain("operator-image-ran");
    }
    // A build that only names the operator's image makes nothing of its own, and takes nothing away.
    const copy = await runIn(eve, "iso-b", { id: "copy", tasks: [{ id: "copy", type: "image_build", builder: "podman", context: { type: "inline", dockerfile: `FROM ${BASE_IMAGE}\n` }, destination: { type: "local", url: "copy" } }] });
    expect(copy.run.status, copy.log).toBe("succeeded");
    const run = await runIn(ada, "iso-a", { id: "base", tasks: [{ id: "base", type: "container_run", image: BASE_IMAGE, command: ["echo", "still-runs"] }] });
    expect(run.log).toContain("still-runs");
  });

  it("never lets a POST /image user overwrite the image of a login that differs only by case", async () => {
    const lower = await newUser(new ApiClient(server.url), "casefold");
    const upper = await newUser(new ApiClient(server.url), "Casefold").catch((err: Error) => err);
    // With logins unique regardless of case the second account cannot exist at all, which is as good.
    if (upper instanceof Error) {
      expect(upper.message).toMatch(/register Casefold: 409/);
      return;
    }
    async function build(client: ApiClient, text: string): Promise<any> {
      const created = await client.post("/image", { name: "casetool", dockerfile: `FROM ${BASE_IMAGE}\nRUN echo ${text} > /who\nCMD ["cat", "/who"]\n` });
      expect(created.status, created.text).toBe(201);
      for (const deadline = Date.now() + 60_000; ; ) {
        const state = (await client.get(`/image/build/${created.body.build_id}`)).body;
        if (state.state !== "PENDING") return state;
        if (Date.now() > deadline) throw new Error("build still PENDING");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const first = await build(lower, "lower-case-login");
    const second = await build(upper, "upper-case-login");
    expect([first.state, second.state]).toEqual(["SUCCESS", "SUCCESS"]);
    expect(first.image).not.toBe(second.image);
    expect(execFileSync("podman", ["run", "--rm", first.image], { encoding: "utf8" })).toBe("lower-case-login\n");
    expect(execFileSync("podman", ["run", "--rm", second.image], { encoding: "utf8" })).toBe("upper-case-login\n");
  });
});
