import { TaskFailure } from "../../errors.js";
import type { FunctionInstaller, FunctionTask } from "../../spec/types.js";

/**
 * What a function's `runtime` and `installer` come down to: which interpreter runs the
 * code, the file it is written to, and which installer (if any) fetches its packages.
 * A version in the runtime (`python3.9`, `node18`) is kept: it picks the image (see
 * function-image.ts), and the code runs only under that version, never under another one
 * that happens to be there: `python3.9` is run by that name, and a node version is checked
 * by the launcher before the code is imported.
 */

export type FunctionFamily = "python" | "node" | "bash";

export interface FunctionLanguage {
  family: FunctionFamily;
  /** The runtime as configured images name it: `python3.9`, `node18` (`nodejs18` too), or the bare family. */
  runtime: string;
  /** `3.9` of python3.9, `18` of node18; undefined for `python3`, `node` and `bash`. */
  version: string | undefined;
  /** Looked up on PATH, in the container or on the host. */
  interpreter: string;
  /** `.mjs` for node: the code is an ES module (CommonJS `require` through `createRequire`). */
  codeFile: string;
  /** Undefined when the task has no packages. */
  installer: FunctionInstaller | undefined;
}

const FAMILIES: Record<FunctionFamily, { interpreter: string; codeFile: string; installer: FunctionInstaller | undefined }> = {
  python: { interpreter: "python3", codeFile: "main.py", installer: "pip" },
  node: { interpreter: "node", codeFile: "main.mjs", installer: "npm" },
  bash: { interpreter: "bash", codeFile: "main.sh", installer: undefined },
};

/** The family and version a runtime names, the runtime spelled as images are configured. */
export function runtimeVersion(runtime: string): { runtime: string; version: string | undefined } {
  const python = /^python3\.(\d+)$/.exec(runtime);
  if (python) return { runtime, version: `3.${python[1]}` };
  const node = /^node(?:js)?(\d+)$/.exec(runtime);
  if (node) return { runtime: `node${node[1]}`, version: node[1] };
  return { runtime, version: undefined };
}

export function functionFamily(runtime: string): FunctionFamily | undefined {
  if (/^python(3(\.\d+)?)?$/.test(runtime)) return "python";
  if (/^node(js)?(\d+)?$/.test(runtime)) return "node";
  if (runtime === "bash") return "bash";
  return undefined;
}

/** Throws a non-retryable TaskFailure for a runtime or installer that cannot work: retrying would not help. */
export function functionLanguage(task: Pick<FunctionTask, "runtime" | "installer" | "packages">): FunctionLanguage {
  const family = functionFamily(task.runtime);
  if (family === undefined) {
    throw new TaskFailure(`runtime '${task.runtime}' is not supported: use python3, python3.N, node, nodeN or bash`, { retryable: false });
  }
  const { interpreter: familyInterpreter, codeFile, installer: familyInstaller } = FAMILIES[family];
  const { runtime, version } = runtimeVersion(task.runtime);
  const interpreter = family === "python" && version !== undefined ? `python${version}` : familyInterpreter;
  const named = { family, runtime, version, interpreter, codeFile };
  if (task.packages.length === 0) return { ...named, installer: undefined };
  if (familyInstaller === undefined) {
    throw new TaskFailure(`runtime '${task.runtime}' cannot install packages (${task.packages.join(", ")}): only python (pip) and node (npm) can`, {
      retryable: false,
    });
  }
  if (task.installer !== undefined && task.installer !== familyInstaller) {
    throw new TaskFailure(`installer '${task.installer}' does not fit runtime '${task.runtime}': it needs '${familyInstaller}'`, { retryable: false });
  }
  return { ...named, installer: familyInstaller };
}
