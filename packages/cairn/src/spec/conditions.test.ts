import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConditionError, evaluateCondition, evaluateConditions, parseCondition, type ConditionContext } from "./conditions.js";
import { parsePipeline } from "./validate.js";
import type { Condition, ConditionOperand } from "./types.js";

const context: ConditionContext = {
  pipeline: parsePipeline({
    id: "p",
    env: { MODE: "fast", LEVEL: 3, ON: true, FROM_PARAM: { value_from: { params: "who" } }, TOKEN: { value_from: { secret: "tok" } } },
    tasks: [
      {
        id: "probe",
        type: "function",
        runtime: "bash",
        code: Buffer.from("true").toString("base64"),
        output: { count: { type: "number" }, ok: { type: "boolean" }, word: { type: "string" }, bad_number: { type: "number" } },
      },
    ],
  }),
  params: { who: "alice", size: "10" },
  outputs: new Map([["probe", { count: "42\n", ok: "true\n", word: "hello\n", bad_number: "lots" }]]),
};

const out = (output_id: string): ConditionOperand => ({ task_output: { task_id: "probe", output_id } });

describe("evaluating conditions", () => {
  const t = { eq: [1, 1] } as Condition;
  const f = { eq: [1, 2] } as Condition;
  const cases: [string, Condition, boolean][] = [
    ["eq numbers", { eq: [1, 1] }, true],
    ["ne numbers", { ne: [1, 1] }, false],
    ["gt", { gt: [2, 1] }, true],
    ["lt", { lt: [2, 1] }, false],
    ["ge equal", { ge: [2, 2] }, true],
    ["le", { le: [3, 2] }, false],
    ["strings order by code unit", { lt: ["apple", "banana"] }, true],
    ["null eq null", { eq: [null, null] }, true],
    ["null ne a string", { ne: [null, "x"] }, true],
    ["booleans", { eq: [true, false] }, false],
    ["a number output, trailing newline dropped", { eq: [out("count"), 42] }, true],
    ["a boolean output", { eq: [out("ok"), true] }, true],
    ["a string output", { eq: [out("word"), "hello"] }, true],
    ["args are strings", { eq: [{ args: "who" }, "alice"] }, true],
    ["env literal number", { ge: [{ env: "LEVEL" }, 3] }, true],
    ["env literal boolean", { eq: [{ env: "ON" }, true] }, true],
    ["env from a param", { eq: [{ env: "FROM_PARAM" }, "alice"] }, true],
    ["in: found", { in: [{ env: "MODE" }, ["slow", "fast"]] }, true],
    ["in: not found", { in: ["x", ["slow", "fast"]] }, false],
    ["in: empty haystack", { in: ["x", []] }, false],
    ["and", { and: [t, t, f] }, false],
    ["or", { or: [f, f, t] }, true],
    ["xor of three trues is true", { xor: [t, t, t] }, true],
    ["xor of two trues is false", { xor: [t, t] }, false],
    ["nand", { nand: [t, t] }, false],
    ["nor", { nor: [f, f] }, true],
    ["xnor", { xnor: [t, f] }, false],
    ["not", { not: [f] }, true],
  ];
  it.each(cases)("%s", (_, condition, expected) => {
    expect(evaluateCondition(condition, context)).toBe(expected);
  });

  it("holds when every condition of the list holds, and for an empty list", () => {
    expect(evaluateConditions([t, t], context)).toBe(true);
    expect(evaluateConditions([t, f], context)).toBe(false);
    expect(evaluateConditions([], context)).toBe(true);
  });

  const errors: [string, Condition, RegExp][] = [
    ["a number with a string", { eq: [{ args: "size" }, 10] }, /conditions\[0\]\.eq: cannot compare string "10" with number 10 \(eq\)/],
    ["ordering booleans", { gt: [true, false] }, /cannot order boolean true and boolean false/],
    ["ordering null", { lt: [null, 1] }, /cannot order null null and number 1/],
    ["a missing param", { eq: [{ args: "nope" }, "x"] }, /the run has no parameter 'nope'/],
    ["a secret env", { eq: [{ env: "TOKEN" }, "x"] }, /env 'TOKEN' holds a secret/],
    ["an output that is not a number", { eq: [out("bad_number"), 1] }, /declared a number but holds "lots"/],
    ["an output not written", { eq: [{ task_output: { task_id: "probe", output_id: "none" } }, 1] }, /task 'probe' wrote no output 'none'/],
    ["a task that did not succeed", { eq: [{ task_output: { task_id: "other", output_id: "x" } }, 1] }, /task 'other' did not succeed/],
    ["an error beside a false: not hidden", { and: [f, { eq: [1, "1"] }] }, /conditions\[0\]\.and\[1\]\.eq: cannot compare number 1 with string "1"/],
    ["an error inside in", { in: [1, [2, "1"]] }, /cannot compare number 1 with string "1"/],
  ];
  it.each(errors)("is an error, not false: %s", (_, condition, message) => {
    let caught: unknown;
    try {
      evaluateConditions([condition], context);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConditionError);
    expect((caught as Error).message).toMatch(message);
  });
});

describe("parsing conditions", () => {
  function problems(value: unknown) {
    const found: { path: readonly (string | number)[]; message: string }[] = [];
    const condition = parseCondition(value, [], found);
    return { condition, found: found.map((f) => `${f.path.join(".")}: ${f.message}`) };
  }

  it("accepts not over one expression, written bare or as a list", () => {
    expect(problems({ not: { eq: [1, 1] } }).condition).toEqual({ not: [{ eq: [1, 1] }] });
    expect(problems({ not: [{ eq: [1, 1] }] }).condition).toEqual({ not: [{ eq: [1, 1] }] });
  });

  it("reports arity, unknown operators and bad operands with their paths", () => {
    expect(problems({ eq: [1] }).found).toEqual(["eq: eq compares two operands: expected [left, right], got 1 item(s)"]);
    expect(problems({ and: [{ eq: [1, 1] }] }).found).toEqual(["and: and takes a list of two or more expressions, got 1 item(s)"]);
    expect(problems({ not: [{ eq: [1, 1] }, { eq: [1, 1] }] }).found).toEqual(["not: not takes exactly one expression, got 2"]);
    expect(problems({ is: [1, 1] }).found[0]).toMatch(/^: unknown operator 'is'; known operators: eq, ne/);
    expect(problems({ eq: [1, 1], ne: [1, 2] }).found[0]).toMatch(/one operator key .* got \{ eq, ne \}/);
    expect(problems({ or: [{ eq: [1, 1] }, { eq: [[1], { args: "" }] }] }).found).toEqual([
      expect.stringMatching(/^or\.1\.eq\.0: expected a literal .* got an array$/),
      "or.1.eq.1.args: must be a non-empty parameter name, got \"\"",
    ]);
    expect(problems({ in: ["a", "abc"] }).found).toEqual(['in: in takes [needle, [haystack...]], got an array']);
  });

  it("refuses expressions nested deeper than the limit", () => {
    let deep: unknown = { eq: [1, 1] };
    for (let i = 0; i < 40; i++) deep = { not: deep };
    expect(problems(deep).found[0]).toMatch(/nested at most 32 deep/);
  });
});

// A reference evaluator written differently: logical operators as truth tables folded over
// pairs (xor/xnor by associativity), comparisons by the sign of a three-way compare.
const TABLES: Record<string, { table: [[boolean, boolean], [boolean, boolean]]; negate: boolean }> = {
  and: { table: [[false, false], [false, true]], negate: false },
  or: { table: [[false, true], [true, true]], negate: false },
  xor: { table: [[false, true], [true, false]], negate: false },
  nand: { table: [[false, false], [false, true]], negate: true },
  nor: { table: [[false, true], [true, true]], negate: true },
  xnor: { table: [[false, true], [true, false]], negate: true },
};
function reference(c: Condition): boolean {
  const [op, arg] = Object.entries(c)[0] as [string, unknown];
  if (op === "not") return !reference((arg as Condition[])[0]!);
  if (op === "in") {
    const [needle, hay] = arg as [number, number[]];
    return hay.some((h) => Math.sign(needle - h) === 0);
  }
  if (TABLES[op]) {
    const { table, negate } = TABLES[op]!;
    const values = (arg as Condition[]).map(reference);
    const folded = values.slice(1).reduce((acc, v) => table[acc ? 1 : 0][v ? 1 : 0], values[0]!);
    return negate ? !folded : folded;
  }
  const [l, r] = arg as [number, number];
  const sign = Math.sign(l - r);
  return { eq: [0], ne: [-1, 1], gt: [1], lt: [-1], ge: [0, 1], le: [-1, 0] }[op]!.includes(sign);
}

const small = fc.integer({ min: -3, max: 3 });
const { condition: arbitraryCondition } = fc.letrec<{ condition: Condition }>((tie) => ({
  condition: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(fc.constantFrom("eq", "ne", "gt", "lt", "ge", "le"), small, small).map(([op, l, r]) => ({ [op]: [l, r] }) as Condition),
    fc.tuple(small, fc.array(small, { maxLength: 4 })).map(([n, h]) => ({ in: [n, h] }) as Condition),
    fc.tuple(fc.constantFrom("and", "or", "xor", "nand", "nor", "xnor"), fc.array(tie("condition"), { minLength: 2, maxLength: 4 })).map(([op, cs]) => ({ [op]: cs }) as Condition),
    tie("condition").map((c) => ({ not: [c] }) as Condition),
  ),
}));

describe("conditions against a reference evaluator", () => {
  it("agree on every expression over numbers", () => {
    fc.assert(
      fc.property(arbitraryCondition, (c) => {
        expect(evaluateCondition(c, context)).toBe(reference(c));
      }),
      { numRuns: 500 },
    );
  });

  it("an expression that parses is evaluated the same as the one parsed", () => {
    fc.assert(
      fc.property(arbitraryCondition, (c) => {
        const found: unknown[] = [];
        const parsed = parseCondition(JSON.parse(JSON.stringify(c)), [], found as never);
        expect(found).toEqual([]);
        expect(evaluateCondition(parsed!, context)).toBe(reference(c));
      }),
      { numRuns: 200 },
    );
  });

  it("a number compared with a string anywhere in an expression is an error, never a result", () => {
    fc.assert(
      fc.property(arbitraryCondition, fc.nat(), small, fc.string(), (c, at, n, s) => {
        // Put a mixed comparison into the expression in place of one of its leaves.
        const mixed = { eq: [n, s] } as Condition;
        const leaves: Condition[] = [];
        const walk = (x: Condition): Condition => {
          const [op, arg] = Object.entries(x)[0] as [string, unknown];
          if (op in TABLES || op === "not") return { [op]: (arg as Condition[]).map(walk) } as Condition;
          leaves.push(x);
          return leaves.length - 1 === at % 16 ? mixed : x;
        };
        const withMixed = walk(c);
        fc.pre(leaves.length > at % 16);
        expect(() => evaluateCondition(withMixed, context)).toThrow(ConditionError);
      }),
      { numRuns: 200 },
    );
  });
});
