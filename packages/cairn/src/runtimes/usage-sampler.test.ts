import { describe, expect, it } from "vitest";
import type { ResourceUsage } from "./runtime.js";
import { merge, UsageSampler } from "./usage-sampler.js";

const reading = (cpuSeconds: number, peakMemoryBytes: number, writtenBytes = 0): ResourceUsage => ({ cpuSeconds, peakMemoryBytes, readBytes: 0, writtenBytes });

describe("merge", () => {
  it("keeps the highest of each figure, since a later reading can miss a child not yet counted by its parent", () => {
    expect(merge(reading(2, 100, 10), reading(1, 300, 5))).toEqual(reading(2, 300, 10));
    expect(merge(undefined, reading(1, 2))).toEqual(reading(1, 2));
  });
});

describe("UsageSampler", () => {
  it("reads at once, then repeatedly, and keeps the highest figures", async () => {
    const readings = [reading(0.1, 50), reading(0.5, 200), reading(0.9, 120)];
    let calls = 0;
    const sampler = new UsageSampler(async () => readings[Math.min(calls++, readings.length - 1)]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await sampler.stop()).toEqual(reading(0.9, 200));
    const after = calls;
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(after);
  });

  it("ignores readings that fail or find the process gone, and gives undefined without any", async () => {
    const sampler = new UsageSampler(async () => {
      throw new Error("ENOENT");
    });
    expect(await sampler.stop()).toBeUndefined();
    const gone = new UsageSampler(async () => undefined);
    expect(await gone.stop({ lastReading: true })).toBeUndefined();
  });

  it("ignores a reading of nothing but zeros (taken before the start, or after the exit), alone or among others", async () => {
    const empty = new UsageSampler(async () => reading(0, 0));
    expect(await empty.stop({ lastReading: true })).toBeUndefined();
    const readings = [reading(0, 0), reading(0.2, 4096), reading(0, 0)];
    let calls = 0;
    const sampler = new UsageSampler(async () => readings[Math.min(calls++, readings.length - 1)]);
    await new Promise((r) => setTimeout(r, 150));
    expect(await sampler.stop({ lastReading: true })).toEqual(reading(0.2, 4096));
  });

  it("keeps a reading with CPU time but no memory: a container that ended at once, its memory cgroup never charged", async () => {
    const sampler = new UsageSampler(async () => reading(0.07, 0));
    expect(await sampler.stop({ lastReading: true })).toEqual(reading(0.07, 0));
  });

  it("takes one more reading on stop when asked, for a source that still answers just after the end", async () => {
    let cpu = 0;
    const sampler = new UsageSampler(async () => reading((cpu += 1), 10));
    expect((await sampler.stop({ lastReading: true }))!.cpuSeconds).toBe(2);
  });
});
