import { describe, expect, it } from "vitest";
import { layeredLayout, NODE_WIDTH } from "./layered-layout";

describe("layeredLayout", () => {
  it("puts each task one column right of its latest dependency", () => {
    const p = layeredLayout([
      { id: "report", dependsOn: ["shout", "count"] },
      { id: "greet", dependsOn: [] },
      { id: "shout", dependsOn: ["greet"] },
      { id: "count", dependsOn: ["greet", "shout"] },
    ]);
    const column = (id: string) => p.get(id)!.x / (NODE_WIDTH + 60);
    expect([column("greet"), column("shout"), column("count"), column("report")]).toEqual([0, 1, 2, 3]);
  });

  it("lays out 1,000 tasks in a few milliseconds, each at its own place", () => {
    const tasks = Array.from({ length: 1000 }, (_, i) => ({ id: `t${i}`, dependsOn: i < 100 ? [] : [`t${i - 100}`, `t${i - 100 - (i % 7)}`] }));
    const started = performance.now();
    const p = layeredLayout(tasks);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(new Set([...p.values()].map((v) => `${v.x},${v.y}`)).size).toBe(1000);
  });

  it("walks each task once however many paths lead to it (10 layers of 100, 2 dependencies each)", () => {
    const tasks = Array.from({ length: 1000 }, (_, i) => {
      const layer = Math.floor(i / 100);
      return { id: `t${i}`, dependsOn: layer === 0 ? [] : [`t${(layer - 1) * 100 + (i % 100)}`, `t${(layer - 1) * 100 + ((i * 7 + 3) % 100)}`] };
    });
    const started = performance.now();
    const p = layeredLayout(tasks);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(p.get("t999")!.x).toBe(9 * (NODE_WIDTH + 60));
  });

  it("survives a 1,000-task chain and a cycle", () => {
    const chain = Array.from({ length: 1000 }, (_, i) => ({ id: `c${i}`, dependsOn: i === 0 ? [] : [`c${i - 1}`] }));
    expect(layeredLayout(chain).get("c999")!.x).toBe(999 * (NODE_WIDTH + 60));
    const cycle = layeredLayout([
      { id: "a", dependsOn: ["b"] },
      { id: "b", dependsOn: ["a"] },
    ]);
    expect(cycle.size).toBe(2);
  });
});
