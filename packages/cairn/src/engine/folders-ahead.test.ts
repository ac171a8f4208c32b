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

/** Lets `n` turns of the event loop pass. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await nextTurn();
}

describe("FoldersAhead", () => {
  it("makes a synchronous item in a later turn, one item per turn, and hands each out once", async () => {
    const ahead = new FoldersAhead<string>(8);
    const made: string[] = [];
    const make = (key: string) => () => (made.push(key), `folders of ${key}`);
    ahead.want("a", "run", make("a"));
    ahead.want("b", "run", make("b"));
    expect(made).toEqual([]);
    await nextTurn();
    expect(made).toEqual(["a"]);
    await nextTurn();
    expect(made).toEqual(["a", "b"]);
    expect(ahead.take("a")).toBe("folders of a");
    expect(ahead.take("a")).toBeUndefined();
  });

  it("begins at most `concurrency` items made elsewhere at once, and the next as one ends", async () => {
    const ahead = new FoldersAhead<string>(8, 2);
    const { begun, make, finish } = controlledMakes();
    for (const key of ["a", "b", "c"]) ahead.want(key, "run", make(key));
    expect(begun).toEqual([]);
    await turns(3);
    expect(begun).toEqual(["a", "b"]);
    finish("a");
    await turns(2);
    expect(begun).toEqual(["a", "b", "c"]);
    expect(ahead.take("a")).toBe("folders of a");
    expect(ahead.take("a")).toBeUndefined();
  });

  it("hands out an item being made as a promise of it", async () => {
    const ahead = new FoldersAhead<string>(8, 1);
    const { make, finish } = controlledMakes();
    ahead.want("a", "run", make("a"));
    await nextTurn();
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
    await nextTurn();
    finish("a");
    await turns(3);
    expect(begun).toEqual(["a"]);
  });

  it("forgets an ended run's items, waiting, being made or made, and says when none is being made any more", async () => {
    const ahead = new FoldersAhead<string>(8, 1);
    const { begun, make, finish } = controlledMakes();
    ahead.want("a", "ended", make("a"));
    await nextTurn();
    finish("a");
    await nextTurn();
    ahead.want("b", "ended", make("b"));
    ahead.want("c", "ended", make("c"));
    ahead.want("d", "other", make("d"));
    await nextTurn();
    let settled = false;
    void ahead.forget("ended").then(() => (settled = true));
    await nextTurn();
    expect(settled).toBe(false);
    finish("b");
    await turns(2);
    expect(settled).toBe(true);
    expect(begun).toEqual(["a", "b", "d"]);
    finish("d");
    await nextTurn();
    for (const key of ["a", "b", "c"]) expect(ahead.take(key)).toBeUndefined();
    expect(ahead.take("d")).toBe("folders of d");
  });

  it("keeps nothing for an item whose making failed or threw, and goes on with the next", async () => {
    const ahead = new FoldersAhead<string>(8, 1);
    const { make, finish, fail } = controlledMakes();
    ahead.want("a", "run", make("a"));
    ahead.want("b", "run", () => {
      throw new Error("EACCES");
    });
    ahead.want("c", "run", make("c"));
    await nextTurn();
    fail("a");
    await turns(3);
    finish("c");
    await nextTurn();
    expect(ahead.take("a")).toBeUndefined();
    expect(ahead.take("b")).toBeUndefined();
    expect(ahead.take("c")).toBe("folders of c");
  });
});
