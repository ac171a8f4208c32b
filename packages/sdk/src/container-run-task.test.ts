import { validatePipeline } from "cairn/spec";
import { describe, expect, it } from "vitest";
import { pipeline, task, taskOutput } from "./index.js";

describe("container_run tasks", () => {
  it("writes every field under its API name", () => {
    const greet = task("greet", "container_run")
      .description("Says hello")
      .image("localhost/busybox")
      .imageTag("test")
      .command(["sh", "-c", "echo hi | tee /cairn/outputs/message"])
      .env({ MODE: "fast" })
      .env({ LEVEL: "2" })
      .workingDir("/work")
      .cpus(1.5)
      .memory("256m")
      .injectApiToken()
      .executionProfile({ maxExecTime: 30, maxRetries: 2, retryPolicy: "fixed", retryDelay: 1 })
      .input("THRESHOLD", { type: "number", value: 0.5, description: "cut-off" })
      .output("message", { type: "string" });
    const shout = task("shout", "container_run")
      .image("localhost/busybox:test")
      .command("tr a-z A-Z")
      .dependsOn(greet, { canFail: true })
      .inputFrom("MESSAGE", taskOutput(greet, "message"));

    const json = pipeline("p").tasks(greet, shout).build();

    expect(json.tasks).toEqual([
      {
        id: "greet",
        type: "container_run",
        description: "Says hello",
        image: "localhost/busybox",
        image_tag: "test",
        command: ["sh", "-c", "echo hi | tee /cairn/outputs/message"],
        env: { MODE: "fast", LEVEL: "2" },
        working_dir: "/work",
        cpus: 1.5,
        memory: "256m",
        inject_api_token: true,
        execution_profile: { max_exec_time: 30, max_retries: 2, retry_policy: "fixed", retry_delay: 1 },
        input: { THRESHOLD: { type: "number", value: 0.5, description: "cut-off" } },
        output: { message: { type: "string" } },
      },
      {
        id: "shout",
        type: "container_run",
        image: "localhost/busybox:test",
        command: "tr a-z A-Z",
        depends_on: [{ id: "greet", can_fail: true }],
        input: { MESSAGE: { type: "string", value_from: { task_output: { task_id: "greet", output_id: "message" } } } },
      },
    ]);
    expect(validatePipeline(json).ok).toBe(true);
  });

  it("leaves builders unchanged, so one can be a template for several tasks", () => {
    const base = task("base", "container_run").image("localhost/busybox:test").env({ A: "1" });
    const withB = base.env({ B: "2" });
    expect(base.toJSON()).toEqual({ id: "base", type: "container_run", image: "localhost/busybox:test", env: { A: "1" } });
    expect(withB.toJSON().env).toEqual({ A: "1", B: "2" });
  });

  it("adds Tapis conditions, call after call, that the validator accepts and checks", () => {
    const greet = task("greet", "container_run").image("x").output("verdict", { type: "string" });
    const deploy = task("deploy", "container_run")
      .image("x")
      .dependsOn(greet)
      .conditions({ eq: [{ task_output: { task_id: "greet", output_id: "verdict" } }, "pass"] })
      .conditions({ or: [{ eq: [{ args: "target" }, "prod"] }, { not: [{ ge: [1, 2] }] }] });
    expect(deploy.toJSON().conditions).toEqual([
      { eq: [{ task_output: { task_id: "greet", output_id: "verdict" } }, "pass"] },
      { or: [{ eq: [{ args: "target" }, "prod"] }, { not: [{ ge: [1, 2] }] }] },
    ]);
    expect(validatePipeline({ id: "p", tasks: [greet.toJSON(), deploy.toJSON()] }).ok).toBe(true);
    const orphan = task("orphan", "container_run").image("x").conditions({ eq: [{ task_output: { task_id: "greet", output_id: "verdict" } }, "pass"] });
    expect(validatePipeline({ id: "p", tasks: [greet.toJSON(), orphan.toJSON()] })).toMatchObject({
      ok: false,
      issues: [{ path: "tasks[1].conditions[0].eq[0].task_output.task_id", message: expect.stringContaining("not an ancestor") }],
    });
  });

  it("fans a task out over a written list or an upstream output, which the validator accepts and checks", () => {
    const list = task("list", "container_run").image("x").output("samples", { type: "json" });
    const items = ["a", "b"];
    const written = task("each", "container_run").image("x").forEach(items, { maxParallel: 2 });
    items.push("c");
    expect(written.toJSON().for_each).toEqual({ value: ["a", "b"], max_parallel: 2 });
    const fromOutput = task("measure", "container_run").image("x").dependsOn(list).forEach(taskOutput("list", "samples"));
    expect(fromOutput.toJSON().for_each).toEqual({ value_from: { task_output: { task_id: "list", output_id: "samples" } } });
    expect(validatePipeline({ id: "p", tasks: [list.toJSON(), written.toJSON(), fromOutput.toJSON()] }).ok).toBe(true);
    const orphan = task("orphan", "container_run").image("x").forEach(taskOutput("list", "samples"));
    expect(validatePipeline({ id: "p", tasks: [list.toJSON(), orphan.toJSON()] })).toMatchObject({
      ok: false,
      issues: [{ path: "tasks[1].for_each.value_from.task_output.task_id", message: expect.stringContaining("not an ancestor") }],
    });
  });

  it("keeps the last options when a dependency is named twice", () => {
    const json = task("b", "container_run").image("x").dependsOn("a").dependsOn("a", { canFail: true }).toJSON();
    expect(json.depends_on).toEqual([{ id: "a", can_fail: true }]);
  });

  it("copies arrays it is given, so changing them later changes nothing", () => {
    const command = ["echo", "one"];
    const built = task("t", "container_run").image("x").command(command);
    command.push("two");
    expect(built.toJSON().command).toEqual(["echo", "one"]);
  });
});
