import { validatePipeline } from "cairn/spec";
import { describe, expect, it } from "vitest";
import { fromEnv, pipeline, secret, task } from "./index.js";

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

describe("function tasks", () => {
  it("writes every field under its API name, with the code base64-encoded", () => {
    const code = "from cairn_context import set_output\nset_output('greeting', 'héllo ✓')";
    const plot = task("plot", "function")
      .runtime("python3.11")
      .code(code)
      .installer("pip")
      .packages(["numpy==2.1.0"])
      .command("mkdir -p /tmp/work")
      .entrypoint("main")
      .executionProfile({ runtime: "host", maxExecTime: 120 })
      .inputFrom("REGION", fromEnv("REGION"))
      .inputFrom("TOKEN", secret("api-token"), { description: "masked in logs" })
      .output("greeting", { type: "string" });

    const json = pipeline("p").env({ REGION: "eu" }).tasks(plot).build();

    expect(json.tasks[0]).toEqual({
      id: "plot",
      type: "function",
      runtime: "python3.11",
      code: base64(code),
      installer: "pip",
      packages: ["numpy==2.1.0"],
      command: "mkdir -p /tmp/work",
      entrypoint: "main",
      execution_profile: { runtime: "host", max_exec_time: 120 },
      input: {
        REGION: { type: "string", value_from: { env: "REGION" } },
        TOKEN: { type: "string", value_from: { secret: "api-token" }, description: "masked in logs" },
      },
      output: { greeting: { type: "string" } },
    });
    expect(validatePipeline(json).ok).toBe(true);
  });

  it("encodes UTF-8 the way Cairn decodes it", () => {
    const json = task("f", "function").runtime("bash").code("echo 'grüße'").toJSON();
    expect(Buffer.from(json.code, "base64").toString("utf8")).toBe("echo 'grüße'");
  });

  it("leaves a wrong installer to the validator, with its path", () => {
    const result = pipeline("p")
      .tasks(task("f", "function").runtime("node20").code("console.log(1)").installer("pip").packages(["left-pad"]))
      .validate();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues).toEqual([{ path: "tasks[0].installer", message: '"pip" cannot install packages for node20; use "npm"' }]);
  });
});
