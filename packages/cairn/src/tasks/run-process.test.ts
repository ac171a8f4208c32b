import { afterEach, describe, expect, it } from "vitest";
import { fakeContext, type FakeContext } from "../../../../test/support/fake-context.js";
import { FakeProcess, FakeRuntime } from "../../../../test/support/fake-runtime.js";
import { CairnError, TaskFailure } from "../errors.js";
import type { ProcessSpec } from "../runtimes/runtime.js";
import { DEFAULT_EXECUTION_PROFILE, type FunctionTask } from "../spec/types.js";
import { resumeProcess, runProcess } from "./run-process.js";

const task: FunctionTask = {
  id: "t1", type: "function", depends_on: [], execution_profile: {}, input: {}, output: {},
  runtime: "bash", code: "", packages: [], inject_api_token: false,
};

let ctx: FakeContext<FunctionTask>;
afterEach(async () => ctx?.cleanup());

function spec(c: FakeContext<FunctionTask>): ProcessSpec {
  return { labels: { runUuid: c.runUuid, taskId: "t1", executionUuid: c.executionUuid, attempt: 1 }, command: ["x"], env: {}, mounts: [] };
}

describe("runProcess", () => {
  it("records the handle before the process ends, logs its lines, and succeeds on exit 0", async () => {
    const order: string[] = [];
    const runtime = new FakeRuntime("host", (_spec, log) => {
      log("hello");
      return "hang";
    });
    ctx = fakeContext(task, {
      profile: DEFAULT_EXECUTION_PROFILE,
      started: async (handle) => {
        order.push(`started ${handle}`);
        setTimeout(() => runtime.processes[0]!.exit(0), 1);
      },
    });
    const outcome = await runProcess(ctx, runtime, spec(ctx));
    expect(outcome).toEqual({ exitCode: 0 });
    expect(order).toEqual(["started fake-1"]);
    expect(ctx.logs).toContainEqual({ stream: "stdout", line: "hello" });
    expect(runtime.released).toEqual([ctx.executionUuid]);
  });

  it("turns a non-zero exit into a retryable TaskFailure carrying the code, and still releases", async () => {
    ctx = fakeContext(task);
    const runtime = new FakeRuntime("host", () => 3);
    const err = await runProcess(ctx, runtime, spec(ctx)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailure);
    expect(err).toMatchObject({ message: "exited with code 3", exitCode: 3, retryable: true });
    expect(runtime.released).toEqual([ctx.executionUuid]);
  });

  it("records what the process used, also when it failed", async () => {
    ctx = fakeContext(task);
    const usage = { cpuSeconds: 1.25, peakMemoryBytes: 64 * 2 ** 20, readBytes: 0, writtenBytes: 4096 };
    const runtime = new FakeRuntime("host", () => "hang");
    const running = runProcess(ctx, runtime, spec(ctx)).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 5));
    runtime.processes[0]!.exit(2, false, usage);
    expect(await running).toMatchObject({ exitCode: 2 });
    expect(ctx.usages).toEqual([usage]);
  });

  it("records no usage when the runtime measured none", async () => {
    ctx = fakeContext(task);
    await runProcess(ctx, new FakeRuntime("host", () => 0), spec(ctx));
    expect(ctx.usages).toEqual([]);
  });

  it("kills the process on abort and rethrows the signal's reason", async () => {
    ctx = fakeContext(task);
    const runtime = new FakeRuntime("host", () => "hang");
    const reason = new CairnError("cancelled", "run cancelled");
    const running = runProcess(ctx, runtime, spec(ctx));
    await new Promise((r) => setTimeout(r, 5));
    ctx.controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(runtime.processes[0]!.killCalls).toBe(1);
    expect(runtime.released).toEqual([ctx.executionUuid]);
  });

  it("kills at once when the signal is aborted before the process starts", async () => {
    ctx = fakeContext(task);
    const reason = new CairnError("timeout", "too slow");
    ctx.controller.abort(reason);
    const runtime = new FakeRuntime("host", () => "hang");
    await expect(runProcess(ctx, runtime, spec(ctx))).rejects.toBe(reason);
    expect(runtime.processes[0]!.killCalls).toBe(1);
  });

  it("kills the process when its handle cannot be recorded", async () => {
    const boom = new Error("store down");
    ctx = fakeContext(task, { started: async () => Promise.reject(boom) });
    const runtime = new FakeRuntime("host", () => "hang");
    await expect(runProcess(ctx, runtime, spec(ctx))).rejects.toBe(boom);
    expect(runtime.processes[0]!.killCalls).toBe(1);
  });
});

describe("resumeProcess", () => {
  it("resolves undefined when the runtime cannot follow the process", async () => {
    ctx = fakeContext(task, { resumeFrom: { seen: { stdout: 4, stderr: 2 } } });
    const runtime = new FakeRuntime("container");
    expect(await resumeProcess(ctx, runtime)).toBeUndefined();
    expect(runtime.reattached).toEqual([{ executionUuid: ctx.executionUuid, seen: { stdout: 4, stderr: 2 } }]);
  });

  it("follows a re-attached process to its exit code", async () => {
    ctx = fakeContext(task);
    const runtime = new FakeRuntime("container");
    runtime.reattachable = new FakeProcess("c1");
    runtime.reattachable.exit(5);
    await expect(resumeProcess(ctx, runtime)).rejects.toMatchObject({ name: "TaskFailure", exitCode: 5 });
    expect(runtime.reattached[0]!.seen).toEqual({ stdout: 0, stderr: 0 });
    expect(ctx.startedHandles).toEqual(["c1"]);
    expect(runtime.released).toEqual([ctx.executionUuid]);
  });

  it("kills a re-attached process at once when the run was cancelled before the restart", async () => {
    ctx = fakeContext(task);
    const reason = new CairnError("cancelled", "run cancelled");
    ctx.controller.abort(reason);
    const runtime = new FakeRuntime("container");
    runtime.reattachable = new FakeProcess("c1");
    await expect(resumeProcess(ctx, runtime)).rejects.toBe(reason);
    expect(runtime.reattachable.killCalls).toBe(1);
  });
});
