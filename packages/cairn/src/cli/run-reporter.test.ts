import { describe, expect, it } from "vitest";
import { describeExecution, describeUsage, TaskColumn, type ExecutionView } from "./run-reporter.js";

const ended: ExecutionView = { taskId: "build", attempt: 1, status: "failed", startedAt: 1_000, endedAt: 2_200, exitCode: 2, message: "exited with code 2" };

describe("describeExecution", () => {
  it("puts what the attempt used on its end line, after the exit code", () => {
    const usage = { cpuSeconds: 0.951, peakMemoryBytes: 64 * 2 ** 20 + 200 * 1024, readBytes: 4096, writtenBytes: 8 * 2 ** 20 };
    expect(describeExecution({ ...ended, usage }, new TaskColumn())).toBe(
      "✘ build        failed in 1.20 s [exit 2] (cpu 0.95 s, mem 64.2 MiB, io 8.0 MiB): exited with code 2",
    );
  });

  it("says that a task was restored from the task cache, and from which execution", () => {
    const hit: ExecutionView = { taskId: "count", attempt: 1, status: "succeeded", startedAt: 1_000, endedAt: 1_002, exitCode: 0, message: "cached: …", cachedFrom: "e-1" };
    expect(describeExecution(hit, new TaskColumn())).toBe("✔ count        succeeded in 0.00 s (from the task cache: execution e-1, not run)");
  });

  it("says a skip once, not 'skipped: skipped: ...'", () => {
    const skipped = { ...ended, status: "skipped", startedAt: null, endedAt: null, exitCode: null, message: "skipped: dependency 'sum' ended failed" };
    expect(describeExecution(skipped, new TaskColumn())).toBe("⤼ build        skipped: dependency 'sum' ended failed");
  });

  it("says nothing of usage that was not measured", () => {
    expect(describeExecution({ ...ended, usage: null }, new TaskColumn())).toBe("✘ build        failed in 1.20 s [exit 2]: exited with code 2");
  });
});

describe("describeUsage", () => {
  it("scales bytes to the largest unit below 1024", () => {
    expect(describeUsage({ cpuSeconds: 0, peakMemoryBytes: 512, readBytes: 0, writtenBytes: 0 })).toBe("cpu 0.00 s, mem 512 B, io 0 B");
    expect(describeUsage({ cpuSeconds: 12.5, peakMemoryBytes: 3 * 2 ** 30, readBytes: 2 ** 40, writtenBytes: 0 })).toBe(
      "cpu 12.50 s, mem 3.0 GiB, io 1.0 TiB",
    );
  });
});
