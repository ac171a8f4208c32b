import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeContext, type FakeContext } from "../../../../../test/support/fake-context.js";
import { FakeRuntime, type FakeBehaviour } from "../../../../../test/support/fake-runtime.js";
import { loadConfig } from "../../config.js";
import { CairnError, TaskFailure } from "../../errors.js";
import type { ProcessSpec } from "../../runtimes/runtime.js";
import { DEFAULT_EXECUTION_PROFILE, type FunctionTask } from "../../spec/types.js";
import { CONTEXT_LIBRARY_DIR } from "./context-library.js";
import { functionHandler } from "./function-handler.js";
import { packageCacheKey, packageCacheRoot, type PackageSet } from "./package-cache.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

function fnTask(fields: Partial<FunctionTask>): FunctionTask {
  return { id: "fn", type: "function", depends_on: [], execution_profile: {}, input: {}, output: {}, runtime: "python3", code: b64("print(1)"), packages: [], inject_api_token: false, ...fields };
}

const images = { python: "localhost/py:test", node: "localhost/node:test", bash: "localhost/bash:test" };
const contexts: FakeContext<FunctionTask>[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.cleanup()));
});

/** A context whose host and container runtimes are both fakes; `where` picks the profile's runtime. */
function setup(task: FunctionTask, where: "host" | "container", behaviour?: FakeBehaviour, dataDir?: string) {
  const host = new FakeRuntime("host", behaviour);
  const container = new FakeRuntime("container", behaviour);
  const ctx = fakeContext(task, {
    profile: { ...DEFAULT_EXECUTION_PROFILE, runtime: where },
    runtimes: { host, container: async () => container },
    inputs: { NAME: "ada" },
  });
  ctx.config = loadConfig({ dataDir: dataDir ?? join(ctx.tmp, "data"), functionImages: images, pipFindLinks: undefined }, {});
  contexts.push(ctx);
  return { ctx, runtime: where === "host" ? host : container };
}

const isInstall = (s: ProcessSpec) => s.labels.executionUuid.endsWith("-install");

/** Where the host keeps the code the process runs: the folder of its code file, or what /cairn/code mounts. */
function hostCodeDir(spec: ProcessSpec): string {
  const mount = spec.mounts.find((m) => m.containerPath === "/cairn/code");
  return mount?.hostPath ?? dirname(spec.command![1]!);
}

/** Pretends to be pip/npm: makes the target dir look installed. */
const fakeInstaller: FakeBehaviour = (spec) => {
  if (!isInstall(spec)) return 0;
  const cmd = spec.command!;
  const flag = cmd.includes("--target") ? "--target" : "--prefix";
  const target = cmd[cmd.indexOf(flag) + 1]!;
  const hostTarget = spec.mounts.find((m) => m.containerPath === target)?.hostPath ?? target;
  if (cmd[0] === "npm") mkdirSync(join(hostTarget, "node_modules", "leftpad"), { recursive: true });
  else writeFileSync(join(hostTarget, "pkg.py"), "");
  return 0;
};

describe("functionHandler: the process it starts", () => {
  it("python on the host: interpreter from PATH, the context library on PYTHONPATH, real paths", async () => {
    const { ctx, runtime } = setup(fnTask({ code: b64("print('hi')") }), "host");
    await expect(functionHandler.run(ctx)).resolves.toEqual({ exitCode: 0 });
    const [spec] = runtime.started;
    const code = hostCodeDir(spec!);
    expect(dirname(code)).toBe(join(ctx.config.dataDir, "runs", ctx.runUuid, ".code"));
    expect(spec!.command).toEqual(["python3", join(code, "main.py")]);
    expect(readFileSync(join(code, "main.py"), "utf8")).toBe("print('hi')");
    expect(spec!.env).toMatchObject({ NAME: "ada", PYTHONPATH: `${CONTEXT_LIBRARY_DIR}/python`, CAIRN_OUTPUTS_DIR: ctx.paths.outputs });
    expect(spec!.workingDir).toBe(join(ctx.paths.root, "work"));
    expect(spec!.image).toBeUndefined();
    expect(ctx.startedHandles).toEqual(["fake-1"]);
  });

  it("the family's default image is pulled like any task's when the engine lacks it, and run by its canonical name", async () => {
    const { ctx, runtime } = setup(fnTask({}), "container");
    ctx.config = loadConfig({ dataDir: join(ctx.tmp, "data"), functionImages: { ...images, python: "python:3.12-slim" }, pipFindLinks: undefined }, {});
    const held = new Set<string>();
    const pulled: string[] = [];
    const engine = {
      inspect: async (image: string) => (held.has(image) ? { id: `sha256:${"e".repeat(64)}`, repoTags: [image], repoDigests: [], created: "", architecture: "amd64", os: "linux", size: 1 } : undefined),
      pull: async (reference: string) => {
        pulled.push(reference);
        held.add(reference);
        return `sha256:${"e".repeat(64)}`;
      },
      identify: async () => ({ name: "Podman Engine", version: "4.3.1" }),
      skipsTlsOnItsOwn: async () => false,
    };
    ctx.runtimes.images = async () => engine as never;
    await functionHandler.run(ctx);
    expect(pulled).toEqual(["docker.io/library/python:3.12-slim"]);
    expect(runtime.started[0]!.image).toBe("docker.io/library/python:3.12-slim");
  });

  it("python in a container: the family's image, code and library mounted read-only at /cairn", async () => {
    const { ctx, runtime } = setup(fnTask({ runtime: "python3" }), "container");
    await functionHandler.run(ctx);
    const [spec] = runtime.started;
    expect(spec!.image).toBe(images.python);
    expect(spec!.command).toEqual(["python3", "/cairn/code/main.py"]);
    expect(spec!.env).toMatchObject({ PYTHONPATH: "/cairn/lib/python", CAIRN_INPUTS_DIR: "/cairn/inputs", CAIRN_OUTPUTS_DIR: "/cairn/outputs" });
    expect(spec!.workingDir).toBe("/cairn/work");
    expect(spec!.mounts).toEqual(
      expect.arrayContaining([
        { hostPath: hostCodeDir(spec!), containerPath: "/cairn/code", readOnly: true },
        { hostPath: CONTEXT_LIBRARY_DIR, containerPath: "/cairn/lib", readOnly: true },
        { hostPath: join(ctx.paths.root, "work"), containerPath: "/cairn/work", readOnly: false },
        { hostPath: ctx.paths.inputs, containerPath: "/cairn/inputs", readOnly: true },
        { hostPath: ctx.paths.outputs, containerPath: "/cairn/outputs", readOnly: false },
      ]),
    );
  });

  it("versioned runtimes: the version's own image, run by a version check first", async () => {
    const python = setup(fnTask({ runtime: "python3.9" }), "container");
    await functionHandler.run(python.ctx);
    expect(python.runtime.started[0]!.image).toBe("docker.io/library/python:3.9-slim");
    expect(python.runtime.started[0]!.command).toEqual(["sh", "-c", expect.stringContaining("command -v python3.9"), "sh", "/cairn/code/main.py"]);
    const node = setup(fnTask({ runtime: "node20", code: b64("export {}") }), "container");
    await functionHandler.run(node.ctx);
    expect(node.runtime.started[0]!.image).toBe("docker.io/library/node:20-slim");
    expect(node.runtime.started[0]!.command).toEqual(["node", "/cairn/code/launch.mjs"]);
  });

  it("node in a container: an ES module, with cairn-context linked where ESM import finds it", async () => {
    const { ctx, runtime } = setup(fnTask({ runtime: "node", code: b64("export {}") }), "container");
    await functionHandler.run(ctx);
    const [spec] = runtime.started;
    expect(spec!.image).toBe(images.node);
    expect(spec!.command).toEqual(["node", "/cairn/code/main.mjs"]);
    expect(spec!.env.NODE_PATH).toBe("/cairn/lib/node");
    expect(readlinkSync(join(hostCodeDir(spec!), "node_modules", "cairn-context"))).toBe("/cairn/lib/node/cairn-context");
  });

  it("node on the host links the library's real path", async () => {
    const { ctx, runtime } = setup(fnTask({ runtime: "node" }), "host");
    await functionHandler.run(ctx);
    expect(readlinkSync(join(hostCodeDir(runtime.started[0]!), "node_modules", "cairn-context"))).toBe(`${CONTEXT_LIBRARY_DIR}/node/cairn-context`);
  });

  it("bash runs main.sh with bash", async () => {
    const { ctx, runtime } = setup(fnTask({ runtime: "bash", code: b64("echo hi") }), "container");
    await functionHandler.run(ctx);
    expect(runtime.started[0]!.command).toEqual(["bash", "/cairn/code/main.sh"]);
    expect(runtime.started[0]!.image).toBe(images.bash);
  });

  it("`command` runs first, in the same process, through a wrapper script", async () => {
    const { ctx, runtime } = setup(fnTask({ command: "mkdir -p /tmp/x && export FOO=1" }), "container");
    await functionHandler.run(ctx);
    expect(runtime.started[0]!.command).toEqual(["sh", "/cairn/code/run.sh"]);
    expect(readFileSync(join(hostCodeDir(runtime.started[0]!), "run.sh"), "utf8")).toBe("set -e\nmkdir -p /tmp/x && export FOO=1\nexec python3 /cairn/code/main.py\n");
  });

  it("refuses what cannot work without starting anything, and not as retryable", async () => {
    for (const task of [fnTask({ runtime: "ruby" }), fnTask({ runtime: "bash", packages: ["jq"] }), fnTask({ runtime: "node", installer: "pip", packages: ["x"] })]) {
      const { ctx, runtime } = setup(task, "container");
      const err = await functionHandler.run(ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailure);
      expect((err as TaskFailure).retryable).toBe(false);
      expect(runtime.started).toEqual([]);
    }
  });
});

describe("functionHandler: packages", () => {
  it("installs a set once in a container of the same image, then mounts it read-only on every later run", async () => {
    const first = setup(fnTask({ packages: ["b", "a"] }), "container", fakeInstaller);
    await functionHandler.run(first.ctx);
    const [install, run] = first.runtime.started;
    expect(isInstall(install!)).toBe(true);
    expect(install!.image).toBe(images.python);
    expect(install!.command!.slice(0, 6)).toEqual(["python3", "-m", "pip", "install", "--target", "/cairn/packages-install"]);
    expect(install!.command!.slice(-2)).toEqual(["b", "a"]);
    expect(first.runtime.released).toContain(install!.labels.executionUuid);

    const key = packageCacheKey({ family: "python", installer: "pip", packages: ["a", "b"], where: images.python });
    const dir = join(packageCacheRoot(first.ctx.config.dataDir), key);
    expect(existsSync(join(dir, ".complete"))).toBe(true);
    expect(existsSync(join(dir, "pkg.py"))).toBe(true);
    expect(run!.mounts).toContainEqual({ hostPath: dir, containerPath: "/cairn/packages", readOnly: true });
    expect(run!.env.PYTHONPATH).toBe("/cairn/lib/python:/cairn/packages");
    expect(first.ctx.logs.map((l) => l.line)).toContain(`packages: installing b, a with pip (cache ${key})`);

    const second = setup(fnTask({ packages: ["a", "b"] }), "container", fakeInstaller, first.ctx.config.dataDir);
    await functionHandler.run(second.ctx);
    expect(second.runtime.started.filter(isInstall)).toEqual([]);
    expect(second.ctx.logs.map((l) => l.line)).toContain(`packages: cache hit ${key}`);
  });

  it("two attempts with the same set at once install it once", async () => {
    const a = setup(fnTask({ packages: ["x"] }), "host", fakeInstaller);
    const b = setup(fnTask({ packages: ["x"] }), "host", fakeInstaller, a.ctx.config.dataDir);
    await Promise.all([functionHandler.run(a.ctx), functionHandler.run(b.ctx)]);
    expect([...a.runtime.started, ...b.runtime.started].filter(isInstall)).toHaveLength(1);
  });

  it("npm on the host: installs with --prefix and links each package into the code's node_modules", async () => {
    const { ctx, runtime } = setup(fnTask({ runtime: "node", packages: ["leftpad"] }), "host", fakeInstaller);
    await functionHandler.run(ctx);
    const install = runtime.started.find(isInstall)!;
    expect(install.command!.slice(0, 2)).toEqual(["npm", "install"]);
    const key = packageCacheKey({ family: "node", installer: "npm", packages: ["leftpad"], where: "host" });
    const dir = join(packageCacheRoot(ctx.config.dataDir), key);
    const run = runtime.started.find((s) => !isInstall(s))!;
    expect(run.env.NODE_PATH).toBe(`${CONTEXT_LIBRARY_DIR}/node:${dir}/node_modules`);
    expect(readlinkSync(join(hostCodeDir(run), "node_modules", "leftpad"))).toBe(`${dir}/node_modules/leftpad`);
  });

  it("a failed install is a non-retryable TaskFailure quoting the installer's last lines, and nothing is cached", async () => {
    const failing: FakeBehaviour = (spec, log) => {
      if (!isInstall(spec)) return 0;
      log("ERROR: No matching distribution found for nope");
      return 1;
    };
    const { ctx, runtime } = setup(fnTask({ packages: ["nope"] }), "host", failing);
    const err = await functionHandler.run(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailure);
    expect(err).toMatchObject({ retryable: false });
    expect((err as Error).message).toBe("installing packages [nope] with pip failed (exit 1):\nERROR: No matching distribution found for nope");
    expect(runtime.started.filter((s) => !isInstall(s))).toEqual([]);
    expect(ctx.logs).toContainEqual({ stream: "system", line: "install: ERROR: No matching distribution found for nope" });
    const root = packageCacheRoot(ctx.config.dataDir);
    expect(readdirSync(root)).toEqual([]);
  });

  it("a cancel during the install kills the installer and caches nothing", async () => {
    const { ctx, runtime } = setup(fnTask({ packages: ["slow"] }), "host", (spec) => (isInstall(spec) ? "hang" : 0));
    const reason = new CairnError("cancelled", "run cancelled");
    const running = functionHandler.run(ctx);
    await vi.waitFor(() => expect(runtime.processes).toHaveLength(1));
    ctx.controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(runtime.processes[0]!.killCalls).toBe(1);
    expect(readdirSync(packageCacheRoot(ctx.config.dataDir))).toEqual([]);
  });

  it("writes through no link an installer left at the marker's name, and lists no node_modules that is a link", async () => {
    const victim = join(tmpdir(), `cairn-victim-${process.pid}-${Date.now()}`);
    writeFileSync(victim, "the server's own file");
    try {
      const marking: FakeBehaviour = (spec) => {
        if (!isInstall(spec)) return 0;
        const cmd = spec.command!;
        symlinkSync(victim, join(cmd[cmd.indexOf("--target") + 1]!, ".complete"));
        return 0;
      };
      const { ctx } = setup(fnTask({ packages: ["evil"] }), "host", marking);
      await expect(functionHandler.run(ctx)).rejects.toMatchObject({ name: "TaskFailure", retryable: false, message: expect.stringContaining("left a file named '.complete'") });
      expect(readFileSync(victim, "utf8")).toBe("the server's own file");
      expect(readdirSync(packageCacheRoot(ctx.config.dataDir))).toEqual([]);
    } finally {
      rmSync(victim, { force: true });
    }

    const secretDir = mkdtempSync(join(tmpdir(), "cairn-secret-names-"));
    try {
      writeFileSync(join(secretDir, "secret-name-of-the-server"), "");
      const linking: FakeBehaviour = (spec) => {
        if (!isInstall(spec)) return 0;
        const cmd = spec.command!;
        symlinkSync(secretDir, join(cmd[cmd.indexOf("--prefix") + 1]!, "node_modules"));
        return 0;
      };
      const { ctx, runtime } = setup(fnTask({ runtime: "node", packages: ["leftpad"] }), "host", linking);
      await functionHandler.run(ctx);
      const run = runtime.started.find((s) => !isInstall(s))!;
      expect(readdirSync(join(hostCodeDir(run), "node_modules"))).toEqual(["cairn-context"]);
    } finally {
      rmSync(secretDir, { recursive: true, force: true });
    }
  });

  it("refuses a package that looks like an installer option", async () => {
    const { ctx, runtime } = setup(fnTask({ packages: ["--index-url=http://evil"] }), "host", fakeInstaller);
    await expect(functionHandler.run(ctx)).rejects.toMatchObject({ name: "TaskFailure", retryable: false });
    expect(runtime.started).toEqual([]);
  });
});

describe("packageCacheKey", () => {
  const base: PackageSet = { family: "python", installer: "pip", packages: ["numpy", "requests==2.31"], where: "host" };

  it("is 16 hex characters and stable", () => {
    expect(packageCacheKey(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(packageCacheKey({ ...base })).toBe(packageCacheKey(base));
  });

  it("ignores the order and repetition of packages", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 6 }), fc.integer(), (packages, seed) => {
        const shuffled = [...packages].sort((x, y) => ((x + seed).localeCompare(y + seed))).concat(packages[0]!);
        expect(packageCacheKey({ ...base, packages: shuffled })).toBe(packageCacheKey({ ...base, packages }));
      }),
    );
  });

  it("differs when the packages, installer, family or place differ", () => {
    const keys = new Set([
      packageCacheKey(base),
      packageCacheKey({ ...base, packages: ["numpy"] }),
      packageCacheKey({ ...base, family: "node", installer: "npm" }),
      packageCacheKey({ ...base, where: "localhost/cairn-runtime:bookworm" }),
    ]);
    expect(keys.size).toBe(4);
  });
});

describe("functionHandler: the code folder a run's attempts share", () => {
  /** Two attempts of one run (same data dir and run uuid), each with its own attempt folder. */
  function twoAttempts(a: FunctionTask, b: FunctionTask, where: "host" | "container" = "host") {
    const first = setup(a, where);
    const second = setup(b, where, undefined, first.ctx.config.dataDir);
    second.ctx.runUuid = first.ctx.runUuid;
    return [first, second] as const;
  }

  it("is written once for attempts that run the same code, read-only, with no draft left", async () => {
    const [a, b] = twoAttempts(fnTask({ id: "a", runtime: "bash", code: b64("echo same") }), fnTask({ id: "b", runtime: "bash", code: b64("echo same") }));
    await Promise.all([functionHandler.run(a.ctx), functionHandler.run(b.ctx)]);
    const codeA = hostCodeDir(a.runtime.started[0]!);
    expect(hostCodeDir(b.runtime.started[0]!)).toBe(codeA);
    expect(readdirSync(dirname(codeA))).toEqual([basename(codeA)]);
    expect(statSync(join(codeA, "main.sh")).mode & 0o222).toBe(0);
    // Readable by a container's process of another user, as the folder was before it was shared.
    expect(statSync(codeA).mode & 0o777).toBe(0o755);
    expect(statSync(join(codeA, "main.sh")).mode & 0o444).toBe(0o444);
    expect(readFileSync(join(codeA, "main.sh"), "utf8")).toBe("echo same");
  });

  it("differs when the code, the command or the runtime differs", async () => {
    const base = setup(fnTask({ runtime: "bash", code: b64("echo one") }), "host");
    const again = (task: FunctionTask, where: "host" | "container") => {
      const other = setup(task, where, undefined, base.ctx.config.dataDir);
      other.ctx.runUuid = base.ctx.runUuid;
      return other;
    };
    const attempts = [
      base,
      again(fnTask({ runtime: "bash", code: b64("echo two") }), "host"),
      again(fnTask({ runtime: "bash", code: b64("echo two"), command: "export X=1" }), "host"),
      again(fnTask({ runtime: "bash", code: b64("echo one") }), "container"),
    ];
    const dirs: string[] = [];
    for (const { ctx, runtime } of attempts) {
      await functionHandler.run(ctx);
      dirs.push(hostCodeDir(runtime.started[0]!));
    }
    expect(new Set(dirs).size).toBe(4);
    expect(readFileSync(join(dirs[2]!, "run.sh"), "utf8")).toBe(`set -e\nexport X=1\nexec bash ${dirs[2]}/main.sh\n`);
  });

  it("leaves each attempt only its own work folder", async () => {
    const { ctx } = setup(fnTask({ runtime: "bash", code: b64("true") }), "host");
    await functionHandler.run(ctx);
    expect(existsSync(join(ctx.paths.root, "work"))).toBe(true);
    expect(existsSync(join(ctx.paths.root, "code"))).toBe(false);
  });
});
