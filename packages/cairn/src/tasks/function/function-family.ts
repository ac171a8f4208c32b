import { TaskFailure } from "../../errors.js";
import type { FunctionInstaller, FunctionTask } from "../../spec/types.js";

/**
 * What a function's `runtime` and `installer` come down to: which interpreter runs the
 * code, the file it is written to, and which installer (if any) fetches its packages.
 * A version in the runtime (`python3.9`, `node20`) picks no particular interpreter: the
 * image's (or the host's) `python3` or `node` runs the code.
 */

export type FunctionFamily = "python" | "node" | "bash";

export interface FunctionLanguage {
  family: FunctionFamily;
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
  const { interpreter, codeFile, installer: familyInstaller } = FAMILIES[family];
  if (task.packages.length === 0) return { family, interpreter, codeFile, installer: undefined };
  if (familyInstaller === undefined) {
    throw new TaskFailure(`runtime '${task.runtime}' cannot install packages (${task.packages.join(", ")}): only python (pip) and node (npm) can`, {
      retryable: false,
    });
  }
  if (task.installer !== undefined && task.installer !== familyInstaller) {
    throw new TaskFailure(`installer '${task.installer}' does not fit runtime '${task.runtime}': it needs '${familyInstaller}'`, { retryable: false });
  }
  return { family, interpreter, codeFile, installer: familyInstaller };
}
