import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeContext } from "../../../../../test/support/fake-context.js";
import { startGitServer, type TestGitServer } from "../../../../../test/support/git-server.js";
import { startRegistry, type TestRegistry } from "../../../../../test/support/registry.js";
import { loadConfig, type CairnConfig } from "../../config.js";
import { parseEgressAllow } from "../../net/egress-allow.js";
import { archiveFormatOf } from "../../images/archive-format.js";
import { DockerImageEngine } from "../../images/docker-image-engine.js";
import { resolveEngine, stopPodmanService } from "../../docker-api/engine-endpoint.js";
import { parsePipeline } from "../../spec/validate.js";
import type { ImageBuildTask } from "../../spec/types.js";
import type { IdentityCredentials, ObservedImage } from "../task-handler.js";
import { imageBuildHandler } from "./image-build-handler.js";

/**
 * image_build against real parts: a git smart-HTTP server (public and private
 * repositories), Debian's docker-registry with htpasswd logins, and Podman through a
 * private API service. The base image is the locally imported busybox: nothing is pulled
 * from the internet.
 */

const BASE = "localhost/busybox:test";
const DOCKERFILE = `FROM ${BASE}\nARG GREETING=hi\nRUN echo "$GREETING" > /greeting\nCMD ["cat", "/greeting"]\n`;

let scratch: string;
let socket: string;
let git: TestGitServer;
let registry: TestRegistry;
/** A registry anyone may pull from, for FROM images without a login. */
let openRegistry: TestRegistry;
let engine: DockerImageEngine;
let config: CairnConfig;
let publicSha: string;
let privateSha: string;

beforeAll(async () => {
  try {
    execFileSync("podman", ["image", "exists", BASE]);
  } catch {
    execFileSync("bash", [join(import.meta.dirname, "../../../../../scripts/setup-podman.sh")], { stdio: "inherit" });
  }
  scratch = await mkdtemp(join(tmpdir(), "cairn-image-build-"));
  socket = join(scratch, "podman", "podman.sock");
  [git, registry, openRegistry] = await Promise.all([startGitServer(), startRegistry(), startRegistry({ auth: false })]);
  config = loadConfig({
    dataDir: scratch,
    dockerHost: undefined,
    podmanSocket: socket,
    githubUrl: git.url,
    dockerhubRegistry: registry.host,
    insecureRegistries: [registry.host, openRegistry.host],
  });
  engine = new DockerImageEngine((await resolveEngine(config)).docker);
  publicSha = await git.createRepo("lab/hello", { Dockerfile: DOCKERFILE, "README.md": "hello\n" });
  privateSha = await git.createRepo("lab/secret-tool", { "docker/Dockerfile.tool": `FROM ${BASE}\nCOPY note.txt /note.txt\nCMD ["cat", "/note.txt"]\n`, "docker/note.txt": "private\n" }, { private: true });
});

afterAll(async () => {
  try {
    // Images this file made, by the names it gave them; the shared busybox stays.
    // Local images are in the namespace of the group "local" (images/image-namespace.ts), pushed ones mirrored there.
    const names = imageNames().filter(
      (n) =>
        n.startsWith(`${registry?.host}/`) ||
        n.startsWith(`${openRegistry?.host}/`) ||
        n.startsWith("localhost/cairn/local/cairn-int-") ||
        (registry && n.startsWith(`localhost/cairn/local/${registry.host.replace(":", "-")}/`)) ||
        (openRegistry && n.startsWith(`localhost/cairn/local/${openRegistry.host.replace(":", "-")}/`)),
    );
    if (names.length > 0) execFileSync("podman", ["rmi", "--force", "--ignore", ...names], { stdio: "ignore" });
  } finally {
    await stopPodmanService(socket);
    await Promise.all([git?.close(), registry?.close(), openRegistry?.close()]);
    await rm(scratch, { recursive: true, force: true });
  }
});

/** `podman images` fails now and then when another test file removes an image while it lists them ("image not known"); it is asked again. */
function imageNames(): string[] {
  for (let attempt = 1; ; attempt++) {
    try {
      return execFileSync("podman", ["images", "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n");
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

function buildTask(fields: Record<string, unknown>): ImageBuildTask {
  const pipeline = parsePipeline({ id: "images", tasks: [{ id: "build", type: "image_build", builder: "kaniko", ...fields }] });
  return pipeline.tasks[0] as ImageBuildTask;
}

async function runBuild(task: ImageBuildTask, extra: { directives?: Record<string, string | true>; identity?: (uuid: string) => Promise<IdentityCredentials | undefined>; inputs?: Record<string, string> } = {}) {
  const ctx = fakeContext(task, {
    config,
    ...(extra.directives ? { directives: extra.directives } : {}),
    ...(extra.identity ? { identity: extra.identity } : {}),
    ...(extra.inputs ? { inputs: extra.inputs } : {}),
    pipelineId: "images",
  });
  ctx.runtimes.images = async () => engine;
  try {
    const outcome = await imageBuildHandler.run(ctx);
    return { outcome, logs: ctx.logs, outputsDir: ctx.paths.outputs, ctx };
  } catch (err) {
    (err as { logs?: unknown }).logs = ctx.logs;
    throw err;
  } finally {
    if (!extra.inputs?.KEEP) await ctx.cleanup();
  }
}

const lines = (logs: { line: string }[]) => logs.map((l) => l.line).join("\n");

describe("image_build from git to a registry", () => {
  it("builds a public GitHub-style repository with a build arg, pushes it with inline credentials, and the registry holds the digest it reports", async () => {
    const task = buildTask({
      context: { type: "github", url: "lab/hello", branch: "main" },
      destination: { type: "dockerhub", url: "lab/hello", tag: "v1", credentials: { username: registry.username, token: registry.password } },
      build_args: { GREETING: "hello from cairn" },
    });
    const { outcome, logs } = await runBuild(task);
    const reference = `${registry.host}/lab/hello:v1`;
    expect(outcome.outputs).toMatchObject({ image: reference, tag: "v1", digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), image_id: expect.stringMatching(/^sha256:/) });
    expect(await registry.manifestDigest("lab/hello", "v1")).toBe(outcome.outputs!.digest);
    expect(lines(logs)).toContain(`checked out ${git.url}/lab/hello.git at ${publicSha} (main)`);
    expect(logs.filter((l) => l.stream === "stdout").map((l) => l.line)).toContainEqual(expect.stringMatching(/STEP \d+\/\d+: RUN echo/));
    expect(lines(logs)).not.toContain(registry.password);

    // Pulled back after removing the local copy: the same image.
    // The engine held the registry's name only while pushing: it keeps the image under the group's own name.
    expect(await engine.inspect(reference)).toBeUndefined();
    expect((await engine.inspect(`localhost/cairn/local/${registry.host.replace(":", "-")}/lab/hello:v1`))?.id).toBe(outcome.outputs!.image_id);
    const pulled = await engine.pull(reference, () => {}, { login: { username: registry.username, secret: registry.password, registry: registry.host }, insecure: true });
    expect(pulled).toBe(outcome.outputs!.image_id);
    const run = execFileSync("podman", ["run", "--rm", reference], { encoding: "utf8" });
    expect(run.trim()).toBe("hello from cairn");
  });

  it("clones a private repository with an identity, from a sub_path and build_file_path, tagged by the commit_destination directive", async () => {
    const identities: Record<string, IdentityCredentials> = {
      "6f1f0d4e-1a53-4c6e-9d55-3b3f6a1e0001": { type: "github", host: "github.com", credentials: { username: git.username, personal_access_token: git.password } },
      "6f1f0d4e-1a53-4c6e-9d55-3b3f6a1e0002": { type: "dockerhub", host: "docker.io", credentials: { username: registry.username, token: registry.password } },
    };
    const task = buildTask({
      context: { type: "github", url: "lab/secret-tool", sub_path: "docker", build_file_path: "Dockerfile.tool", visibility: "private", identity_uuid: "6f1f0d4e-1a53-4c6e-9d55-3b3f6a1e0001" },
      destination: { type: "dockerhub", url: "lab/secret-tool", identity_uuid: "6f1f0d4e-1a53-4c6e-9d55-3b3f6a1e0002" },
    });
    const { outcome, logs } = await runBuild(task, { directives: { commit_destination: true }, identity: async (uuid) => identities[uuid] });
    expect(outcome.outputs!.tag).toBe(privateSha.slice(0, 7));
    expect(await registry.manifestDigest("lab/secret-tool", privateSha.slice(0, 7))).toBe(outcome.outputs!.digest);
    expect(lines(logs)).not.toContain(git.password);
  });

  it("fails clearly without credentials for a private repository, and with a wrong password for the registry", async () => {
    const noCredentials = buildTask({ context: { type: "github", url: "lab/secret-tool", sub_path: "docker" }, destination: { type: "local" } });
    await expect(runBuild(noCredentials)).rejects.toThrow(/the git server refused to let .*lab\/secret-tool\.git be cloned with no credentials/);

    const wrongPassword = buildTask({
      context: { type: "github", url: "lab/hello" },
      destination: { type: "registry", host: registry.host, url: "lab/hello", tag: "denied", credentials: { username: registry.username, password: "not-the-password" } },
    });
    const failure = await runBuild(wrongPassword).catch((err: unknown) => err);
    expect(failure).toMatchObject({
      name: "TaskFailure",
      retryable: false,
      message: expect.stringMatching(new RegExp(`the registry ${registry.host} refused the push of '${registry.host}/lab/hello:denied' with the credentials of '${registry.username}' \\(unauthorized\\)`)),
    });
    expect(await registry.manifestDigest("lab/hello", "denied")).toBeUndefined();
  });

  it("refuses a plain-HTTP registry that is not listed in CAIRN_INSECURE_REGISTRIES", async () => {
    const task = buildTask({
      context: { type: "inline", dockerfile: `FROM ${BASE}\n` },
      destination: { type: "registry", host: registry.host, url: "lab/tls", credentials: { username: registry.username, password: registry.password } },
    });
    const strict = config;
    config = { ...strict, insecureRegistries: [] };
    try {
      await expect(runBuild(task)).rejects.toThrow(/speaks plain HTTP; list it in CAIRN_INSECURE_REGISTRIES/);
    } finally {
      config = strict;
    }
  });
});

describe("FROM images from plain-HTTP registries", () => {
  const privateBase = () => `${registry.host}/cairn-int-from/base:1`;
  const openBase = () => `${openRegistry.host}/cairn-int-from/base:1`;

  // Each registry holds the busybox image, and the engine has neither copy: the build must pull it.
  beforeAll(() => {
    for (const [reference, creds] of [[privateBase(), `${registry.username}:${registry.password}`], [openBase(), undefined]] as const) {
      execFileSync("podman", ["tag", BASE, reference]);
      execFileSync("podman", ["push", "--quiet", "--tls-verify=false", ...(creds ? ["--creds", creds] : []), reference], { stdio: "ignore" });
    }
  });
  const forget = (...references: string[]) => execFileSync("podman", ["rmi", "--force", "--ignore", ...references], { stdio: "ignore" });

  it("builds FROM a private image of a listed plain-HTTP registry with the destination's login, and pushes there", async () => {
    forget(privateBase());
    const task = buildTask({
      context: { type: "inline", dockerfile: `FROM ${privateBase()}\nRUN echo derived > /derived\n` },
      destination: { type: "registry", host: registry.host, url: "lab/derived", tag: "d1", credentials: { username: registry.username, password: registry.password } },
    });
    const { outcome, logs } = await runBuild(task);
    expect(lines(logs)).toContain(`pulling the base image ${privateBase()} from ${registry.host} over plain HTTP (CAIRN_INSECURE_REGISTRIES) as '${registry.username}'`);
    expect(await registry.manifestDigest("lab/derived", "d1")).toBe(outcome.outputs!.digest);
    expect(execFileSync("podman", ["run", "--rm", outcome.outputs!.image_id!, "cat", "/derived"], { encoding: "utf8" })).toBe("derived\n");
  });

  it("builds FROM an image of a listed plain-HTTP registry that needs no login", async () => {
    forget(openBase());
    const task = buildTask({ context: { type: "inline", dockerfile: `FROM ${openBase()}\nRUN echo open > /open\n` }, destination: { type: "local", url: "cairn-int-from/open", tag: "o1" } });
    const { outcome } = await runBuild(task);
    expect(execFileSync("podman", ["run", "--rm", outcome.outputs!.image!, "cat", "/open"], { encoding: "utf8" })).toBe("open\n");
  });

  it("fails a private FROM image without credentials as a build failure naming the registry's refusal", async () => {
    forget(privateBase());
    const task = buildTask({ context: { type: "inline", dockerfile: `FROM ${privateBase()}\n` }, destination: { type: "local", url: "cairn-int-from/denied" } });
    await expect(runBuild(task)).rejects.toMatchObject({
      name: "BuildFailure",
      retryable: false,
      message: expect.stringContaining(`the base image ${privateBase()}: the registry ${registry.host} refused the pull of '${privateBase()}' with no credentials (unauthorized)`),
    });
  });

  it("refuses a FROM image of a plain-HTTP registry that is not in CAIRN_INSECURE_REGISTRIES, naming both", async () => {
    forget(openBase());
    const task = buildTask({ context: { type: "inline", dockerfile: `FROM ${openBase()}\n` }, destination: { type: "local", url: "cairn-int-from/unlisted" } });
    const listed = config;
    // Reachable (CAIRN_EGRESS_ALLOW), only not listed as plain HTTP.
    config = { ...listed, insecureRegistries: [registry.host], egressAllow: parseEgressAllow(openRegistry.host) };
    try {
      await expect(runBuild(task)).rejects.toMatchObject({
        name: "TaskFailure",
        retryable: false,
        message: expect.stringContaining(`the registry ${openRegistry.host} of a FROM image speaks plain HTTP; list it in CAIRN_INSECURE_REGISTRIES to allow that`),
      });
    } finally {
      config = listed;
    }
    expect(await engine.inspect(openBase())).toBeUndefined();
  });
});

describe("image_build contexts, cache and local destinations", () => {
  it("builds an inline Dockerfile with attachments and a target stage, keeps it locally and saves an archive output", async () => {
    const task = buildTask({
      context: {
        type: "inline",
        dockerfile: `FROM ${BASE} AS base\nCOPY data/msg.txt /msg.txt\nFROM base AS final\nCMD ["cat", "/msg.txt"]\nFROM base AS other\nRUN false\n`,
        attachments: { "data/msg.txt": Buffer.from("attached\n").toString("base64") },
      },
      destination: { type: "local", url: "cairn-int-inline/tool", tag: "t1", filename: "image.tar" },
      target: "final",
    });
    const ctx = fakeContext(task, { config, pipelineId: "images" });
    ctx.runtimes.images = async () => engine;
    try {
      const outcome = await imageBuildHandler.run(ctx);
      expect(outcome.outputs).toMatchObject({ image: "localhost/cairn/local/cairn-int-inline/tool:t1", tag: "t1" });
      expect(outcome.outputs!.digest).toBe(outcome.outputs!.image_id);
      expect((await stat(join(ctx.paths.outputs, "image.tar"))).size).toBeGreaterThan(100_000);
      // An OCI image layout unless archive_format says docker-archive.
      expect(await archiveFormatOf(join(ctx.paths.outputs, "image.tar"))).toBe("oci-archive");
      expect(execFileSync("podman", ["run", "--rm", "localhost/cairn/local/cairn-int-inline/tool:t1"], { encoding: "utf8" })).toBe("attached\n");
    } finally {
      await ctx.cleanup();
    }
  });

  it("reuses every layer when the context is unchanged, and rebuilds under the nocache directive", async () => {
    const task = buildTask({ context: { type: "github", url: "lab/hello" }, destination: { type: "local", url: "cairn-int-cache/hello", tag: "c" } });
    const first = await runBuild(task);
    const second = await runBuild(task);
    // Every layer the same: the image id too, unless the engine's cache offered the final
    // step of an equal build made earlier by another file (its configuration differs).
    expect(layersOf(second.outcome.outputs!.image_id!)).toEqual(layersOf(first.outcome.outputs!.image_id!));
    expect(second.logs.filter((l) => /Using cache/.test(l.line)).length).toBeGreaterThanOrEqual(2);
    const fresh = await runBuild(task, { directives: { nocache: true } });
    expect(fresh.outcome.outputs!.image_id).not.toBe(first.outcome.outputs!.image_id);
    expect(fresh.logs.some((l) => /Using cache/.test(l.line))).toBe(false);
  });

  // Pulls what the first test pushed (tests in a file run in order).
  it("pulls and retags an image from a registry context, under the custom_tag directive", async () => {
    const task = buildTask({
      context: { type: "registry", host: registry.host, url: "lab/hello", tag: "v1", visibility: "private", credentials: { username: registry.username, password: registry.password } },
      destination: { type: "local", url: "cairn-int-pulled/hello" },
    });
    const { outcome } = await runBuild(task, { directives: { custom_tag: "mirror" } });
    expect(outcome.outputs).toMatchObject({ image: "localhost/cairn/local/cairn-int-pulled/hello:mirror", tag: "mirror" });
    expect(execFileSync("podman", ["run", "--rm", "localhost/cairn/local/cairn-int-pulled/hello:mirror"], { encoding: "utf8" }).trim()).toBe("hello from cairn");
  });

  it("passes inputs as build args, and records the recipe in the catalog with a secret input masked", async () => {
    const task = buildTask({
      context: { type: "inline", dockerfile: `FROM ${BASE}\nARG LABEL\nARG TOKEN\nRUN echo "$LABEL" > /label\n` },
      destination: { type: "local", url: "cairn-int-args/x" },
      input: { LABEL: { type: "string", value: "from-input" }, TOKEN: { type: "string", value_from: { secret: "tok" } } },
    });
    const recorded: ObservedImage[] = [];
    const used: string[] = [];
    const ctx = fakeContext(task, { config, inputs: { LABEL: "from-input", TOKEN: "secret-token-value" }, recordImage: async (image) => void recorded.push(image), usedImage: (d) => void used.push(d) });
    ctx.runtimes.images = async () => engine;
    try {
      const outcome = await imageBuildHandler.run(ctx);
      expect(execFileSync("podman", ["run", "--rm", outcome.outputs!.image!, "cat", "/label"], { encoding: "utf8" })).toBe("from-input\n");
      expect(used).toEqual([outcome.outputs!.image_id]);
      expect(recorded).toEqual([
        expect.objectContaining({
          digest: outcome.outputs!.image_id,
          origin: "built",
          builder: "kaniko",
          engine: expect.stringMatching(/^Podman Engine \d/),
          recipe: expect.objectContaining({ source: "inline", buildArgs: { LABEL: "from-input", TOKEN: "***" }, dockerfileSha256: expect.stringMatching(/^sha256:/) }),
        }),
      ]);
    } finally {
      await ctx.cleanup();
    }
  });

  it("fails a broken recipe as a build failure that is not retried, with the engine's reason", async () => {
    const task = buildTask({ context: { type: "inline", dockerfile: `FROM ${BASE}\nRUN exit 3\n` }, destination: { type: "local", url: "cairn-int-broken/x" } });
    await expect(runBuild(task)).rejects.toMatchObject({ name: "BuildFailure", retryable: false, message: expect.stringContaining("the image build failed") });
  });

  it("refuses registries on internal addresses (the egress policy) before the engine reaches them", async () => {
    const pull = buildTask({ context: { type: "registry", host: "169.254.169.254", url: "lab/x" }, destination: { type: "local", url: "cairn-int-egress/pull" } });
    await expect(runBuild(pull)).rejects.toMatchObject({
      name: "EgressRefused",
      message: "pull of 169.254.169.254/lab/x:latest (context) refused: 169.254.169.254 is a cloud metadata address; an operator may allow it with CAIRN_EGRESS_ALLOW",
    });
    const push = buildTask({ context: { type: "inline", dockerfile: `FROM ${BASE}\n` }, destination: { type: "registry", host: "10.0.0.1:5000", url: "lab/x" } });
    await expect(runBuild(push)).rejects.toMatchObject({ name: "EgressRefused", message: expect.stringContaining("push to 10.0.0.1:5000 (destination) refused: 10.0.0.1 is a private address") });
    const from = buildTask({ context: { type: "inline", dockerfile: "FROM 127.0.0.1:1/lab/missing:v1\n" }, destination: { type: "local", url: "cairn-int-egress/from" } });
    await expect(runBuild(from)).rejects.toMatchObject({ name: "EgressRefused", message: expect.stringContaining("pull of the base image 127.0.0.1:1/lab/missing:v1 (FROM) refused: 127.0.0.1 is a loopback address") });
  });

  it("says the singularity builder is not available here", async () => {
    const task = buildTask({ builder: "singularity", context: { type: "inline", dockerfile: `FROM ${BASE}\n` }, destination: { type: "local" } });
    await expect(runBuild(task)).rejects.toThrow(/builder 'singularity' is not available on this server/);
  });
});

function layersOf(imageId: string): string[] {
  return JSON.parse(execFileSync("podman", ["image", "inspect", "--format", "{{json .RootFS.Layers}}", imageId], { encoding: "utf8" })) as string[];
}
