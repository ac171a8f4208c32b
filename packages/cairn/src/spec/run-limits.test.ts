import { describe, expect, it } from "vitest";
import { resolveExecutionProfile } from "./execution-profile.js";
import { validatePipeline } from "./validate.js";

/** A pipeline's max_concurrent_runs and pending_timeout (issue 17): the pipeline's, never a task's. */

const task = { id: "t", type: "function", runtime: "bash", code: Buffer.from("true").toString("base64") };

describe("max_concurrent_runs and pending_timeout", () => {
  it("are taken on the pipeline's execution_profile and not handed to its tasks", () => {
    const result = validatePipeline({ id: "p", execution_profile: { max_concurrent_runs: 2, pending_timeout: 1.5, max_retries: 1 }, tasks: [task] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.pipeline.execution_profile).toMatchObject({ max_concurrent_runs: 2, pending_timeout: 1.5 });
    const profile = resolveExecutionProfile(result.pipeline, result.pipeline.tasks[0]!);
    expect(profile.max_retries).toBe(1);
    expect(profile).not.toHaveProperty("max_concurrent_runs");
    expect(profile).not.toHaveProperty("pending_timeout");
  });

  it("refuses bad values by path", () => {
    for (const [field, value] of [["max_concurrent_runs", 0], ["max_concurrent_runs", 1.5], ["max_concurrent_runs", "2"], ["pending_timeout", 0], ["pending_timeout", -1]] as const) {
      const result = validatePipeline({ id: "p", execution_profile: { [field]: value }, tasks: [task] });
      expect(result.ok, `${field}: ${String(value)}`).toBe(false);
      if (!result.ok) expect(result.issues.map((i) => i.path)).toContain(`execution_profile.${field}`);
    }
  });

  it("refuses them on a task", () => {
    const result = validatePipeline({ id: "p", tasks: [{ ...task, execution_profile: { max_concurrent_runs: 1 } }] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(JSON.stringify(result.issues)).toMatch(/tasks\[0\]\.execution_profile.*max_concurrent_runs|max_concurrent_runs.*tasks\[0\]/);
  });
});
