import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerdMissing, startDockerd, type TestDockerd } from "../../../../../test/support/dockerd.js";
import { startGitServer, type TestGitServer } from "../../../../../test/support/git-server.js";
import { startRegistry, type TestRegistry } from "../../../../../test/support/registry.js";
import { loadConfig } from "../../config.js";
import { archiveFormatOf } from "../../images/archive-format.js";
import { ImageCache } from "../../images/image-cache.js";
import { openCairn, type Cairn } from "../../open-cairn.js";
import { parsePipeline } from "../../spec/validate.js";
import type { ExecutionRecord, RunRecord } from "../../store/store.js";

/**
 * `builder: docker` on a real Docker Engine: Debian's dockerd 20.10 started for this
 * file on a private socket (test/support/dockerd.ts), and a whole Cairn (store, engine,
 * task handlers) configured with CAIRN_DOCKER_HOST pointing at it, the way a user would.
 * The base image is a busybox imported into that daemon; the registry is Debian's
 * docker-registry with htpasswd logins; repositories come from a git smart-HTTP server.
 * Nothing is pulled from the internet.
 */

const BASE = "localhost/busybox:test";
const DOCKERFILE = `FROM ${BASE}\nARG GREETING=hi\nRUN echo "$GREETING" > /greeting\nCMD ["cat", "/greeting"]\n`;
const skipped = dockerdMissing();

let dockerd: TestDockerd;
let docker: Dockerode;
let git: TestGitServer;
let registry: TestRegistry;
let dataDir: string;
let cairn: Cairn;
let repoSha: string;

interface Finished {
  run: RunRecord;
  byTask: Record<string, ExecutionRecord>;
  log(taskId: string): Promise<string>;
}

async function runPipeline(tasks: unknown[], directives?: Record<string, string | true>, on: Cairn = cairn): Promise<Finished> {
  const pipeline = parsePipeline({ id: "docker-builds", tasks });
  const started = await on.engine.startRun({ pipeline, ...(directives ? { directives } : {}) });
  const run = await on.engine.waitForRun(started.uuid);
  const byTask: Record<string, ExecutionRecord> = {};
  for (const e of await on.store.listExecutions(run.uuid)) byTask[e.taskId] = e;
  return {
    run,
    byTask,
    log: async (taskId) => (await on.store.readLogs(byTask[taskId]!.uuid)).map((l) => l.line).join("\n"),
  };
}

/** A failed run's reason in the assertion message, not just "expected failed to be succeeded". */
async function expectSucceeded(finished: Finished): Promise<void> {
  if (finished.run.status === "succeeded") return;
  const details = await Promise.all(Object.values(finished.byTask).map(async (e) => `${e.taskId}: ${e.status} ${e.message ?? ""}\n${await finished.log(e.taskId)}`));
  expect.fail(`run ${finished.run.status}: ${finished.run.message ?? ""}\n${details.join("\n")}`);
}

/** Where the engine keeps a pushed image of `cairn run`'s group "local" (images/image-namespace.ts). */
function mirrorOf(reference: string): string {
  return `localhost/cairn/local/${reference.replace(":", "-")}`;
}

function layersOf(info: Dockerode.ImageInspectInfo): string[] {
  return info.RootFS.Layers ?? [];
}

describe.skipIf(skipped !== undefined)(`image_build and container_run on a real Docker Engine${skipped ? ` (skipped: ${skipped})` : ""}`, () => {
  beforeAll(async () => {
    // Each kept as soon as it is up, and all awaited, so that afterAll stops every one that started even when another failed.
    const started = await Promise.allSettled([
      startDockerd().then((d) => (dockerd = d)),
      startGitServer().then((g) => (git = g)),
      startRegistry().then((r) => (registry = r)),
      mkdtemp(join(tmpdir(), "cairn-docker-builds-")).then((d) => (dataDir = d)),
    ]);
    for (const result of started) if (result.status === "rejected") throw result.reason;
    await dockerd.importBusybox(BASE);
    docker = new Dockerode({ socketPath: dockerd.socketPath });
    // Read from the environment like a deployment would; keepWorkDirs so the saved archive can be looked at.
    const config = loadConfig(
      { dataDir, keepWorkDirs: true },
      { CAIRN_DOCKER_HOST: dockerd.host, CAIRN_GITHUB_URL: git.url, CAIRN_DOCKERHUB_REGISTRY: registry.host, CAIRN_INSECURE_REGISTRIES: registry.host },
    );
    cairn = await openCairn(config);
    repoSha = await git.createRepo("lab/hello", { Dockerfile: DOCKERFILE, "README.md": "hello\n" });
  });

  afterAll(async () => {
    try {
      await cairn?.close();
    } finally {
      await Promise.all([dockerd?.close(), git?.close(), registry?.close(), dataDir && rm(dataDir, { recursive: true, force: true })]);
    }
  });

  it("builds an inline Dockerfile with a build arg and a target stage, and a container_run task runs the image on the same engine", async () => {
    const finished = await runPipeline([
      {
        id: "build",
        type: "image_build",
        builder: "docker",
        context: {
          type: "inline",
          dockerfile: `FROM ${BASE} AS base\nARG WORD\nCOPY data/msg.txt /msg.txt\nRUN echo "$WORD" >> /msg.txt\nFROM base AS final\nCMD ["cat", "/msg.txt"]\nFROM base AS other\nRUN false\n`,
          attachments: { "data/msg.txt": Buffer.from("attached\n").toString("base64") },
        },
        build_args: { WORD: "from-a-build-arg" },
        target: "final",
        destination: { type: "local", url: "cairn-docker/inline", tag: "t1" },
      },
      { id: "use", type: "container_run", depends_on: [{ id: "build" }], image: "localhost/cairn-docker/inline:t1", command: ["sh", "-c", "cat /msg.txt | tee /cairn/outputs/message"], output: { message: { type: "string" } } },
      { id: "measure", type: "container_run", depends_on: [{ id: "build" }], image: "localhost/cairn-docker/inline:t1", command: ["sh", "-c", "head -c 8000000 /dev/zero | md5sum; sleep 1"] },
    ]);
    await expectSucceeded(finished);
    const { build, use } = finished.byTask;
    expect(build!.outputs).toMatchObject({ image: "localhost/cairn/local/cairn-docker/inline:t1", tag: "t1", image_id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(build!.outputs.digest).toBe(build!.outputs.image_id);
    // Docker's classic builder: "Step N/M" lines; the stage after the target is never built.
    const buildLog = await finished.log("build");
    expect(buildLog).toMatch(/Step 1\/\d+ : FROM localhost\/busybox:test AS base/);
    expect(buildLog).toContain("building with Docker Engine 20.10");
    expect(buildLog).not.toContain("RUN false");
    expect(use!.outputs.message).toBe("attached\nfrom-a-build-arg\n");
    // Docker removes a container's cgroup as it exits, so a task this short may have no
    // reading at all: then no figures, never the zeros Docker's stats give after the exit
    // (its memory cgroup may be read before it was charged, its CPU time is counted).
    if (use!.usage) expect(use!.usage.cpuSeconds + use!.usage.peakMemoryBytes).toBeGreaterThan(0);
    // One that runs a while is read from its cgroup (Docker's cgroupfs layout) while it runs.
    expect(finished.byTask.measure!.usage).toMatchObject({ cpuSeconds: expect.any(Number), peakMemoryBytes: expect.any(Number) });
    expect(finished.byTask.measure!.usage!.peakMemoryBytes).toBeGreaterThan(1_000_000);
    // The container ran exactly the image built, and the engine knows it by that id.
    expect(use!.imageDigest).toBe(build!.outputs.image_id);
    expect((await docker.getImage("localhost/cairn/local/cairn-docker/inline:t1").inspect()).Id).toBe(build!.outputs.image_id);

    const [record] = await cairn.store.images.listImages("local", { name: "localhost/cairn-docker/inline:t1" });
    expect(record).toMatchObject({ digest: build!.outputs.image_id, origin: "built", builder: "docker", engine: `Docker Engine ${dockerd.version}`, architecture: "amd64", os: "linux" });
  });

  it("builds from a git repository, reuses every layer on the second build, and rebuilds under the nocache directive", async () => {
    const task = { id: "build", type: "image_build", builder: "docker", context: { type: "github", url: "lab/hello", branch: "main" }, build_args: { GREETING: "cached" }, destination: { type: "local", url: "cairn-docker/cache", tag: "c" } };
    const first = await runPipeline([task]);
    await expectSucceeded(first);
    expect(await first.log("build")).toContain(`checked out ${git.url}/lab/hello.git at ${repoSha} (main)`);
    const firstImage = await docker.getImage(first.byTask.build!.outputs.image_id!).inspect();

    const second = await runPipeline([task]);
    await expectSucceeded(second);
    expect(second.byTask.build!.outputs.image_id).toBe(first.byTask.build!.outputs.image_id);
    expect(layersOf(await docker.getImage(second.byTask.build!.outputs.image_id!).inspect())).toEqual(layersOf(firstImage));
    expect((await second.log("build")).match(/Using cache/g)?.length).toBeGreaterThanOrEqual(2);

    const fresh = await runPipeline([task], { nocache: true });
    await expectSucceeded(fresh);
    expect(fresh.byTask.build!.outputs.image_id).not.toBe(first.byTask.build!.outputs.image_id);
    expect(await fresh.log("build")).not.toContain("Using cache");
  });

  it("pushes to a registry with a login, records the registry's digest, and a pull-and-retag of it runs", async () => {
    const pushed = await runPipeline([
      {
        id: "build",
        type: "image_build",
        builder: "docker",
        context: { type: "github", url: "lab/hello" },
        build_args: { GREETING: "hello from docker" },
        destination: { type: "dockerhub", url: "lab/hello", tag: "v1", credentials: { username: registry.username, token: registry.password } },
      },
    ]);
    await expectSucceeded(pushed);
    const build = pushed.byTask.build!;
    expect(build.outputs).toMatchObject({ image: `${registry.host}/lab/hello:v1`, tag: "v1", digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(await registry.manifestDigest("lab/hello", "v1")).toBe(build.outputs.digest);
    expect(await pushed.log("build")).not.toContain(registry.password);
    const [record] = await cairn.store.images.listImages("local", { name: `${registry.host}/lab/hello@${build.outputs.digest}` });
    expect(record?.digest).toBe(build.outputs.image_id);

    // The engine had the registry's name only while pushing; the group keeps it under its own namespaced name.
    await expect(docker.getImage(`${registry.host}/lab/hello:v1`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await docker.getImage(mirrorOf(`${registry.host}/lab/hello:v1`)).inspect()).Id).toBe(build.outputs.image_id);
    // Gone from the engine, then pulled back by a registry context and retagged locally.
    await docker.getImage(build.outputs.image_id!).remove({ force: true });
    const mirrored = await runPipeline([
      {
        id: "mirror",
        type: "image_build",
        builder: "docker",
        context: { type: "registry", host: registry.host, url: "lab/hello", tag: "v1", visibility: "private", credentials: { username: registry.username, password: registry.password } },
        destination: { type: "local", url: "cairn-docker/mirror", tag: "m" },
      },
      { id: "use", type: "container_run", depends_on: [{ id: "mirror" }], image: "localhost/cairn-docker/mirror:m", command: ["cat", "/greeting"] },
    ]);
    await expectSucceeded(mirrored);
    expect(mirrored.byTask.mirror!.outputs.image_id).toBe(build.outputs.image_id);
    expect(await mirrored.log("use")).toBe("hello from docker");
    // The same image as the build's: one catalog record, which keeps the build's recipe and gains the new name.
    const [pulled] = await cairn.store.images.listImages("local", { name: "localhost/cairn-docker/mirror:m" });
    expect(pulled).toMatchObject({ digest: build.outputs.image_id, origin: "built", engine: `Docker Engine ${dockerd.version}`, recipe: expect.objectContaining({ source: "git" }) });
  });

  // Uses the image the test above pushed (tests in a file run in order).
  it("builds FROM a private image of the destination registry with the destination's login", async () => {
    await docker.getImage(`${registry.host}/lab/hello:v1`).remove({ force: true }).catch(() => undefined);
    const login = { username: registry.username, password: registry.password };
    const finished = await runPipeline([
      {
        id: "build",
        type: "image_build",
        builder: "docker",
        context: { type: "inline", dockerfile: `FROM ${registry.host}/lab/hello:v1\nRUN echo derived >> /greeting\n` },
        destination: { type: "registry", host: registry.host, url: "lab/derived", tag: "d1", credentials: login },
      },
      { id: "use", type: "container_run", depends_on: [{ id: "build" }], image: `${registry.host}/lab/derived:d1`, command: ["cat", "/greeting"] },
    ]);
    await expectSucceeded(finished);
    expect(await finished.log("use")).toBe("hello from docker\nderived");
    expect(await registry.manifestDigest("lab/derived", "d1")).toBe(finished.byTask.build!.outputs.digest);
  });

  // Uses the image pushed above.
  it("refuses a registry missing from CAIRN_INSECURE_REGISTRIES, though Docker itself would reach it without TLS", async () => {
    const strictDir = await mkdtemp(join(tmpdir(), "cairn-docker-strict-"));
    // Reachable (CAIRN_EGRESS_ALLOW), only not listed as plain HTTP.
    const strict = await openCairn(loadConfig({ dataDir: strictDir }, { CAIRN_DOCKER_HOST: dockerd.host, CAIRN_EGRESS_ALLOW: registry.host }));
    const refusal = (subject: string) => `${subject} is not in CAIRN_INSECURE_REGISTRIES, and Docker Engine ${dockerd.version} would reach it without TLS (its daemon's insecure-registries include it); list it in CAIRN_INSECURE_REGISTRIES to allow that`;
    try {
      const push = await runPipeline(
        [{ id: "build", type: "image_build", builder: "docker", context: { type: "inline", dockerfile: `FROM ${BASE}\n` }, destination: { type: "registry", host: registry.host, url: "lab/strict", credentials: { username: registry.username, password: registry.password } } }],
        undefined,
        strict,
      );
      expect(push.byTask.build!.message).toBe(refusal(`the destination registry ${registry.host}`));
      expect(await registry.manifestDigest("lab/strict", "latest")).toBeUndefined();

      const base = `${registry.host}/lab/hello:v1`;
      // Neither the registry's name nor the group's own copy of what it pushed there: the build must reach the registry.
      for (const name of [base, mirrorOf(base)]) await docker.getImage(name).remove({ force: true }).catch(() => undefined);
      const from = await runPipeline([{ id: "build", type: "image_build", builder: "docker", context: { type: "inline", dockerfile: `FROM ${base}\n` }, destination: { type: "local" } }], undefined, strict);
      expect(from.byTask.build!.message).toBe(refusal(`the registry ${registry.host} of the base image ${base}`));
      await expect(docker.getImage(base).inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await strict.close();
      await rm(strictDir, { recursive: true, force: true });
    }
  });

  it("runs a container whose image is only in the image cache, and stops one past its max_exec_time", async () => {
    // Saved under the engine's name, in the group's namespace; the task names it by its short name.
    const image = "localhost/cairn-docker/inline:t1";
    const cache = new ImageCache(cairn.config.imageCacheDir);
    const saved = await cache.save(await cairn.runtimes.images!(), "localhost/cairn/local/cairn-docker/inline:t1");
    await docker.getImage(saved.digest).remove({ force: true });
    const finished = await runPipeline([
      { id: "cached", type: "container_run", image, command: ["cat", "/msg.txt"] },
      { id: "slow", type: "container_run", image: BASE, command: ["sleep", "60"], execution_profile: { max_exec_time: 1 } },
    ]);
    expect(finished.byTask.cached).toMatchObject({ status: "succeeded", imageDigest: saved.digest });
    expect(await finished.log("cached")).toBe("attached\nfrom-a-build-arg");
    expect(finished.byTask.slow!.status).toBe("timed_out");
    // Stopped and removed: nothing of the attempt is left in the engine.
    expect(await docker.listContainers({ all: true, filters: { label: [`cairn.execution=${finished.byTask.slow!.uuid}`] } })).toEqual([]);
  });

  it("offline, builds FROM an image the engine has and refuses one it lacks before Docker could pull it", async () => {
    const offlineDir = await mkdtemp(join(tmpdir(), "cairn-docker-offline-"));
    const offline = await openCairn(loadConfig({ dataDir: offlineDir }, { CAIRN_DOCKER_HOST: dockerd.host, CAIRN_OFFLINE: "1", CAIRN_INSECURE_REGISTRIES: registry.host }));
    const build = (from: string) => ({ id: "build", type: "image_build", builder: "docker", context: { type: "inline", dockerfile: `FROM ${from}\nRUN echo offline > /o\n` }, destination: { type: "local", url: "cairn-docker/offline" } });
    try {
      const present = await runPipeline([build(BASE)], undefined, offline);
      await expectSucceeded(present);
      const missing = `${registry.host}/lab/never-pushed:1`;
      const absent = await runPipeline([build(missing)], undefined, offline);
      expect(absent.byTask.build!.message).toMatch(new RegExp(`^offline mode \\(CAIRN_OFFLINE\\): the base image ${missing.replace(/\./g, "\\.")} is neither in the container engine nor in the image cache`));
      expect(await absent.log("build")).not.toContain("Step 1/");
    } finally {
      await offline.close();
      await rm(offlineDir, { recursive: true, force: true });
    }
  });

  it("names the engine, its version and architecture", async () => {
    const engine = await (await cairn.runtimes.images!()).describe();
    expect(engine).toEqual({ name: "Docker Engine", version: dockerd.version, apiVersion: "1.41", arch: "amd64", os: "linux" });
  });

  it("fails a push with a wrong password clearly, and pushes nothing", async () => {
    const finished = await runPipeline([
      {
        id: "build",
        type: "image_build",
        builder: "docker",
        context: { type: "inline", dockerfile: `FROM ${BASE}\n` },
        destination: { type: "registry", host: registry.host, url: "lab/denied", tag: "x", credentials: { username: registry.username, password: "not-the-password" } },
      },
    ]);
    expect(finished.run.status).toBe("failed");
    expect(finished.byTask.build!.message).toMatch(
      new RegExp(`the registry ${registry.host.replace(/\./g, "\\.")} refused the push of '${registry.host.replace(/\./g, "\\.")}/lab/denied:x' with the credentials of '${registry.username}' \\(unauthorized\\)`),
    );
    expect(await registry.manifestDigest("lab/denied", "x")).toBeUndefined();
  });

  it("saves a local image as a docker-archive output file, and refuses oci-archive on Docker by name", async () => {
    const save = (format: string) => ({
      id: "build",
      type: "image_build",
      builder: "docker",
      context: { type: "inline", dockerfile: `FROM ${BASE}\nRUN echo saved > /saved\n` },
      destination: { type: "local", url: "cairn-docker/saved", tag: format, filename: "image.tar", archive_format: format },
    });
    const saved = await runPipeline([save("docker-archive")]);
    await expectSucceeded(saved);
    const file = join(dataDir, "runs", saved.run.uuid, "build@1", "outputs", "image.tar");
    expect((await stat(file)).size).toBeGreaterThan(100_000);
    expect(await archiveFormatOf(file)).toBe("docker-archive");

    const refused = await runPipeline([save("oci-archive")]);
    expect(refused.run.status).toBe("failed");
    expect(refused.byTask.build!.message).toBe(`Docker Engine ${dockerd.version} cannot write oci-archive files (only Podman's API can); save as docker-archive instead`);
    expect(await readdir(join(dataDir, "runs", refused.run.uuid, "build@1", "outputs"))).toEqual([]);
  });
});
