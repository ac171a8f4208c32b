import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeContext } from "../../../../../test/support/fake-context.js";
import { startRegistry, type TestRegistry } from "../../../../../test/support/registry.js";
import { loadConfig, type CairnConfig } from "../../config.js";
import { resolveEngine, stopPodmanService } from "../../docker-api/engine-endpoint.js";
import { DockerImageEngine } from "../../images/docker-image-engine.js";
import { parseEgressAllow } from "../../net/egress-allow.js";
import { EgressPolicy } from "../../net/egress-policy.js";
import { ContainerRuntime } from "../../runtimes/container/container-runtime.js";
import { parsePipeline } from "../../spec/validate.js";
import { DEFAULT_EXECUTION_PROFILE, type ContainerRunTask, type ImageBuildTask, type PullPolicy } from "../../spec/types.js";
import type { IdentityCredentials, ObservedImage } from "../task-handler.js";
import { imageBuildHandler } from "../image-build/image-build-handler.js";
import { containerRunHandler } from "./container-run-handler.js";

/**
 * container_run pulls its image when the engine lacks it (issue 20): from Debian's
 * docker-registry with an htpasswd login on loopback, into which the locally imported
 * busybox was pushed under a name of this file's own and then untagged locally. Nothing
 * is pulled from the internet.
 */

const BASE = "localhost/busybox:test";
const UNIQUE = `cairn-pull-${randomBytes(4).toString("hex")}`;

let scratch: string;
let socket: string;
let registry: TestRegistry;
let engine: DockerImageEngine;
let runtime: ContainerRuntime;
let config: CairnConfig;
/** The image in the registry: `127.0.0.1:PORT/cairn-pull-XXXX/tool:v1`. */
let remote: string;
/** The same image as a Docker Hub name, served through the mirror mapping docker.io=127.0.0.1:PORT. */
const HUB_NAME = `${UNIQUE}/tool`;
const HUB_CANONICAL = `docker.io/${UNIQUE}/tool:v1`;
/** A FROM image of a build, as a Docker Hub name served through the mirror. */
const BASE_CANONICAL = `docker.io/${UNIQUE}/base:v1`;
const BUILT = `localhost/cairn/local/${UNIQUE}/built:t`;

beforeAll(async () => {
  try {
    execFileSync("podman", ["image", "exists", BASE]);
  } catch {
    execFileSync("bash", [join(import.meta.dirname, "../../../../../scripts/setup-podman.sh")], { stdio: "inherit" });
  }
  scratch = await mkdtemp(join(tmpdir(), "cairn-container-pull-"));
  socket = join(scratch, "podman", "podman.sock");
  registry = await startRegistry();
  config = loadConfig({
    dataDir: join(scratch, "data"),
    dockerHost: undefined,
    podmanSocket: socket,
    insecureRegistries: [registry.host],
    egressAllow: parseEgressAllow(registry.host),
  });
  engine = new DockerImageEngine((await resolveEngine(config)).docker);
  runtime = await ContainerRuntime.connect(config);
  remote = `${registry.host}/${UNIQUE}/tool:v1`;
  const login = { username: registry.username, secret: registry.password, registry: registry.host };
  await engine.tag(BASE, remote);
  await engine.push(remote, () => undefined, { login, insecure: true });
  const base = `${registry.host}/${UNIQUE}/base:v1`;
  await engine.tag(BASE, base);
  await engine.push(base, () => undefined, { login, insecure: true });
  // Gone locally: only the registry has them by those names now.
  await engine.untag(remote);
  await engine.untag(base);
  expect(await engine.inspect(remote)).toBeUndefined();
}, 180_000);

afterAll(async () => {
  try {
    const names = [remote, HUB_CANONICAL, BASE_CANONICAL, BUILT, registry && `${registry.host}/${UNIQUE}/base:v1`].filter((n) => n !== undefined);
    execFileSync("podman", ["rmi", "--force", "--ignore", ...names], { stdio: "ignore" });
  } finally {
    await runtime?.close();
    await stopPodmanService(socket);
    await registry?.close();
    await rm(scratch, { recursive: true, force: true });
  }
});

function runTask(image: string, command: string): ContainerRunTask {
  const pipeline = parsePipeline({ id: "pulls", tasks: [{ id: "run", type: "container_run", image, command }] });
  return pipeline.tasks[0] as ContainerRunTask;
}

function identity(password: string): (host: string) => Promise<IdentityCredentials | undefined> {
  return async (host) => (host === registry.host ? { type: "registry", host, credentials: { username: registry.username, password } } : undefined);
}

async function run(task: ContainerRunTask, options: { password?: string; policy?: PullPolicy; config?: CairnConfig } = {}) {
  const recorded: ObservedImage[] = [];
  const used: string[] = [];
  const cfg = options.config ?? config;
  const ctx = fakeContext(task, {
    config: cfg,
    egress: EgressPolicy.fromConfig(cfg),
    container: runtime,
    profile: { ...DEFAULT_EXECUTION_PROFILE, pull_policy: options.policy ?? "if_not_present" },
    registryIdentity: identity(options.password ?? registry.password),
    recordImage: async (image) => void recorded.push(image),
    usedImage: (digest) => void used.push(digest),
  });
  ctx.runtimes.images = async () => engine;
  try {
    const outcome = await containerRunHandler.run(ctx);
    return { outcome, lines: ctx.logs.map((l) => `${l.stream}: ${l.line}`), recorded, used };
  } catch (err) {
    (err as { logs?: unknown }).logs = ctx.logs;
    throw err;
  } finally {
    await ctx.cleanup();
  }
}

describe("container_run pulls its image", () => {
  it("fails clearly with a wrong password, naming the registry and the user", async () => {
    await expect(run(runTask(remote, "echo never"), { password: "wrong-password" })).rejects.toThrow(
      new RegExp(`the registry ${registry.host} refused the pull of '.*${UNIQUE}/tool:v1' with the credentials of '${registry.username}' \\(unauthorized\\)`),
    );
    expect(await engine.inspect(remote)).toBeUndefined();
  });

  it("pull_policy never: a missing image fails naming it and the policy", async () => {
    await expect(run(runTask(remote, "echo never"), { policy: "never" })).rejects.toThrow(`image '${remote}' is not in the container engine, and the task's pull_policy is 'never'`);
  });

  it("offline mode: a missing image fails naming it, and nothing is pulled", async () => {
    const offline = loadConfig({ ...config, offline: true });
    await expect(run(runTask(remote, "echo never"), { config: offline })).rejects.toThrow(new RegExp(`offline mode \\(CAIRN_OFFLINE\\): image '${remote.replace(/[.]/g, "\\.")}' is neither in the container engine nor in the image cache`));
    expect(await engine.inspect(remote)).toBeUndefined();
  });

  it("pulls a missing image with the starter's registry identity, runs it, and records the digest", async () => {
    const { outcome, lines, recorded, used } = await run(runTask(remote, "echo pulled-and-ran"));
    expect(outcome.exitCode).toBe(0);
    expect(lines).toContain("stdout: pulled-and-ran");
    expect(lines).toContain(`system: pulling ${remote} over plain HTTP (CAIRN_INSECURE_REGISTRIES)`);
    expect(lines).toContain(`system: ${registry.host} refused ${remote} without credentials: pulling it as '${registry.username}'`);
    // A few lines, not one per progress event.
    expect(lines.filter((l) => l.startsWith("system:")).length).toBeLessThan(12);
    const pulled = await engine.inspect(remote);
    expect(pulled).toBeDefined();
    const manifest = await registry.manifestDigest(`${UNIQUE}/tool`, "v1");
    expect(lines.some((l) => l.startsWith(`system: pulled ${remote}: image ${pulled!.id}`))).toBe(true);
    // Pulled with credentials, but the engine held that image already (it is the operator's busybox): not the group's.
    expect(recorded[0]).toMatchObject({ digest: pulled!.id, origin: "pulled", owned: false, recipe: { source: "pull", pulledFrom: remote } });
    expect(recorded[0]!.names).toEqual(expect.arrayContaining([remote, `${registry.host}/${UNIQUE}/tool@${manifest}`]));
    expect(used).toEqual([pulled!.id]);
  });

  it("if_not_present: a second run uses the image it has, without pulling", async () => {
    const { lines, recorded } = await run(runTask(remote, "echo again"));
    expect(lines).toContain("stdout: again");
    expect(lines.some((l) => l.includes("pulling"))).toBe(false);
    expect(recorded.filter((r) => r.origin === "pulled")).toEqual([]);
  });

  it("pull_policy always pulls again although the engine has the image", async () => {
    const { lines } = await run(runTask(remote, "echo fresh"), { policy: "always" });
    expect(lines).toContain("stdout: fresh");
    expect(lines.some((l) => l.startsWith(`system: pulling ${remote}`))).toBe(true);
  });

  it("CAIRN_IMAGE_CACHE=materialize saves what it pulls, so a later offline run works without the engine's copy", async () => {
    const materializing = loadConfig({ ...config, materializePulls: true });
    const { lines } = await run(runTask(remote, "echo materialized"), { policy: "always", config: materializing });
    expect(lines).toContain("stdout: materialized");
    expect(lines.some((l) => /^system: (saved|already had) .* in the image cache: /.test(l) && l.includes(remote))).toBe(true);
    await engine.untag(remote);
    const offline = loadConfig({ ...config, offline: true });
    const { lines: later } = await run(runTask(remote, "echo offline-from-cache"), { config: offline });
    expect(later).toContain("stdout: offline-from-cache");
  });

  it("through a mirror: a Docker Hub name is pulled from CAIRN_REGISTRY_MIRRORS' mirror and keeps its own name", async () => {
    const mirrored = loadConfig({ ...config, registryMirrors: { "docker.io": registry.host } });
    const { lines, recorded } = await run(runTask(`${HUB_NAME}:v1`, "echo via-mirror"), { config: mirrored });
    expect(lines).toContain("stdout: via-mirror");
    expect(lines).toContain(`system: pulling ${HUB_CANONICAL} from the mirror ${registry.host} (CAIRN_REGISTRY_MIRRORS) over plain HTTP (CAIRN_INSECURE_REGISTRIES)`);
    expect(lines).toContain(`system: ${registry.host} refused ${HUB_CANONICAL} without credentials: pulling it as '${registry.username}'`);
    expect(await engine.inspect(HUB_CANONICAL)).toBeDefined();
    expect(recorded[0]).toMatchObject({ origin: "pulled", recipe: { source: "pull", pulledFrom: `${registry.host}/${UNIQUE}/tool:v1` } });
    expect(recorded[0]!.names).toContain(HUB_CANONICAL);
  });

  it("an image_build's missing FROM image is pulled through the mirror too, before the build", async () => {
    const mirrored = loadConfig({ ...config, registryMirrors: { "docker.io": registry.host } });
    const pipeline = parsePipeline({
      id: "pulls",
      tasks: [{ id: "build", type: "image_build", builder: "podman", context: { type: "inline", dockerfile: `FROM ${UNIQUE}/base:v1\nRUN echo built > /built\n` }, destination: { type: "local", url: `${UNIQUE}/built`, tag: "t" } }],
    });
    const ctx = fakeContext(pipeline.tasks[0] as ImageBuildTask, { config: mirrored, egress: EgressPolicy.fromConfig(mirrored), registryIdentity: identity(registry.password) });
    ctx.runtimes.images = async () => engine;
    try {
      const outcome = await imageBuildHandler.run(ctx);
      const lines = ctx.logs.map((l) => l.line);
      expect(lines).toContain(`pulling ${BASE_CANONICAL} from the mirror ${registry.host} (CAIRN_REGISTRY_MIRRORS) over plain HTTP (CAIRN_INSECURE_REGISTRIES)`);
      expect(outcome.outputs).toMatchObject({ image: BUILT });
      expect(await engine.inspect(BASE_CANONICAL)).toBeDefined();
      expect(await engine.inspect(`${registry.host}/${UNIQUE}/base:v1`)).toBeUndefined();
    } finally {
      await ctx.cleanup();
    }
  });
});
