import { existsSync, lstatSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, readdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { quote } from "shell-quote";
import { TaskFailure } from "../../errors.js";
import { findExecutable } from "../../executables.js";
import type { Mount, ProcessSpec, Runtime } from "../../runtimes/runtime.js";
import type { FunctionTask } from "../../spec/types.js";
import { ensureDir } from "../../workspace/attempt-files.js";
import { resumeProcess, runProcess } from "../run-process.js";
import { processEnvironment } from "../task-environment.js";
import { pullTaskImage } from "../task-image-pull.js";
import { codeKey, sharedCodeDir } from "./shared-code-dir.js";
import type { TaskExecutionContext, TaskHandler } from "../task-handler.js";
import { CONTAINER_LIBRARY_DIR, CONTEXT_LIBRARY_DIR } from "./context-library.js";
import { functionLanguage, type FunctionLanguage } from "./function-family.js";
import { functionImageFor } from "./function-image.js";
import { ensurePackages } from "./package-cache.js";

/**
 * Runs user code (python, node, bash) with the execution-context library importable and
 * its packages installed, in a container of the family's image or as a host process.
 * The code, a wrapper for `command`, and a node_modules of links live in a code folder
 * that the run's attempts of the same code share (shared-code-dir.ts); the process runs
 * in the attempt's `work/` dir.
 */
export const functionHandler: TaskHandler<FunctionTask> = {
  type: "function",

  async run(ctx) {
    const language = functionLanguage(ctx.task);
    const runtime = ctx.profile.runtime === "host" ? ctx.runtimes.host : await ctx.runtimes.container();
    if (runtime.kind !== "container") await requireHostInterpreter(language);
    const spec = await functionProcessSpec(ctx, runtime, language);
    return runProcess(ctx, runtime, spec).catch((err: unknown) => {
      throw runtimeVersionMissing(join(ctx.paths.root, "work"), spec.image) ?? err;
    });
  },

  async resume(ctx) {
    return resumeProcess(ctx, ctx.profile.runtime === "host" ? ctx.runtimes.host : await ctx.runtimes.container());
  },

  async imageId(ctx) {
    if (ctx.profile.runtime === "host") return null;
    if (!ctx.runtimes.images) return undefined;
    const engine = await ctx.runtimes.images();
    const name = await functionImage(ctx, ctx.config.functionImages[functionLanguage(ctx.task).family]);
    return (await engine.inspect(name))?.id;
  },
};

/** Paths as the function's process sees them: container paths, or the host's own. */
interface Layout {
  code: string;
  work: string;
  library: string;
  packages: string | undefined;
}

const CONTAINER_CODE_DIR = "/cairn/code";
const CONTAINER_WORK_DIR = "/cairn/work";
const CONTAINER_PACKAGES_DIR = "/cairn/packages";
const READ_ONLY = 0o444;

/** Writes the attempt's code dir (and installs packages when needed), then describes the process. */
async function functionProcessSpec(ctx: TaskExecutionContext<FunctionTask>, runtime: Runtime, language: FunctionLanguage): Promise<ProcessSpec> {
  const { task } = ctx;
  const inContainer = runtime.kind === "container";
  // The family's image is pulled like any task's when missing (pull_policy), before packages are installed in it.
  const image = inContainer ? await functionImage(ctx, functionImageFor(ctx.config, language)) : undefined;

  const packagesDir =
    language.installer === undefined
      ? undefined
      : await ensurePackages(
          ctx,
          {
            family: language.family,
            installer: language.installer,
            packages: task.packages,
            where: image ?? (language.version === undefined ? "host" : `host:${language.runtime}`),
            ...(language.family === "python" ? { interpreter: language.interpreter } : {}),
          },
          { runtime, image },
        );

  const hostWork = join(ctx.paths.root, "work");
  // The engine made it with the attempt's folders (handlerFolders), or handed it on empty;
  // looked for first, since a failed mkdir costs an exception. Synchronous, like the
  // attempt's other folders (workspace/attempt-files.ts says why).
  if (!existsSync(hostWork)) ensureDir(hostWork);
  const codeAt = inContainer ? CONTAINER_CODE_DIR : undefined;
  const library = inContainer ? CONTAINER_LIBRARY_DIR : CONTEXT_LIBRARY_DIR;
  const packages = inContainer ? packagesDir && CONTAINER_PACKAGES_DIR : packagesDir;
  const run = (code: string) => versionedCommand(language, code, inContainer);
  const wrapper = task.command !== undefined && task.command.trim() !== "" ? task.command : undefined;

  // The folder's content depends on these alone: the code, the wrapper, and where the
  // process finds its code, the library and the packages.
  const key = codeKey([language.runtime, language.interpreter, language.codeFile, task.code, wrapper ?? "", codeAt ?? "", library, packages ?? "", packagesDir ?? ""]);
  const hostCode = await sharedCodeDir(ctx.config.dataDir, ctx.runUuid, key, async (draft, final) => {
    const code = codeAt ?? final;
    writeFileSync(join(draft, language.codeFile), Buffer.from(task.code, "base64"), { mode: READ_ONLY });
    if (language.family === "node" && language.version !== undefined) writeFileSync(join(draft, NODE_LAUNCHER), nodeLauncher(language), { mode: READ_ONLY });
    if (language.family === "node") await linkNodeModules(draft, { code, library, packages }, packagesDir);
    // One process, so what `command` sets up (files, env exports) is there for the code.
    if (wrapper !== undefined) writeFileSync(join(draft, "run.sh"), `set -e\n${wrapper}\nexec ${quote(run(code))}\n`, { mode: READ_ONLY });
  });

  const at: Layout = { code: codeAt ?? hostCode, work: inContainer ? CONTAINER_WORK_DIR : hostWork, library, packages };
  const command = wrapper === undefined ? run(at.code) : ["sh", `${at.code}/run.sh`];

  const environment = processEnvironment(ctx, runtime.kind);
  const mounts: Mount[] = [...environment.mounts];
  if (inContainer) {
    mounts.push(
      { hostPath: hostCode, containerPath: CONTAINER_CODE_DIR, readOnly: true },
      { hostPath: hostWork, containerPath: CONTAINER_WORK_DIR, readOnly: false },
      { hostPath: CONTEXT_LIBRARY_DIR, containerPath: CONTAINER_LIBRARY_DIR, readOnly: true },
    );
    if (packagesDir !== undefined) mounts.push({ hostPath: packagesDir, containerPath: CONTAINER_PACKAGES_DIR, readOnly: true });
  }

  return {
    labels: { runUuid: ctx.runUuid, taskId: task.id, executionUuid: ctx.executionUuid, attempt: ctx.attempt },
    image,
    command,
    env: { ...environment.env, ...languageEnv(language, at) },
    workingDir: at.work,
    mounts,
    network: environment.network ?? "default",
  };
}

/**
 * Written into the work dir by the version checks below when the runtime's version is not
 * there, holding the reason; the handler turns it into a failure that is not retried.
 */
const RUNTIME_MISSING_MARKER = ".cairn-runtime-missing";
const NODE_LAUNCHER = "launch.mjs";

/**
 * The process's argv. A versioned python is run by its versioned name (`python3.9`); in a
 * container a shell looks for it first, so that an image without it says so. A versioned
 * node starts a launcher that compares the major version before importing the code.
 */
function versionedCommand(language: FunctionLanguage, code: string, inContainer: boolean): string[] {
  const script = `${code}/${language.codeFile}`;
  if (language.version === undefined) return [language.interpreter, script];
  if (language.family === "node") return [language.interpreter, `${code}/${NODE_LAUNCHER}`];
  if (!inContainer) return [language.interpreter, script];
  const reason = `runtime '${language.runtime}' needs ${language.interpreter}, which this image does not have`;
  const check = `command -v ${language.interpreter} >/dev/null 2>&1 || { echo "cairn: ${reason}" >&2; echo "${reason}" > ${RUNTIME_MISSING_MARKER}; exit 127; }; exec ${language.interpreter} "$@"`;
  return ["sh", "-c", check, "sh", script];
}

function nodeLauncher(language: FunctionLanguage): string {
  return [
    'import { writeFileSync } from "node:fs";',
    `const wanted = ${JSON.stringify(language.version)};`,
    'const have = process.versions.node;',
    'if (have.split(".")[0] !== wanted) {',
    `  const reason = \`runtime '${language.runtime}' needs Node.js \${wanted}, and this is Node.js \${have}\`;`,
    '  process.stderr.write(`cairn: ${reason}\n`);',
    `  writeFileSync(${JSON.stringify(RUNTIME_MISSING_MARKER)}, reason);`,
    "  process.exit(127);",
    "}",
    `await import("./${language.codeFile}");`,
    "",
  ].join("\n");
}

/** On the host a missing versioned python is known before anything starts. */
async function requireHostInterpreter(language: FunctionLanguage): Promise<void> {
  if (language.family !== "python" || language.version === undefined) return;
  if ((await findExecutable(language.interpreter)) === undefined) {
    throw new TaskFailure(`runtime '${language.runtime}' needs ${language.interpreter}, which is not on this host's PATH; install it, or use runtime python3 for the host's own`, { retryable: false });
  }
}

function runtimeVersionMissing(hostWork: string, image: string | undefined): TaskFailure | undefined {
  const marker = join(hostWork, RUNTIME_MISSING_MARKER);
  if (!existsSync(marker)) return undefined;
  const reason = readFileSync(marker, "utf8").trim();
  const where = image === undefined ? "" : ` (image ${image}; CAIRN_FUNCTION_IMAGES chooses the image per runtime)`;
  return new TaskFailure(`${reason}${where}`, { retryable: false });
}

async function functionImage(ctx: TaskExecutionContext<FunctionTask>, image: string): Promise<string> {
  return ctx.runtimes.images ? pullTaskImage(ctx, await ctx.runtimes.images(), image) : image;
}

function languageEnv(language: FunctionLanguage, at: Layout): Record<string, string> {
  switch (language.family) {
    case "python":
      return {
        PYTHONPATH: [`${at.library}/python`, at.packages].filter(isDefined).join(":"),
        // Log lines in the order they were printed, and no __pycache__ in the shared, read-only library.
        PYTHONUNBUFFERED: "1",
        PYTHONDONTWRITEBYTECODE: "1",
      };
    case "node":
      // NODE_PATH serves require() (and createRequire); ESM imports resolve through code/node_modules.
      return { NODE_PATH: [`${at.library}/node`, at.packages && `${at.packages}/node_modules`].filter(isDefined).join(":") };
    case "bash":
      return {};
  }
}

/**
 * ESM `import` ignores NODE_PATH and looks only in node_modules dirs above the code, so
 * the code dir gets a node_modules of links: to the context library and to each
 * installed package. Links point where the process sees them (in a container: /cairn/...).
 */
async function linkNodeModules(hostCode: string, at: Omit<Layout, "work">, hostPackages: string | undefined): Promise<void> {
  const modules = join(hostCode, "node_modules");
  await mkdir(modules, { recursive: true });
  const links = new Map<string, string>();
  // The installer made node_modules: listed only if it is a folder, not a link to one of the server's.
  if (hostPackages !== undefined && at.packages !== undefined && lstatSync(join(hostPackages, "node_modules"), { throwIfNoEntry: false })?.isDirectory()) {
    for (const name of await readdir(join(hostPackages, "node_modules"))) {
      // A scope dir (@org) is linked whole; .bin and npm's lock file are not packages.
      if (!name.startsWith(".")) links.set(name, `${at.packages}/node_modules/${name}`);
    }
  }
  // Last, so a package named like the library cannot replace it.
  links.set("cairn-context", `${at.library}/node/cairn-context`);
  for (const [name, target] of links) {
    await symlink(target, join(modules, name)).catch((err: NodeJS.ErrnoException) => {
      // Already there from an earlier call for this attempt.
      if (err.code !== "EEXIST") throw err;
    });
  }
}

function isDefined<T>(value: T | undefined | ""): value is T {
  return value !== undefined && value !== "";
}
