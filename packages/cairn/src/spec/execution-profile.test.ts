import { describe, expect, it } from "vitest";
import { resolveExecutionProfile, usesHostRuntime } from "./execution-profile.js";
import { parseMemory } from "./parse-memory.js";
import { DEFAULT_EXECUTION_PROFILE } from "./types.js";

describe("resolveExecutionProfile", () => {
  it("takes each field from the task, else the pipeline, else the default", () => {
    const profile = resolveExecutionProfile(
      { execution_profile: { max_retries: 3, retry_policy: "fixed", max_exec_time: 60 } },
      { execution_profile: { max_retries: 0, runtime: "host" } },
    );
    expect(profile).toEqual({ ...DEFAULT_EXECUTION_PROFILE, max_retries: 0, retry_policy: "fixed", max_exec_time: 60, runtime: "host" });
  });

  it("pulls images only when missing unless the pipeline or the task says otherwise", () => {
    expect(resolveExecutionProfile({ execution_profile: {} }, { execution_profile: {} }).pull_policy).toBe("if_not_present");
    expect(resolveExecutionProfile({ execution_profile: { pull_policy: "always" } }, { execution_profile: {} }).pull_policy).toBe("always");
    expect(resolveExecutionProfile({ execution_profile: { pull_policy: "always" } }, { execution_profile: { pull_policy: "never" } }).pull_policy).toBe("never");
  });

  it("ignores fields explicitly undefined", () => {
    expect(resolveExecutionProfile({ execution_profile: { max_retries: 2 } }, { execution_profile: { max_retries: undefined } }).max_retries).toBe(2);
  });
});

describe("usesHostRuntime", () => {
  it("is true when a task runs on the host, by its own profile or the pipeline's", () => {
    const container = { execution_profile: {} };
    expect(usesHostRuntime({ execution_profile: {}, tasks: [container, container] } as never)).toBe(false);
    expect(usesHostRuntime({ execution_profile: {}, tasks: [container, { execution_profile: { runtime: "host" } }] } as never)).toBe(true);
    expect(usesHostRuntime({ execution_profile: { runtime: "host" }, tasks: [container] } as never)).toBe(true);
    expect(usesHostRuntime({ execution_profile: { runtime: "host" }, tasks: [{ execution_profile: { runtime: "container" } }] } as never)).toBe(false);
  });
});

describe("parseMemory", () => {
  it.each([
    [512, 512],
    ["512", 512],
    ["100k", 102400],
    ["256m", 268435456],
    ["1g", 1073741824],
    ["1.5G", 1610612736],
    ["512MiB", 536870912],
    ["2 gb", 2147483648],
  ])("%j is %d bytes", (input, bytes) => {
    expect(parseMemory(input)).toBe(bytes);
  });

  it.each([0, -1, 1.5, Number.NaN, "", "lots", "1x", "-5m", "0m", "1e3"])("%j is not a size", (input) => {
    expect(parseMemory(input)).toBeUndefined();
  });
});
