import { validatePipeline } from "cairn/spec";
import { describe, expect, it } from "vitest";
import { fromParam, pipeline, secret, task, ValidationError, type ValidationIssue } from "./index.js";

const hello = task("hello", "function").runtime("bash").code("echo hello");

/** The error `build()` throws, for assertions on it. */
function buildError(run: () => unknown): ValidationError {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error("expected build() to throw");
}

describe("pipeline()", () => {
  it("writes the pipeline's own fields under their API names", () => {
    const json = pipeline("nightly")
      .description("Reruns the analysis")
      .env({ REGION: "eu", RETRIES: 3, VERBOSE: true })
      .env({ TOKEN: secret("api-token"), DAY: fromParam("day") })
      .executionProfile({ maxRetries: 2, retryPolicy: "exponential_backoff" })
      .executionProfile({ maxExecTime: 600, invocationMode: "async", duplicateSubmissionPolicy: "deny", pullPolicy: "always" })
      .archives(["a1"])
      .archives(["a2"])
      .tasks(hello)
      .build();

    expect(json).toEqual({
      id: "nightly",
      description: "Reruns the analysis",
      env: {
        REGION: "eu",
        RETRIES: 3,
        VERBOSE: true,
        TOKEN: { value_from: { secret: "api-token" } },
        DAY: { value_from: { params: "day" } },
      },
      execution_profile: {
        max_retries: 2,
        retry_policy: "exponential_backoff",
        max_exec_time: 600,
        invocation_mode: "async",
        duplicate_submission_policy: "deny",
        pull_policy: "always",
      },
      archives: ["a1", "a2"],
      tasks: [{ id: "hello", type: "function", runtime: "bash", code: "ZWNobyBoZWxsbw==" }],
    });
    expect(validatePipeline(json).ok).toBe(true);
  });

  it("sets the pipeline's queue of runs: max_concurrent_runs and pending_timeout", () => {
    const json = pipeline("p").executionProfile({ maxConcurrentRuns: 1, pendingTimeout: 600, maxRetries: 1 }).tasks(hello).build();
    expect(json.execution_profile).toEqual({ max_concurrent_runs: 1, pending_timeout: 600, max_retries: 1 });
    expect(validatePipeline(json).ok).toBe(true);
  });

  it("writes checked JSON through JSON.stringify", () => {
    const builder = pipeline("p").tasks(hello);
    expect(JSON.parse(JSON.stringify(builder))).toEqual(builder.build());
  });

  it("leaves builders unchanged", () => {
    const base = pipeline("p").env({ A: "1" });
    base.env({ B: "2" }).tasks(hello);
    expect(base.tasks(hello).build().env).toEqual({ A: "1" });
  });

  it("returns copies, so changing the output does not change the builder", () => {
    const builder = pipeline("p").tasks(hello);
    const first = builder.build();
    first.tasks.push(first.tasks[0]!);
    expect(builder.build().tasks).toHaveLength(1);
  });
});

describe("invalid pipelines", () => {
  it("reports a dependency cycle with its path", () => {
    const a = task("a", "container_run").image("x").dependsOn("b");
    const b = task("b", "container_run").image("x").dependsOn("a");
    const err = buildError(() => pipeline("p").tasks(a, b).build());
    expect(err.code).toBe("invalid_input");
    expect(err.issues).toEqual<ValidationIssue[]>([{ path: "tasks[0].depends_on", message: "dependency cycle: a -> b -> a (each task depends on the next)" }]);
    expect(err.message).toContain("pipeline 'p' is invalid");
    expect(err.message).toContain("tasks[0].depends_on: dependency cycle");
  });

  it("reports an unknown dependency with its path", () => {
    const err = buildError(() => pipeline("p").tasks(hello, task("b", "container_run").image("x").dependsOn("missing")).build());
    expect(err.issues).toEqual([{ path: "tasks[1].depends_on[0].id", message: "unknown task 'missing'" }]);
  });

  it("lists every problem at once, each with its path", () => {
    const consumer = task("consumer", "container_run")
      .image("x")
      .dependsOn("ghost")
      .inputFrom("FROM_ENV", { env: "NOT_SET" })
      .inputFrom("FROM_TASK", { task_output: { task_id: "hello", output_id: "out" } });
    const err = buildError(() => pipeline("bad id!").tasks(hello, hello, consumer).toJSON());
    expect(err.issues.map((i) => i.path).sort()).toEqual([
      "id",
      "tasks[1].id",
      "tasks[2].depends_on[0].id",
      "tasks[2].input.FROM_ENV.value_from.env",
      "tasks[2].input.FROM_TASK.value_from.task_output.task_id",
    ]);
  });

  it("rejects a pipeline without tasks", () => {
    expect(buildError(() => pipeline("p").build()).issues).toEqual([{ path: "tasks", message: "a pipeline needs at least one task" }]);
  });

  it("reports through validate() without throwing", () => {
    const result = pipeline("p").tasks(task("a", "container_run").image("x").dependsOn("a")).validate();
    expect(result).toEqual({ ok: false, issues: [{ path: "tasks[0].depends_on[0].id", message: "a task cannot depend on itself (dependency cycle: a -> a)" }] });
  });

  it("rejects an unknown task type from callers without the types", () => {
    expect(() => task("t", "shell" as "function")).toThrow("unknown task type 'shell'");
    expect(() => task("t", "toString" as "function")).toThrow("unknown task type 'toString'");
  });
});
