import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { FoldersAhead } from "./folders-ahead.js";

describe("FoldersAhead", () => {
  it("makes what is wanted in a later turn, one item per turn, and hands each out once", async () => {
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

  it("never holds more than its limit, and makes nothing for an item taken before its turn", async () => {
    const ahead = new FoldersAhead<string>(2);
    const made: string[] = [];
    for (const key of ["a", "b", "c"]) ahead.want(key, "run", () => (made.push(key), key));
    expect(ahead.full).toBe(true);
    expect(ahead.take("a")).toBeUndefined();
    await nextTurn();
    await nextTurn();
    expect(made).toEqual(["b"]);
  });

  it("forgets an ended run's items, made or not", async () => {
    const ahead = new FoldersAhead<string>(8);
    const made: string[] = [];
    ahead.want("a", "ended", () => (made.push("a"), "a"));
    await nextTurn();
    ahead.want("b", "ended", () => (made.push("b"), "b"));
    ahead.want("c", "other", () => (made.push("c"), "c"));
    ahead.forget("ended");
    await nextTurn();
    await nextTurn();
    expect(made).toEqual(["a", "c"]);
    expect(ahead.take("a")).toBeUndefined();
    expect(ahead.take("c")).toBe("c");
  });

  it("keeps nothing for an item whose making failed, and goes on with the next", async () => {
    const ahead = new FoldersAhead<string>(8);
    ahead.want("a", "run", () => {
      throw new Error("EACCES");
    });
    ahead.want("b", "run", () => "b");
    await nextTurn();
    await nextTurn();
    expect(ahead.take("a")).toBeUndefined();
    expect(ahead.take("b")).toBe("b");
  });
});
