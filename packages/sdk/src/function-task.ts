import type { FunctionInstaller } from "cairn/spec";
import type { FunctionRuntime, FunctionTaskJson } from "./pipeline-json.js";
import { TaskBuilder } from "./task-builder.js";

/**
 * Runs source code in a runtime, with packages installed first; the code reads inputs and
 * writes outputs through the execution-context library. Required: `runtime` and `code`.
 * @example task("count", "function").runtime("python3").code("from cairn_context import set_output\nset_output('n', '3')")
 */
export class FunctionTaskBuilder<Unset extends "runtime" | "code" = "runtime" | "code"> extends TaskBuilder<FunctionTaskJson, Unset> {
  /** @example task("count", "function").runtime("node20") */
  runtime(runtime: FunctionRuntime): FunctionTaskBuilder<Exclude<Unset, "runtime">> {
    return this.withRequired<FunctionTaskBuilder<Exclude<Unset, "runtime">>>({ runtime });
  }

  /**
   * The source code as written; the SDK base64-encodes it, as the API expects.
   * @example task("hello", "function").runtime("bash").code('echo "hello"')
   */
  code(source: string): FunctionTaskBuilder<Exclude<Unset, "code">> {
    return this.withRequired<FunctionTaskBuilder<Exclude<Unset, "code">>>({ code: encodeBase64(source) });
  }

  /** Replaces the package list. @example task("plot", "function").runtime("python3").installer("pip").packages(["numpy==2.1.0"]) */
  packages(names: readonly string[]): this {
    return this.with({ packages: [...names] });
  }

  /** pip for python runtimes, npm for node. @example task("plot", "function").runtime("python3").installer("pip") */
  installer(installer: FunctionInstaller): this {
    return this.with({ installer });
  }

  /** A shell command run before the code, in the same environment. @example task("f", "function").command("mkdir -p /tmp/work") */
  command(shellCommand: string): this {
    return this.with({ command: shellCommand });
  }

  /**
   * Gives the task CAIRN_API_URL and a CAIRN_API_TOKEN that reads its group's pipelines, runs, logs and results and starts runs, nothing else, and dies with the run.
   * @example task("report", "function").runtime("bash").code("curl -H \"X-Tapis-Token: $CAIRN_API_TOKEN\" $CAIRN_API_URL/runs/$CAIRN_RUN_UUID").injectApiToken()
   */
  injectApiToken(inject = true): this {
    return this.with({ inject_api_token: inject });
  }

  /** The function the runtime calls, when the code is a module rather than a script. @example task("f", "function").entrypoint("main") */
  entrypoint(name: string): this {
    return this.with({ entrypoint: name });
  }
}

/** UTF-8 then base64, with web APIs only (no Buffer) so the SDK also runs in a browser. */
function encodeBase64(source: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(source)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
