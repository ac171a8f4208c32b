import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeContext } from "../../../../test/support/fake-context.js";
import { main } from "../cli/main.js";
import { loadConfig, type CairnConfig } from "../config.js";
import { ContainerRuntime } from "../runtimes/container/container-runtime.js";
import { resolveEngine, stopPodmanService } from "../docker-api/engine-endpoint.js";
import type { ImageBuildTask } from "../spec/types.js";
import { parsePipeline } from "../spec/validate.js";
import { createStore } from "../store/create-store.js";
import { imageBuildHandler } from "../tasks/image-build/image-build-handler.js";
import { DockerImageEngine } from "./docker-image-engine.js";
import { archiveFormatOf, ociImageIdOf } from "./archive-format.js";
import { ImageCache } from "./image-cache.js";

/**
 * The materialization cache and offline mode on real Podman: an image saved by digest,
 * removed from the engine, and brought back by a container that names it; the CLI's
 * `images save`, `images load` and `doctor`.
 */

const BASE = "localhost/busybox:test";
/** The engine's name for what the build below makes: in the namespace of `cairn run`'s group "local". */
const NAME = `localhost/cairn/local/cairn-int-cache/tool:${process.pid}`;
let dataDir: string;
let config: CairnConfig;
let engine: DockerImageEngine;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cairn-image-cache-"));
  config = loadConfig({ dataDir, dockerHost: undefined, podmanSocket: join(dataDir, "podman", "podman.sock") }, {});
  engine = new DockerImageEngine((await resolveEngine(config)).docker);
  const ctx = fakeContext(buildTask({ type: "inline", dockerfile: `FROM ${BASE}\nRUN echo cached > /what\n` }, { type: "local", url: "cairn-int-cache/tool", tag: String(process.pid) }), { config });
  ctx.runtimes.images = async () => engine;
  try {
    await imageBuildHandler.run(ctx);
  } finally {
    await ctx.cleanup();
  }
});

afterAll(async () => {
  execFileSync("podman", ["rmi", "--force", NAME], { stdio: "ignore" });
  await stopPodmanService(config.podmanSocket);
  await rm(dataDir, { recursive: true, force: true });
});

function buildTask(context: unknown, destination: unknown): ImageBuildTask {
  return parsePipeline({ id: "cache", tasks: [{ id: "build", type: "image_build", builder: "podman", context, destination }] }).tasks[0] as ImageBuildTask;
}

describe("the image cache", () => {
  it("saves an image as sha256-HEX.tar once, and a container naming it loads it back after it was removed", async () => {
    const cache = new ImageCache(config.imageCacheDir);
    const first = await cache.save(engine, NAME);
    expect(first.file).toBe(join(config.imageCacheDir, `${first.digest.replace(":", "-")}.tar`));
    expect(first.written).toBe(true);
    expect((await cache.save(engine, NAME)).written).toBe(false);

    execFileSync("podman", ["rmi", "--force", NAME], { stdio: "ignore" });
    expect(await engine.inspect(NAME)).toBeUndefined();
    const runtime = await ContainerRuntime.connect(config);
    const lines: string[] = [];
    const spec = { labels: { runUuid: "cache-int", taskId: "t", executionUuid: `cache-${process.pid}`, attempt: 1 }, image: NAME, command: ["cat", "/what"], env: {}, mounts: [], network: "none" as const };
    const proc = await runtime.start(spec, (_s, line) => lines.push(line));
    expect((await proc.wait()).exitCode).toBe(0);
    await runtime.release(spec.labels.executionUuid);
    expect(lines).toEqual(["cached"]);
    expect(proc.image?.id).toBe(first.digest);
  });

  it("offline, a pull-and-retag uses the engine's or the cache's copy, and fails clearly for an image it has nowhere", async () => {
    const offline = { ...config, offline: true };
    const present = buildTask({ type: "registry", host: "registry.invalid:5000", url: "lab/tool", tag: "v1" }, { type: "local", url: "cairn-int-cache/offline" });
    const ctx = fakeContext(present, { config: offline });
    ctx.runtimes.images = async () => engine;
    try {
      await expect(imageBuildHandler.run(ctx)).rejects.toThrow(/offline mode \(CAIRN_OFFLINE\): registry.invalid:5000\/lab\/tool:v1 is neither in the container engine nor in the image cache/);
    } finally {
      await ctx.cleanup();
    }
    // NAME, given as a registry context: present in the engine (the first test loaded it back), so no pull is tried.
    const local = buildTask({ type: "registry", host: "localhost", url: "cairn/local/cairn-int-cache/tool", tag: String(process.pid) }, { type: "local", url: "cairn-int-cache/offline", tag: "copy" });
    const localCtx = fakeContext(local, { config: offline });
    localCtx.runtimes.images = async () => engine;
    try {
      const outcome = await imageBuildHandler.run(localCtx);
      expect(outcome.outputs).toMatchObject({ image: "localhost/cairn/local/cairn-int-cache/offline:copy", image_id: (await engine.inspect(NAME))!.id });
      expect(localCtx.logs.map((l) => l.line)).toContainEqual(expect.stringContaining("offline mode: using"));
    } finally {
      await localCtx.cleanup();
      execFileSync("podman", ["rmi", "localhost/cairn/local/cairn-int-cache/offline:copy"], { stdio: "ignore" });
    }
    const push = buildTask({ type: "inline", dockerfile: `FROM ${BASE}\n` }, { type: "registry", host: "registry.invalid:5000", url: "lab/tool" });
    const pushCtx = fakeContext(push, { config: offline });
    pushCtx.runtimes.images = async () => engine;
    try {
      await expect(imageBuildHandler.run(pushCtx)).rejects.toThrow(/offline mode \(CAIRN_OFFLINE\): nothing can be pushed to a registry destination/);
    } finally {
      await pushCtx.cleanup();
    }
  });

  it("offline, a build never pulls: FROM images come from the engine or the cache, a missing one fails naming it", async () => {
    const offline = { ...config, offline: true };
    const build = async (dockerfile: string, tag: string, buildArgs?: Record<string, string>) => {
      const task = parsePipeline({
        id: "cache",
        tasks: [{ id: "build", type: "image_build", builder: "podman", context: { type: "inline", dockerfile }, destination: { type: "local", url: "cairn-int-cache/offline-build", tag }, ...(buildArgs ? { build_args: buildArgs } : {}) }],
      }).tasks[0] as ImageBuildTask;
      const ctx = fakeContext(task, { config: offline });
      ctx.runtimes.images = async () => engine;
      try {
        return { outcome: await imageBuildHandler.run(ctx), logs: ctx.logs.map((l) => l.line) };
      } catch (err) {
        return { error: err as Error, logs: ctx.logs.map((l) => l.line) };
      } finally {
        await ctx.cleanup();
      }
    };
    const missing = "localhost/cairn-int-cache/missing-base:1";
    let began = Date.now();
    const refused = await build(`FROM ${BASE} AS first\nFROM ${missing}\nRUN true\n`, "a");
    expect(refused.error?.message).toMatch(/^offline mode \(CAIRN_OFFLINE\): the base image localhost\/cairn-int-cache\/missing-base:1 is neither in the container engine nor in the image cache/);
    expect(Date.now() - began).toBeLessThan(3000);

    // A FROM Cairn cannot read (`:+` is Buildah's, not Cairn's): the engine is told never to pull.
    began = Date.now();
    const hidden = await build(`ARG B\nFROM \${B:+${missing}}\n`, "b", { B: "1" });
    expect(hidden.error?.message).toMatch(/^offline mode \(CAIRN_OFFLINE\): a base image of the build is not in the container engine, and nothing is pulled: .*image not known/);
    expect(hidden.logs.join("\n")).not.toMatch(/Trying to pull/);
    expect(Date.now() - began).toBeLessThan(5000);

    // A base only the cache has is loaded from it, and the build runs without pulling.
    await new ImageCache(config.imageCacheDir).save(engine, NAME);
    execFileSync("podman", ["rmi", "--force", NAME], { stdio: "ignore" });
    const built = await build(`ARG BASE=${NAME}\nFROM \${BASE}\nRUN cat /what\n`, "c");
    expect(built.error).toBeUndefined();
    expect(built.logs).toContainEqual(expect.stringMatching(new RegExp(`^offline mode: base image ${NAME.replace(/[.]/g, "\\.")} \\(sha256:`)));
    expect(built.logs.join("\n")).not.toMatch(/Trying to pull/);
    expect(await engine.inspect(NAME)).toBeDefined();
    execFileSync("podman", ["rmi", "localhost/cairn/local/cairn-int-cache/offline-build:c"], { stdio: "ignore" });
  });

  it("cairn images save / load and cairn doctor", async () => {
    let out = "";
    let err = "";
    const io = [{ write: (t: string) => void (out += t) }, { write: (t: string) => void (err += t) }] as const;
    expect(await main(["--data-dir", dataDir, "--json", "images", "save", NAME], ...io), err).toBe(0);
    const saved = JSON.parse(out);
    execFileSync("podman", ["rmi", "--force", NAME], { stdio: "ignore" });
    out = "";
    expect(await main(["--data-dir", dataDir, "--json", "images", "load", saved.file], ...io), err).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ digest: saved.digest, names: [NAME] });
    expect((await readdir(config.imageCacheDir)).filter((f) => f.endsWith(".tar"))).toEqual([`${saved.digest.replace(":", "-")}.tar`]);
    const store = await createStore({ sqlitePath: join(dataDir, "cairn.db") });
    try {
      expect(await store.images.resolveImage("local", NAME)).toMatchObject({ digest: saved.digest, origin: "loaded", architecture: expect.any(String) });
    } finally {
      await store.close();
    }
    out = "";
    expect(await main(["--data-dir", dataDir, "doctor"], ...io), err).toBe(0);
    expect(out).toMatch(/^engine: Podman Engine \d[^\n]* linux\/\w+, at unix:\/\//);
  });

  it("exports an image as an OCI archive or a docker archive, and loads either back with its id and name", async () => {
    const id = (await engine.inspect(NAME))!.id;
    // The docker archive first: its round trip keeps the id; the OCI one then converts.
    for (const format of ["docker-archive", "oci-archive"] as const) {
      const file = join(dataDir, `export.${format}.tar`);
      await engine.save(NAME, file, format);
      expect(await archiveFormatOf(file)).toBe(format);
      const entries = execFileSync("tar", ["tf", file], { encoding: "utf8" }).split("\n");
      if (format === "oci-archive") expect(entries).toEqual(expect.arrayContaining(["oci-layout", "index.json", expect.stringMatching(/^blobs\/sha256\/[0-9a-f]{64}$/)]));
      else expect(entries).toContain("manifest.json");
      // Built by Podman's compatible /build, the image is in Docker's format: its OCI copy
      // has a rewritten configuration, hence another id, which the archive itself names.
      const expected = format === "oci-archive" ? await ociImageIdOf(file) : id;
      expect(expected).toMatch(/^sha256:[0-9a-f]{64}$/);
      execFileSync("podman", ["rmi", "--force", NAME], { stdio: "ignore" });
      const loaded = await new ImageCache(config.imageCacheDir).load(engine, file);
      expect(loaded).toMatchObject({ digest: expected, names: [NAME] });
      // Same layers either way: only the configuration's format differs.
      expect(execFileSync("podman", ["run", "--rm", NAME, "cat", "/what"], { encoding: "utf8" })).toBe("cached\n");
      if (format === "oci-archive") {
        // Saved again as OCI, it stays the same image: the OCI round trip is exact.
        const again = join(dataDir, "export.again.tar");
        await engine.save(NAME, again, "oci-archive");
        expect(await ociImageIdOf(again)).toBe(expected);
      }
    }

    // The CLI, into the cache: named by digest, the layout in the name, found again by name.
    let out = "";
    const io = [{ write: (t: string) => void (out += t) }, { write: () => undefined }] as const;
    expect(await main(["--data-dir", dataDir, "--json", "images", "save", "--format", "oci-archive", NAME], ...io)).toBe(0);
    const saved = JSON.parse(out);
    const ociId = await ociImageIdOf(saved.file);
    expect(saved).toMatchObject({ digest: ociId, format: "oci-archive", file: join(config.imageCacheDir, `${ociId!.replace(":", "-")}.oci.tar`) });
    expect(await archiveFormatOf(saved.file)).toBe("oci-archive");
    out = "";
    expect(await main(["--data-dir", dataDir, "--json", "images", "load", saved.file], ...io)).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ digest: ociId, format: "oci-archive", file: saved.file });
    expect(await new ImageCache(config.imageCacheDir).find(NAME)).toBe(saved.file);
    expect(await main(["--data-dir", dataDir, "images", "save", "--format", "zip", NAME], ...io)).toBe(2);
  });
});
