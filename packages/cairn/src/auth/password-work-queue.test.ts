import { describe, expect, it } from "vitest";
import { PasswordWorkQueue } from "./password-work-queue.js";

/** Work that runs until its `finish` is called, recording when it started. */
function gate(started: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: async () => (started.push(name), done), finish: () => finish() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("PasswordWorkQueue", () => {
  it("keeps one slot for urgent work: other work waits while it would take the last one", async () => {
    const queue = new PasswordWorkQueue({ slots: 2 });
    const started: string[] = [];
    const a = gate(started, "suspect-1");
    const b = gate(started, "suspect-2");
    const c = gate(started, "urgent");
    const runs = [queue.run(false, a.work), queue.run(false, b.work), queue.run(true, c.work)];
    await tick();
    expect(started).toEqual(["suspect-1", "urgent"]);
    a.finish();
    await tick();
    // A slot is free, but the only other one is busy with urgent work: suspect-2 still waits.
    expect(started).toEqual(["suspect-1", "urgent"]);
    c.finish();
    await tick();
    expect(started).toEqual(["suspect-1", "urgent", "suspect-2"]);
    b.finish();
    await Promise.all(runs);
    expect(queue.load).toEqual({ running: 0, waiting: 0 });
  });

  it("starts waiting urgent work before waiting other work", async () => {
    const queue = new PasswordWorkQueue({ slots: 2 });
    const started: string[] = [];
    const first = [gate(started, "u1"), gate(started, "u2")];
    const runs = first.map((g) => queue.run(true, g.work));
    const later = gate(started, "suspect");
    const urgent = gate(started, "u3");
    runs.push(queue.run(false, later.work), queue.run(true, urgent.work));
    await tick();
    expect(started).toEqual(["u1", "u2"]);
    first[0]!.finish();
    await tick();
    expect(started).toEqual(["u1", "u2", "u3"]);
    for (const g of [first[1]!, urgent, later]) {
      g.finish();
      await tick();
    }
    await Promise.all(runs);
    expect(started).toEqual(["u1", "u2", "u3", "suspect"]);
  });

  it("refuses at once with 429 (retry in 1 s) when a waiting line is full", async () => {
    const queue = new PasswordWorkQueue({ slots: 2, maxOtherWaiting: 1 });
    const started: string[] = [];
    const a = gate(started, "a");
    const b = gate(started, "b");
    const runs = [queue.run(false, a.work), queue.run(false, b.work)];
    await expect(queue.run(false, async () => "never")).rejects.toMatchObject({ code: "rate_limited", retryAfterSeconds: 1 });
    a.finish();
    b.finish();
    await Promise.all(runs);
  });

  it("frees the slot of work that throws", async () => {
    const queue = new PasswordWorkQueue({ slots: 2 });
    await expect(queue.run(true, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(queue.load).toEqual({ running: 0, waiting: 0 });
  });
});
