import { describe, expect, it, vi } from "vitest";
import { FolderCost } from "./folder-cost.js";

/** Makes `time` see each making take `ms`, by moving performance.now() on inside it. */
function timedAt(cost: FolderCost, ms: number, times = 1): void {
  let now = 0;
  const clock = vi.spyOn(performance, "now").mockImplementation(() => now);
  try {
    for (let i = 0; i < times; i++) cost.time(() => (now += ms));
  } finally {
    clock.mockRestore();
  }
}

describe("FolderCost", () => {
  it("prefers synchronous making until one was timed, and while folders are cheap", () => {
    const cost = new FolderCost(0.3);
    expect(cost.preferPool()).toBe(false);
    timedAt(cost, 0.08, 5);
    expect(cost.typicalMs).toBeCloseTo(0.08);
    expect(cost.preferPool()).toBe(false);
  });

  it("returns what the making returned", () => {
    expect(new FolderCost().time(() => "folders")).toBe("folders");
  });

  it("prefers the pool where folders are slow, with one synchronous making in every probeEvery to notice a change", () => {
    const cost = new FolderCost(0.3, 4);
    timedAt(cost, 1.2);
    expect([cost.preferPool(), cost.preferPool(), cost.preferPool(), cost.preferPool(), cost.preferPool()]).toEqual([true, true, true, false, true]);
  });

  it("is not flipped by one slow making among cheap ones, but follows a lasting change", () => {
    const cost = new FolderCost(0.3);
    timedAt(cost, 0.08, 10);
    timedAt(cost, 0.9);
    expect(cost.preferPool()).toBe(false);
    timedAt(cost, 0.9, 4);
    expect(cost.preferPool()).toBe(true);
    timedAt(cost, 0.05, 8);
    expect(cost.preferPool()).toBe(false);
  });
});
