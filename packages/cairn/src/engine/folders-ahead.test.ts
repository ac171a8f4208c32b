import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { FoldersAhead } from "./folders-ahead.js";

/** A make function whose promises the test settles by hand, recording what was begun. */
function controlledMakes() {
  const begun: string[] = [];
  const settle = new Map<string, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  const make = (key: string) => () =>
    new Promise<string>((resolve, reject) => {
      begun.push(key);
      settle.set(key, { resolve, reject });
    });
  return { begun, make, finish: (key: string) => settle.get(key)!.resolve(`folders of ${key}`), fail: (key: string) => settle.get(key)!.reject(new Error("EACCES")) };
}

describe("FoldersAhead", () => {
  it("makes at most `concurrency` items at once, begins the next as one ends, and hands each out once", async () => {
    const ahead = new FoldersAhead<string>(8, 2);
    const { begun, make, finish } = controlledMakes();
    for (const key of ["a", "b", "c"]) ahead.want(key, "run", make(key));
    expect(begun).toEqual(["a", "b"]);
    finish("a");
    await nextTurn();
    expect(begun).toEqual(["a", "b", "c"]);
    expect(ahead.take("a")).toBe("folders of a");
    expect(ahead.take("a")).toBeUndefined();
  });

  it("hands out an item being made as a promise of it", async () => {
    const ahead = new FoldersAhead<string>(8, 1);
    const { make, finish } = controlledMakes();
    ahead.want("a", "run", make("a"));
    const taken = ahead.take("a");
    expect(taken).toBeInstanceOf(Promise);
    finish("a");
    await expect(taken).resolves.toBe("folders of a");
    await nextTurn();
    expect(ahead.take("a")).toBeUndefined();
  });

  it("never holds more than its limit, and never begins an item taken before its turn", async () => {
    const ahead = new FoldersAhead<string>(2, 1);
    const { begun, make, finish } = controlledMakes();
    for (const key of ["a", "b", "c"]) ahead.want(key, "run", make(key));
    expect(ahead.full).toBe(true);
    expect(ahead.take("b")).toBeUndefined();
    finish("a");
    await nextTurn();
    expect(begun).toEqual(["a"]);
  });

  it("forgets an ended run's items, waiting, being made or made, and says when none is being made any more", async () => {
    const ahead = new FoldersAhead<string>(8, 1);
    const { begun, make, finish } = controlledMakes();
    ahead.want("a", "ended", make("a"));
    finish("a");
    await nextTurn();
    ahead.want("b", "ended", make("b"));
    ahead.want("c", "ended", make("c"));
    ahead.want("d", "other", make("d"));
    let settled = false;
    void ahead.forget("ended").then(() => (settled = true));
    await nextTurn();
    expect(settled).toBe(false);
    finish("b");
    await nextTurn();
    expect(settled).toBe(true);
    expect(begun).toEqual(["a", "b", "d"]);
    finish("d");
    await nextTurn();
    for (const key of ["a", "b", "c"]) expect(ahead.take(key)).toBeUndefined();
    expect(ahead.take("d")).toBe("folders of d");
  });

  it("keeps nothing for an item whose making failed, and goes on with the next", async () => {
    const ahead = new FoldersAhead<string>(8, 1);
    const { make, finish, fail } = controlledMakes();
    ahead.want("a", "run", make("a"));
    ahead.want("b", "run", make("b"));
    fail("a");
    await nextTurn();
    finish("b");
    await nextTurn();
    expect(ahead.take("a")).toBeUndefined();
    expect(ahead.take("b")).toBe("folders of b");
  });
});
