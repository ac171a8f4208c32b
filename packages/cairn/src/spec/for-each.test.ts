import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ForEachError, gatherItemOutputs, itemTask, itemTaskId, itemText, parseItemTaskId, resolveForEachItems, type ForEachContext } from "./for-each.js";
import { parsePipeline } from "./validate.js";
import type { ForEach, Task } from "./types.js";

const context = (over: Partial<ForEachContext> = {}): ForEachContext => ({
  pipeline: { env: { LIT: '["x","y"]', NUM: 3, FROM: { value_from: { params: "P" } }, SECRET: { value_from: { secret: "s" } } } },
  params: { P: "[1,2,3]", BAD: "1,2,3", OBJ: '{"a":[1]}' },
  outputs: new Map([["up", { list: '[{"k":1},"two",null]\n', text: "hello" }]]),
  ...over,
});

const resolve = (forEach: ForEach, over?: Partial<ForEachContext>) => resolveForEachItems(forEach, context(over), "tasks[1].for_each");
const failure = (forEach: ForEach, over?: Partial<ForEachContext>) => {
  try {
    resolve(forEach, over);
  } catch (err) {
    expect(err).toBeInstanceOf(ForEachError);
    return (err as Error).message;
  }
  throw new Error("expected resolution to fail");
};

describe("resolveForEachItems", () => {
  it("reads a literal list, a parameter, an env value (literal or from a parameter) and an upstream output", () => {
    expect(resolve({ value: [1, "a", { b: 2 }] })).toEqual([1, "a", { b: 2 }]);
    expect(resolve({ value_from: { params: "P" } })).toEqual([1, 2, 3]);
    expect(resolve({ value_from: { env: "LIT" } })).toEqual(["x", "y"]);
    expect(resolve({ value_from: { env: "FROM" } })).toEqual([1, 2, 3]);
    // An output's trailing newline (echo's) is JSON whitespace.
    expect(resolve({ value_from: { task_output: { task_id: "up", output_id: "list" } } })).toEqual([{ k: 1 }, "two", null]);
  });

  it.each<[string, ForEach, string]>([
    ["a parameter that is not JSON", { value_from: { params: "BAD" } }, 'tasks[1].for_each.value_from: parameter \'BAD\' must hold a JSON array, got "1,2,3" (not JSON)'],
    ["a parameter holding an object", { value_from: { params: "OBJ" } }, "tasks[1].for_each.value_from: parameter 'OBJ' must be a JSON array, got an object"],
    ["a missing parameter", { value_from: { params: "NONE" } }, "tasks[1].for_each.value_from: the run parameter 'NONE' was not given"],
    ["an env number", { value_from: { env: "NUM" } }, 'tasks[1].for_each.value_from: env \'NUM\' is number 3, not a JSON array'],
    ["an env secret", { value_from: { env: "SECRET" } }, "tasks[1].for_each.value_from: env 'SECRET' holds a secret, which for_each cannot read"],
    ["an output that is not JSON", { value_from: { task_output: { task_id: "up", output_id: "text" } } }, "tasks[1].for_each.value_from: output 'text' of task 'up' must hold a JSON array, got \"hello\" (not JSON)"],
    ["an output never written", { value_from: { task_output: { task_id: "up", output_id: "nope" } } }, "tasks[1].for_each.value_from: task 'up' wrote no output 'nope'"],
    ["a task that did not succeed", { value_from: { task_output: { task_id: "down", output_id: "x" } } }, "tasks[1].for_each.value_from: task 'down' did not succeed, so it has no output 'x'"],
  ])("refuses %s, naming the path", (_, forEach, message) => {
    expect(failure(forEach)).toBe(message);
  });

  it("refuses more than 10,000 items from a source read at run time", () => {
    const many = JSON.stringify(Array.from({ length: 10_001 }, (_, i) => i));
    expect(failure({ value_from: { params: "L" } }, { params: { L: many } })).toBe("tasks[1].for_each.value_from: parameter 'L' has 10001 items; a task runs over at most 10000");
    expect(resolve({ value_from: { params: "L" } }, { params: { L: JSON.stringify(Array(10_000).fill(0)) } })).toHaveLength(10_000);
  });
});

describe("items", () => {
  const task = parsePipeline({
    id: "p",
    tasks: [
      {
        id: "each",
        type: "function",
        runtime: "bash",
        code: Buffer.from("true").toString("base64"),
        for_each: { value: ["a"] },
        conditions: [{ eq: [1, 1] }],
        input: { X: { type: "string", value: "x" } },
      },
    ],
  }).tasks[0]!;

  it("names an item TASK[INDEX], and reads the name back", () => {
    expect(itemTaskId("each", 12)).toBe("each[12]");
    expect(parseItemTaskId("each[12]")).toEqual({ taskId: "each", index: 12 });
    expect(parseItemTaskId("each")).toBeUndefined();
    expect(parseItemTaskId("each[01]")).toBeUndefined();
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/), fc.nat(10_000), (id, i) => {
        const back = parseItemTaskId(itemTaskId(id, i));
        return back?.taskId === id && back.index === i;
      }),
    );
  });

  it("gives an item its ITEM (strings as they are, the rest as JSON) and ITEM_INDEX, without for_each and conditions", () => {
    const item = itemTask(task, 3, { a: 1 }) as Task & Record<string, unknown>;
    expect(item.id).toBe("each[3]");
    expect(item.input).toEqual({ X: { type: "string", value: "x" }, ITEM: { type: "json", value: '{"a":1}' }, ITEM_INDEX: { type: "number", value: 3 } });
    expect(item.for_each).toBeUndefined();
    expect(item.conditions).toBeUndefined();
    expect(itemText("plain text")).toBe("plain text");
    expect(itemText(null)).toBe("null");
    expect(itemText([1, "2"])).toBe('[1,"2"]');
  });

  it("gathers the items' outputs into JSON arrays in item order, typed as declared, null where an item wrote nothing", () => {
    const gathered = gatherItemOutputs(
      { output: { n: { type: "number" }, ok: { type: "boolean" }, j: { type: "json" }, s: { type: "string" } } },
      [
        { n: "1\n", ok: "true\n", j: '{"a":1}', s: "x\n", extra: "e" },
        { n: "oops", ok: "false", j: "not json", s: "y" },
        {},
      ],
    );
    expect(Object.fromEntries(Object.entries(gathered).map(([k, v]) => [k, JSON.parse(v)]))).toEqual({
      n: [1, "oops", null],
      ok: [true, false, null],
      j: [{ a: 1 }, "not json", null],
      s: ["x", "y", null],
      extra: ["e", null, null],
    });
  });
});
