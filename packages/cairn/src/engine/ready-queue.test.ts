import { describe, expect, it } from "vitest";
import { ReadyQueue } from "./ready-queue.js";

describe("ReadyQueue", () => {
  it("gives items back in the order they came, across compactions", () => {
    const queue = new ReadyQueue<number>();
    const taken: number[] = [];
    for (let i = 0; i < 5000; i++) {
      queue.push(i);
      if (i % 3 === 0) taken.push(queue.take()!);
    }
    expect(queue.size).toBe(5000 - taken.length);
    for (let item = queue.take(); item !== undefined; item = queue.take()) taken.push(item);
    expect(taken).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(queue.size).toBe(0);
    expect(queue.take()).toBeUndefined();
  });
});
