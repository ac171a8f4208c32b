import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeContext, type FakeContext } from "../../../../../test/support/fake-context.js";
import { loadConfig } from "../../config.js";
import { stopPodmanService } from "../../docker-api/engine-endpoint.js";
import { TaskFailure } from "../../errors.js";
import { ContainerRuntime } from "../../runtimes/container/container-runtime.js";
import type { Runtime } from "../../runtimes/runtime.js";
import { DEFAULT_EXECUTION_PROFILE, type FunctionTask, type RuntimeKind } from "../../spec/types.js";
import { functionHandler } from "./function-handler.js";
import { packageCacheKey, packageCacheRoot } from "./package-cache.js";

/**
 * Real twins of function-handler.test.ts: the code runs in real python3, node and bash,
 * on the host and (when the runtime image exists) in Podman containers; packages are
 * installed by real pip and npm from local sources, since neither PyPI nor, for tests,
 * the npm registry is something to depend on.
 */

const b64 = (s: string) => Buffer.from(s).toString("base64");
const RUNTIME_IMAGE = "localhost/cairn-runtime:bookworm";

const BUILD_RUNTIME_IMAGE = join(import.meta.dirname, "../../../../../scripts/build-runtime-image.sh");

/**
 * Makes the runtime image when it is missing, as the machine's setup does, rather than
 * skipping the container cases: a skipped case proves nothing. The script returns at once
 * when the image is there, and re-imports its cached root filesystem in seconds otherwise.
 */
function ensureRuntimeImage(): void {
  execFileSync("bash", [BUILD_RUNTIME_IMAGE], { stdio: ["ignore", "inherit", "inherit"] });
  execFileSync("podman", ["image", "exists", RUNTIME_IMAGE]);
}

let tmp: string;
let dataDir: string;
let wheelhouse: string;
let npmPackage: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "cairn-function-int-"));
  dataDir = join(tmp, "data");
  wheelhouse = join(tmp, "wheelhouse");
  npmPackage = join(tmp, "shout-pkg");
  buildWheel(wheelhouse, "cairnshout", "def shout(s):\n    return s.upper() + '!'\n");
  mkdirSync(npmPackage);
  writeFileSync(join(npmPackage, "package.json"), JSON.stringify({ name: "cairn-shout", version: "1.0.0", main: "index.js" }));
  writeFileSync(join(npmPackage, "index.js"), "exports.shout = (s) => s.toUpperCase() + '!';\n");
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/**
 * A wheel made by hand (a zip with the package and its dist-info), so no build backend
 * (setuptools, which may not be importable offline) is needed. Python's zipfile writes it.
 */
function buildWheel(dir: string, name: string, source: string): void {
  mkdirSync(dir, { recursive: true });
  const script = `
import base64, hashlib, sys, zipfile
out, name, source = sys.argv[1], sys.argv[2], sys.argv[3]
info = f"{name}-0.1.dist-info"
files = {
    f"{name}/__init__.py": source,
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: 0.1\\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: cairn-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(f"{out}/{name}-0.1-py3-none-any.whl", "w") as z:
    for path, text in files.items():
        data = text.encode()
        z.writestr(path, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    z.writestr(f"{info}/RECORD", "\\n".join(record) + "\\n")
`;
  execFileSync("python3", ["-c", script, dir, name, source]);
}

function fnTask(fields: Partial<FunctionTask>): FunctionTask {
  return { id: "fn", type: "function", depends_on: [], execution_profile: {}, input: {}, output: {}, runtime: "python3", code: "", packages: [], inject_api_token: false, ...fields };
}

function context(task: FunctionTask, where: RuntimeKind, container?: Runtime): FakeContext<FunctionTask> {
  const ctx = fakeContext(task, { profile: { ...DEFAULT_EXECUTION_PROFILE, runtime: where }, container, inputs: { NAME: "ada", GREETING: "hello" } });
  ctx.config = loadConfig({ dataDir, pipFindLinks: wheelhouse, functionImages: { python: RUNTIME_IMAGE, node: RUNTIME_IMAGE, bash: RUNTIME_IMAGE }, functionVersionImages: VERSION_IMAGES }, {});
  // The engine writes every input as a file too; NAME comes from its file, GREETING from the env only.
  writeFileSync(join(ctx.paths.inputs, "NAME"), "ada-from-file");
  return ctx;
}

/** Python 3.11 and Node.js 18 are what the runtime image (Debian 12) has; the others it lacks. */
const VERSION_IMAGES = { "python3.11": RUNTIME_IMAGE, "python3.7": RUNTIME_IMAGE, node18: RUNTIME_IMAGE, node16: RUNTIME_IMAGE };

/** A successful outcome: a host process is also known to have left nothing running (its group is empty). */
const SUCCEEDED_ON_HOST = { exitCode: 0, leftNothingRunning: true };
const succeeded = (where: RuntimeKind) => (where === "host" ? SUCCEEDED_ON_HOST : { exitCode: 0 });

async function runIn(where: RuntimeKind, task: FunctionTask, container?: Runtime) {
  const ctx = context(task, where, container);
  try {
    const outcome = await functionHandler.run(ctx).catch((err: unknown) => err);
    const outputs = Object.fromEntries(readdirSync(ctx.paths.outputs).map((f) => [f, readFileSync(join(ctx.paths.outputs, f), "utf8")]));
    return { outcome, outputs, lines: ctx.logs.map((l) => `${l.stream}: ${l.line}`) };
  } finally {
    await ctx.cleanup();
  }
}

const pythonCode = `
from cairn_context import get_input, set_output
set_output("greeting", get_input("GREETING") + " " + get_input("NAME"))
set_output("data", {"n": 1})
set_output("missing", get_input("NOPE", "default"))
print("done")
`;

const nodeCode = `
import { getInput, setOutput } from "cairn-context";
setOutput("greeting", getInput("GREETING") + " " + getInput("NAME"));
setOutput("data", { n: 1 });
console.log("done");
`;

/** The same behaviour, wherever the function runs. */
function sharedCases(where: RuntimeKind, container: () => Runtime | undefined) {
  it("python3: inputs from files and env, outputs as files (non-strings as JSON)", async () => {
    const { outcome, outputs, lines } = await runIn(where, fnTask({ code: b64(pythonCode) }), container());
    expect(outcome).toEqual(succeeded(where));
    expect(outputs).toEqual({ greeting: "hello ada-from-file", data: '{"n": 1}', missing: "default" });
    expect(lines).toContain("stdout: done");
  });

  it("node: an ES module importing cairn-context", async () => {
    const { outcome, outputs, lines } = await runIn(where, fnTask({ runtime: "node", code: b64(nodeCode) }), container());
    expect(outcome).toEqual(succeeded(where));
    expect(outputs).toEqual({ greeting: "hello ada-from-file", data: '{"n":1}' });
    expect(lines).toContain("stdout: done");
  });

  it("pip packages: installed from the wheelhouse on the first run, a cache hit on the second", async () => {
    const code = b64("import cairnshout\nfrom cairn_context import set_output\nset_output('out', cairnshout.shout('hi'))\n");
    const first = await runIn(where, fnTask({ code, packages: ["cairnshout"] }), container());
    expect(first.outcome).toEqual(succeeded(where));
    expect(first.outputs).toEqual({ out: "HI!" });
    expect(first.lines.some((l) => l.startsWith("system: packages: installing cairnshout with pip"))).toBe(true);

    const image = where === "host" ? "host" : RUNTIME_IMAGE;
    const key = packageCacheKey({ family: "python", installer: "pip", packages: ["cairnshout"], where: image });
    const marker = join(packageCacheRoot(dataDir), key, ".complete");
    const before = statSync(marker);

    const second = await runIn(where, fnTask({ code, packages: ["cairnshout"] }), container());
    expect(second.outcome).toEqual(succeeded(where));
    expect(second.outputs).toEqual({ out: "HI!" });
    expect(second.lines).toContain(`system: packages: cache hit ${key}`);
    expect(second.lines.some((l) => l.includes("install:"))).toBe(false);
    const after = statSync(marker);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });
}

describe("function tasks on the host", () => {
  sharedCases("host", () => undefined);

  it("bash", async () => {
    const code = 'echo "$GREETING" > "$CAIRN_OUTPUTS_DIR/said"; echo "bash says $(cat "$CAIRN_INPUTS_DIR/NAME")"';
    const { outcome, outputs, lines } = await runIn("host", fnTask({ runtime: "bash", code: b64(code) }));
    expect(outcome).toEqual(SUCCEEDED_ON_HOST);
    expect(outputs).toEqual({ said: "hello\n" });
    expect(lines).toContain("stdout: bash says ada-from-file");
  });

  it("stdout() ends the task successfully, skipping the rest of the code", async () => {
    const code = "from cairn_context import stdout, set_output\nstdout('finished early')\nset_output('never', 'x')\n";
    const { outcome, outputs, lines } = await runIn("host", fnTask({ code: b64(code) }));
    expect(outcome).toEqual(SUCCEEDED_ON_HOST);
    expect(outputs).toEqual({});
    expect(lines).toContain("stdout: finished early");
  });

  it("stderr(3, ...) fails the task with exit code 3", async () => {
    const { outcome, lines } = await runIn("host", fnTask({ code: b64("from cairn_context import stderr\nstderr(3, 'it broke')\n") }));
    expect(outcome).toBeInstanceOf(TaskFailure);
    expect(outcome).toMatchObject({ exitCode: 3, message: "exited with code 3" });
    expect(lines).toContain("stderr: it broke");
  });

  it("node stderr() fails with its code too", async () => {
    const code = 'import { stderr } from "cairn-context";\nstderr(4, "node broke");\n';
    const { outcome, lines } = await runIn("host", fnTask({ runtime: "node", code: b64(code) }));
    expect(outcome).toMatchObject({ name: "TaskFailure", exitCode: 4 });
    expect(lines).toContain("stderr: node broke");
  });

  it("`command` runs first, in the same process as the code", async () => {
    const code = "import os\nfrom cairn_context import set_output\nset_output('prepared', open('prepared.txt').read().strip() + os.environ['EXTRA'])\n";
    const { outcome, outputs } = await runIn("host", fnTask({ code: b64(code), command: "echo from-command > prepared.txt; export EXTRA=+env" }));
    expect(outcome).toEqual(SUCCEEDED_ON_HOST);
    expect(outputs).toEqual({ prepared: "from-command+env" });
  });

  it("a failing `command` fails the task before the code runs", async () => {
    const { outcome, lines } = await runIn("host", fnTask({ code: b64("print('ran')"), command: "exit 7" }));
    expect(outcome).toMatchObject({ name: "TaskFailure", exitCode: 7 });
    expect(lines).not.toContain("stdout: ran");
  });

  it("Tapis Workflows code importing owe_python_sdk runs unchanged", async () => {
    const code = "from owe_python_sdk.runtime import execution_context as ctx\nctx.set_output('who', ctx.get_input('NAME'))\nctx.stdout('Hello stdout')\n";
    const { outcome, outputs, lines } = await runIn("host", fnTask({ runtime: "python3", code: b64(code) }));
    expect(outcome).toEqual(SUCCEEDED_ON_HOST);
    expect(outputs).toEqual({ who: "ada-from-file" });
    expect(lines).toContain("stdout: Hello stdout");
  });

  it("npm packages from a local folder, importable from ESM and with require()", async () => {
    const code = [
      'import { shout } from "cairn-shout";',
      'import { createRequire } from "node:module";',
      'import { setOutput } from "cairn-context";',
      "const require = createRequire(import.meta.url);",
      'setOutput("esm", shout("hi"));',
      'setOutput("cjs", require("cairn-shout").shout("yo"));',
    ].join("\n");
    const first = await runIn("host", fnTask({ runtime: "node", code: b64(code), packages: [npmPackage] }));
    expect(first.outcome).toEqual(SUCCEEDED_ON_HOST);
    expect(first.outputs).toEqual({ esm: "HI!", cjs: "YO!" });
    const second = await runIn("host", fnTask({ runtime: "node", code: b64(code), packages: [npmPackage] }));
    expect(second.outputs).toEqual({ esm: "HI!", cjs: "YO!" });
    expect(second.lines.some((l) => l.startsWith("system: packages: cache hit"))).toBe(true);
  });

  it("a package pip cannot find fails the task, not retryable, quoting pip", async () => {
    const { outcome } = await runIn("host", fnTask({ code: b64("print(1)"), packages: ["no-such-package-xyz"] }));
    expect(outcome).toBeInstanceOf(TaskFailure);
    expect(outcome).toMatchObject({ retryable: false });
    expect((outcome as Error).message).toMatch(/^installing packages \[no-such-package-xyz\] with pip failed \(exit 1\):\n[\s\S]*no-such-package-xyz/);
    expect(existsSync(join(packageCacheRoot(dataDir)))).toBe(true);
  });
});

/**
 * The host runtime starts `python3 main.py` as a fork of its launcher's warm interpreter
 * when python3 on the task's PATH is the launcher's (runtimes/host/warm-python.int.test.ts
 * compares the two ways in detail). A version manager's shim first on PATH (pyenv's, on the
 * development machines) means a real exec, so these cases run with the system's python3 first.
 * Each script says which way it ran: the launcher's own modules are loaded in a fork only.
 */
describe.skipIf(!existsSync("/usr/bin/python3"))("python function tasks on the host, forked from the warm interpreter", () => {
  const WHICH_WAY = "import sys\nprint('forked' if 'warm_python' in sys.modules else 'exec')\n";
  let path: string | undefined;
  beforeAll(() => {
    path = process.env.PATH;
    process.env.PATH = "/usr/bin:/bin";
  });
  afterAll(() => {
    if (path === undefined) delete process.env.PATH;
    else process.env.PATH = path;
  });

  it("inputs and outputs through the context library, and stdout lines", async () => {
    const { outcome, outputs, lines } = await runIn("host", fnTask({ code: b64(WHICH_WAY + pythonCode) }));
    expect(outcome).toEqual(SUCCEEDED_ON_HOST);
    expect(outputs).toEqual({ greeting: "hello ada-from-file", data: '{"n": 1}', missing: "default" });
    expect(lines.filter((l) => l.startsWith("stdout:"))).toEqual(["stdout: forked", "stdout: done"]);
  });

  it("Tapis Workflows code importing owe_python_sdk, and stderr(3, ...) failing the task", async () => {
    const sdk = "from owe_python_sdk.runtime import execution_context as ctx\nctx.set_output('who', ctx.get_input('NAME'))\nctx.stdout('Hello stdout')\n";
    const ok = await runIn("host", fnTask({ runtime: "python3", code: b64(WHICH_WAY + sdk) }));
    expect(ok).toMatchObject({ outcome: { exitCode: 0 }, outputs: { who: "ada-from-file" } });
    expect(ok.lines).toEqual(expect.arrayContaining(["stdout: forked", "stdout: Hello stdout"]));

    const failed = await runIn("host", fnTask({ code: b64(WHICH_WAY + "from cairn_context import stderr\nstderr(3, 'it broke')\n") }));
    expect(failed.outcome).toMatchObject({ name: "TaskFailure", exitCode: 3 });
    expect(failed.lines).toEqual(expect.arrayContaining(["stdout: forked", "stderr: it broke"]));
  });

  it("an uncaught exception fails the task with exit code 1 and python3's traceback", async () => {
    const { outcome, lines, outputs } = await runIn("host", fnTask({ code: b64(WHICH_WAY + "import json\nfrom cairn_context import set_output\nset_output('before', json.dumps([1]))\nraise KeyError('nope')\n") }));
    expect(outcome).toMatchObject({ name: "TaskFailure", exitCode: 1 });
    expect(outputs).toEqual({ before: "[1]" });
    expect(lines.filter((l) => l.startsWith("stderr:")).map((l) => l.replace(/"[^"]*main\.py"/, '"main.py"'))).toEqual([
      "stderr: Traceback (most recent call last):",
      'stderr:   File "main.py", line 6, in <module>',
      "stderr:     raise KeyError('nope')",
      "stderr: KeyError: 'nope'",
    ]);
    expect(lines).toContain("stdout: forked");
  });

  it("pip packages from the package cache are importable in the fork", async () => {
    const code = b64(WHICH_WAY + "import cairnshout\nfrom cairn_context import set_output\nset_output('out', cairnshout.shout('hi'))\n");
    const { outcome, outputs, lines } = await runIn("host", fnTask({ code, packages: ["cairnshout"] }));
    expect(outcome).toEqual(SUCCEEDED_ON_HOST);
    expect(outputs).toEqual({ out: "HI!" });
    expect(lines).toContain("stdout: forked");
  });

  it("a package that would replace a module the launcher has loaded means an exec, so the task gets its own", async () => {
    // python3 has not imported struct when the script starts, so PYTHONPATH's struct wins there.
    buildWheel(wheelhouse, "struct", "MINE = 'the package'\n");
    const code = b64(WHICH_WAY + "import struct\nprint(struct.MINE)\n");
    const { outcome, lines } = await runIn("host", fnTask({ code, packages: ["struct"] }));
    expect(outcome).toEqual(SUCCEEDED_ON_HOST);
    expect(lines.filter((l) => l.startsWith("stdout:"))).toEqual(["stdout: exec", "stdout: the package"]);
  });
});

describe("function tasks in containers", () => {
  let runtime: Runtime;

  beforeAll(async () => {
    ensureRuntimeImage();
    // A private Podman service on a private socket; it outlives close() by design, so afterAll stops it.
    runtime = await ContainerRuntime.connect(loadConfig({ dataDir, dockerHost: undefined, podmanSocket: join(tmp, "podman", "podman.sock") }, {}));
  }, 30 * 60_000); // a first build runs debootstrap: minutes

  afterAll(async () => {
    await runtime?.close();
    await stopPodmanService(join(tmp, "podman", "podman.sock"));
  });

  sharedCases("container", () => runtime);

  it("a versioned runtime runs under that version, in the image configured for it", async () => {
    const python = await runIn("container", fnTask({ runtime: "python3.11", code: b64(VERSION_PY) }), runtime);
    expect(python.outcome).toEqual({ exitCode: 0 });
    expect(python.outputs).toEqual({ version: "3.11" });
    const node = await runIn("container", fnTask({ runtime: "node18", code: b64(VERSION_JS) }), runtime);
    expect(node.outcome).toEqual({ exitCode: 0 });
    expect(node.outputs.version).toMatch(/^18\./);
  });

  it("a version the image lacks fails at once, naming it and the image, never running another", async () => {
    const python = await runIn("container", fnTask({ runtime: "python3.7", code: b64(VERSION_PY) }), runtime);
    expect(python.outcome).toBeInstanceOf(TaskFailure);
    expect(python.outcome).toMatchObject({ retryable: false, message: `runtime 'python3.7' needs python3.7, which this image does not have (image ${RUNTIME_IMAGE}; CAIRN_FUNCTION_IMAGES chooses the image per runtime)` });
    expect(python.outputs).toEqual({});
    const node = await runIn("container", fnTask({ runtime: "node16", code: b64(VERSION_JS) }), runtime);
    expect(node.outcome).toMatchObject({ retryable: false, message: expect.stringMatching(/^runtime 'node16' needs Node.js 16, and this is Node.js 18\.[\d.]+ \(image /) });
    expect(node.outputs).toEqual({});
  });
});

const VERSION_PY = "import sys\nfrom cairn_context import set_output\nset_output('version', '%d.%d' % sys.version_info[:2])\n";
const VERSION_JS = 'import { setOutput } from "cairn-context";\nsetOutput("version", process.versions.node);\n';

describe("versioned runtimes on the host", () => {
  const hostNode = execFileSync("node", ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
  const hostPython = execFileSync("python3", ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" }).trim();

  it("python3.N runs python3.N, and nodeN runs when node is that version", async () => {
    const python = await runIn("host", fnTask({ runtime: `python${hostPython}`, code: b64(VERSION_PY) }));
    expect(python.outcome).toEqual(SUCCEEDED_ON_HOST);
    expect(python.outputs).toEqual({ version: hostPython });
    const major = hostNode.split(".")[0];
    const node = await runIn("host", fnTask({ runtime: `node${major}`, code: b64(VERSION_JS) }));
    expect(node.outcome).toEqual(SUCCEEDED_ON_HOST);
    expect(node.outputs).toEqual({ version: hostNode });
  });

  it("a version the host lacks fails without retrying, naming what is missing", async () => {
    const python = await runIn("host", fnTask({ runtime: "python3.1", code: b64(VERSION_PY) }));
    expect(python.outcome).toMatchObject({ name: "TaskFailure", retryable: false, message: expect.stringContaining("runtime 'python3.1' needs python3.1, which is not on this host's PATH") });
    const node = await runIn("host", fnTask({ runtime: "node12", code: b64(VERSION_JS) }));
    expect(node.outcome).toMatchObject({ name: "TaskFailure", retryable: false, message: `runtime 'node12' needs Node.js 12, and this is Node.js ${hostNode}` });
    expect(node.lines).toContain(`stderr: cairn: runtime 'node12' needs Node.js 12, and this is Node.js ${hostNode}`);
  });
});
